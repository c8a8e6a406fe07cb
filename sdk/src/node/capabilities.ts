import { chat } from '../chat/index.js';
import { contracts } from '../contracts/index.js';
import { gossip } from '../gossip/index.js';
import { discovery } from '../discovery/index.js';
import { heartbeat } from '../heartbeat/index.js';
import { outbox } from '../outbox/index.js';
import { pex } from '../pex/index.js';
import { files } from '../transfer/index.js';

/**
 * The capabilities a node runs unless told otherwise, by the key of their section in the
 * node's options (`createNode({ contracts: { ... } })` configures `contracts(...)`). Adding a
 * capability: its folder, and one line here; its options, API and events follow from it.
 */
const DEFAULT_FACTORIES = {
  heartbeat,
  outbox,
  contracts,
  transfer: files,
  gossip,
  discovery,
  pex,
  chat,
} as const;

type Factories = typeof DEFAULT_FACTORIES;

/** Each default capability's options, under its key. */
export type CapabilityOptions = { [K in keyof Factories]?: Parameters<Factories[K]>[0] };

/** The list `defaultCapabilities()` returns, as a type. */
export type DefaultCapabilities = ReadonlyArray<ReturnType<Factories[keyof Factories]>>;

/** The default capabilities, each configured from its section of `init`, in the order above. */
export function defaultCapabilities(init: CapabilityOptions = {}): DefaultCapabilities {
  return (Object.keys(DEFAULT_FACTORIES) as Array<keyof Factories>).map((key) => (DEFAULT_FACTORIES[key] as (i: unknown) => ReturnType<Factories[keyof Factories]>)(init[key]));
}

import { contracts } from '../contracts/index.js';
import { heartbeat } from '../heartbeat/index.js';
import { outbox } from '../outbox/index.js';
import { files } from '../transfer/index.js';
import type { NodeOptions } from './options.js';

/**
 * The capabilities a node runs unless told otherwise, each configured from its section of
 * the node's options. Adding a capability: its folder, and one line here.
 */
export function defaultCapabilities(init: NodeOptions = {}) {
  return [heartbeat(init.heartbeat), outbox(init.outbox), contracts(init.contracts), files(init.transfer)] as const;
}

/** The list `defaultCapabilities()` returns, as a type. */
export type DefaultCapabilities = ReturnType<typeof defaultCapabilities>;

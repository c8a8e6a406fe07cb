/**
 * Capability: the unit the node is composed of.
 *
 * A capability is one folder (heartbeat, outbox, contracts, transfer, ...) whose `index.ts`
 * exports a factory returning a `Capability`. The composition root (`node/node.ts`) loops over
 * a list of them: it applies their store migrations, calls `create()` with the shared
 * components, registers the wire messages, binary frame kinds, peer hooks and HTTP routes that
 * the instance declares, starts them in dependency order and stops them in reverse. The CLI
 * registers each capability's verbs (`cli`) without starting anything: verbs talk to a running
 * node through its HTTP API.
 *
 * Data flow: socket -> transport (codec validates the body against the declared schema) ->
 * peer manager (dispatch by `type`, or by the first byte of a binary frame) -> the declaring
 * capability's handler -> its store tables -> events on the internal bus -> public events.
 */
import type { AnySchema, SchemaObject } from 'ajv';
import type { Command } from 'commander';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HybridClock } from '../clock/index.js';
import type { EventBus } from '../events.js';
import type { Identity } from '../identity/index.js';
import type { Peer, PeerEvents, PeerManager } from '../peers/index.js';
import type { Migration, Store } from '../store/index.js';
import type { Codec, Envelope, MessageKind } from '../transport/index.js';

/** A body type derived from its JSON Schema (declared `as const`). */
export type BodyOf<S> = S extends JSONSchema ? FromSchema<S> : never;

/**
 * One wire message type a capability owns: its name, how it uses the envelope ids, the JSON
 * Schema its body must pass (checked before any handler runs), the handler for unsolicited
 * arrivals (requests and notices; replies settle the request that awaits them), and the score
 * points a peer loses when it sends a body that fails the schema.
 */
export interface MessageDef<B = unknown> {
  type: string;
  kind: MessageKind;
  schema: AnySchema;
  handle?: (envelope: Envelope<B>, peer: Peer) => void | Promise<void>;
  /** Points for a body that fails the schema. Default: PENALTY_POINTS.INVALID_MESSAGE (10). */
  penalty?: number;
}

/**
 * Declare a message. Give the body type derived from its schema
 * (`defineMessage<BodyOf<typeof PING_SCHEMA>>({ ..., schema: PING_SCHEMA })`, as each
 * capability's messages.ts does): the handler then sees that type, no cast needed.
 */
export function defineMessage<B>(def: MessageDef<B>): MessageDef<B> {
  return def;
}

/**
 * A kind of binary frame (bulk data) a capability owns: the first byte of every such frame
 * (docs/protocol.md lists them). A binary frame of a kind nobody owns costs UNEXPECTED_BINARY.
 */
export interface BinaryFrameDef {
  kind: number;
  name: string;
  handle: (frame: Buffer, peer: Peer) => void;
}

/** One HTTP request as a route handler sees it. */
export interface RouteRequest<B = unknown> {
  req: IncomingMessage;
  res: ServerResponse;
  /** Capture groups of the path pattern, in order. */
  params: string[];
  url: URL;
  /** The JSON body, already validated against `body` (POST routes). */
  body: B;
}

/**
 * One route of the HTTP API, under /api/v1. `path` is a regular expression source matched
 * against the whole path after the prefix (capture groups become `params`). `handle` returns
 * `[status, json]`, or undefined when it wrote the response itself (event streams). Throw
 * ApiError or a PlexusError (its code maps to a status) for failures.
 */
export interface RouteDef<B = any> {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: SchemaObject;
  handle: (r: RouteRequest<B>) => Promise<[number, unknown] | undefined> | [number, unknown] | undefined;
}

/** A peer that left the active set (see `peer:disconnect`). */
export type PeerGone = PeerEvents['peer:disconnect'];

/** What every capability may use; built once per node by the composition root. */
export interface CapabilityContext {
  identity: Identity;
  store: Store;
  peers: PeerManager;
  codec: Codec;
  clock: HybridClock;
  /**
   * The node's internal event bus. Capabilities emit their events here; the node forwards
   * each to its public listeners, whose exceptions never reach the emitter.
   */
  events: EventBus<any>;
  /** The data folder, or null for an in-memory node. */
  dataDir: string | null;
  /** The node's display name (its `name` option), or null. */
  name?: string | null;
  /** The public API of a capability this one lists in `dependsOn`. @throws Error if it is not there */
  use<T>(name: string): T;
}

/** A running capability, as `create()` returns it. Every part but `api` is optional. */
export interface CapabilityInstance<Api = unknown> {
  /** What the node exposes as `node.<name>`. */
  api: Api;
  messages?: readonly MessageDef<any>[];
  binary?: readonly BinaryFrameDef[];
  /** A peer joined the active set; called before its first message is dispatched. */
  onPeerConnect?(peer: Peer): void;
  onPeerDisconnect?(gone: PeerGone): void;
  routes?: readonly RouteDef[];
  /** Called after every capability it depends on started and before peers are dialed. */
  start?(): void | Promise<void>;
  /** Called in reverse start order; must release every timer, listener and handle. */
  stop?(): void | Promise<void>;
}

/** A capability as the node's list holds it (see the module comment). */
export interface Capability<Name extends string = string, Api = unknown, Events = {}> {
  readonly name: Name;
  /**
   * Type only, never set: the events it emits (`{ 'contract:new': ..., ... }`), so that a
   * node's event map is derived from its list.
   */
  readonly events?: Events;
  /** Capabilities that must start before this one (by name). */
  readonly dependsOn?: readonly string[];
  /** Its tables, applied in order by the store engine (ids like 'contracts/1'). */
  readonly migrations?: readonly Migration[];
  /** Its CLI verbs (they talk to a running node's HTTP API). */
  readonly cli?: (program: Command) => void;
  create(ctx: CapabilityContext): CapabilityInstance<Api>;
}

/** The public API a capability gives the node. */
export type ApiOf<C> = C extends Capability<string, infer A, any> ? A : never;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The events of every capability of a list, as one event map. */
export type EventsOf<L extends readonly Capability<string, unknown, any>[]> = UnionToIntersection<
  L[number] extends infer C ? (C extends Capability<string, unknown, infer E> ? E : never) : never
>;

/** `{ [name]: api }` for a list of capabilities: what a node built from them exposes. */
export type ApisOf<L extends readonly Capability<string, unknown, any>[]> = { readonly [C in L[number] as C['name']]: ApiOf<C> };

/**
 * Order capabilities so that each comes after those it depends on (a stable topological sort).
 * @throws Error on a missing dependency, a duplicate name, or a cycle
 */
export function startOrder<C extends Capability<string, unknown, any>>(list: readonly C[]): C[] {
  const byName = new Map<string, C>();
  for (const c of list) {
    if (byName.has(c.name)) throw new Error(`capability ${c.name} is listed twice`);
    byName.set(c.name, c);
  }
  const ordered: C[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: C, path: string[]): void => {
    if (state.get(c.name) === 'done') return;
    if (state.get(c.name) === 'visiting') throw new Error(`capabilities depend on each other: ${[...path, c.name].join(' -> ')}`);
    state.set(c.name, 'visiting');
    for (const dep of c.dependsOn ?? []) {
      const d = byName.get(dep);
      if (!d) throw new Error(`capability ${c.name} needs ${dep}, which is not in the node's list`);
      visit(d, [...path, c.name]);
    }
    state.set(c.name, 'done');
    ordered.push(c);
  };
  for (const c of list) visit(c, []);
  return ordered;
}

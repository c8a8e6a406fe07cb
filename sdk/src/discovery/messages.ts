import type { FromSchema } from 'json-schema-to-ts';
import { canonicalBytes } from '../util/canonical.js';
import { DISCOVERY_MAX_LIST, DISCOVERY_MAX_PUSH, DISCOVERY_REGISTER_PURPOSE } from './constants.js';

/**
 * The discovery messages (docs/protocol.md §18). Each body type is derived from its schema.
 *
 *   node -> server  DiscoveryRegister   (request)  {nodeId, listenAddress, timestamp, signature}
 *   server -> node  DiscoveryRegistered (reply)    {peers, total, heartbeatMs, expiryMs}
 *   node -> server  DiscoveryHeartbeat  (request)  {}
 *   server -> node  DiscoveryHeartbeatAck (reply)  {}
 *   server -> node  DiscoveryPeers      (notice)   {joined, left}
 *   node -> server  DiscoveryUnregister (notice)   {}
 */

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const B64URL = '^[A-Za-z0-9_-]*$';
/** Same rule as Hello's listenAddress (docs/protocol.md §5.2). */
const ADDRESS = { type: 'string', pattern: '^(\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]{1,253}):[0-9]{1,5}$', maxLength: 259 } as const;
const MS = { type: 'integer', minimum: 0, maximum: 8.64e15 } as const;
const EMPTY = { type: 'object', properties: {}, additionalProperties: false } as const;

/** One registered node as the server lists it. */
export const DISCOVERY_ENTRY_SCHEMA = {
  type: 'object',
  properties: { nodeId: HEX64, address: ADDRESS, name: { type: ['string', 'null'], maxLength: 64 } },
  required: ['nodeId', 'address', 'name'],
  additionalProperties: false,
} as const;

export const DISCOVERY_REGISTER_SCHEMA = {
  type: 'object',
  properties: {
    nodeId: HEX64,
    listenAddress: { anyOf: [ADDRESS, { type: 'null' }] },
    timestamp: MS,
    signature: { type: 'string', minLength: 86, maxLength: 86, pattern: B64URL },
  },
  required: ['nodeId', 'listenAddress', 'timestamp', 'signature'],
  additionalProperties: false,
} as const;

export const DISCOVERY_REGISTERED_SCHEMA = {
  type: 'object',
  properties: {
    peers: { type: 'array', maxItems: DISCOVERY_MAX_LIST, items: DISCOVERY_ENTRY_SCHEMA },
    total: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
    heartbeatMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
    expiryMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
  },
  required: ['peers', 'total', 'heartbeatMs', 'expiryMs'],
  additionalProperties: false,
} as const;

export const DISCOVERY_HEARTBEAT_SCHEMA = EMPTY;
export const DISCOVERY_HEARTBEAT_ACK_SCHEMA = EMPTY;
export const DISCOVERY_UNREGISTER_SCHEMA = EMPTY;

export const DISCOVERY_PEERS_SCHEMA = {
  type: 'object',
  properties: {
    joined: { type: 'array', maxItems: DISCOVERY_MAX_PUSH, items: DISCOVERY_ENTRY_SCHEMA },
    left: { type: 'array', maxItems: DISCOVERY_MAX_PUSH, items: HEX64 },
  },
  required: ['joined', 'left'],
  additionalProperties: false,
} as const;

export type DiscoveryEntry = FromSchema<typeof DISCOVERY_ENTRY_SCHEMA>;
export type DiscoveryRegisterBody = FromSchema<typeof DISCOVERY_REGISTER_SCHEMA>;
export type DiscoveryRegisteredBody = FromSchema<typeof DISCOVERY_REGISTERED_SCHEMA>;
export type DiscoveryPeersBody = FromSchema<typeof DISCOVERY_PEERS_SCHEMA>;
export type DiscoveryEmptyBody = FromSchema<typeof EMPTY>;

/**
 * The bytes a DiscoveryRegister signature covers: RFC 8785 canonical JSON of
 * `{purpose: "plexus-discovery-register", nodeId, listenAddress, timestamp}`. The handshake
 * already proved the node ID of the connection; the signature binds what it did not prove
 * (the advertised address, the time) to the node's key.
 */
export function registerSigningPayload(body: Omit<DiscoveryRegisterBody, 'signature'>): Buffer {
  return canonicalBytes({ purpose: DISCOVERY_REGISTER_PURPOSE, nodeId: body.nodeId, listenAddress: body.listenAddress, timestamp: body.timestamp });
}

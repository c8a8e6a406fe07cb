import type { BodyOf } from '../capability/index.js';
import { MAX_ADDR_ENTRIES } from './constants.js';

/** `GetAddr` (request): "send me the addresses you know". Empty body (Bitcoin's getaddr). */
export const GETADDR_SCHEMA = {
  type: 'object',
  properties: {},
  additionalProperties: false,
} as const;

/**
 * `Addr` (reply to GetAddr): up to 1,000 entries `{nodeId, address, lastSeen}`. `address` is
 * checked as "host:port" by the receiver, not by the schema, so that a bad one is charged as
 * INVALID_ADDR (docs/protocol.md §19.2).
 */
export const ADDR_SCHEMA = {
  type: 'object',
  properties: {
    addresses: {
      type: 'array',
      maxItems: MAX_ADDR_ENTRIES,
      items: {
        type: 'object',
        properties: {
          nodeId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          address: { type: 'string', minLength: 1, maxLength: 259 },
          lastSeen: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
        },
        required: ['nodeId', 'address', 'lastSeen'],
        additionalProperties: false,
      },
    },
  },
  required: ['addresses'],
  additionalProperties: false,
} as const;

export type GetAddrBody = BodyOf<typeof GETADDR_SCHEMA>;
export type AddrBody = BodyOf<typeof ADDR_SCHEMA>;
/** One entry of an Addr: a node ID, where it listens, when it was last heard from (ms since epoch). */
export type AddrEntry = AddrBody['addresses'][number];

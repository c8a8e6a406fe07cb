import type { BodyOf } from '../capability/index.js';
import { HISTORY_MAX_LIMIT, ROOM_PATTERN, SYNC_MAX_KEYS } from './constants.js';

/*
 * The chat capability's own wire messages (docs/protocol.md §20.8, §20.10). Room messages,
 * direct messages, receipts and ChatKeys also travel as gossip payloads (§17); these are the
 * point-to-point ones. The schemas check the shape; the members' rules and signatures are
 * checked by the handlers (direct.ts, message.ts), which charge the penalties of §20.4/§20.9.
 *
 *   DirectMessage  (request)  a sealed envelope for its recipient  -> DirectReceipt (reply)
 *   DirectMark     (request)  a receipt for the message's author   -> DirectMarkAck (reply) {id}
 *   GetChatKeys    (request)  {}                                   -> ChatKeys (reply) {keys}
 *   ChatSync       (request)  {room, since, limit}                 -> ChatHistory (reply) {room, messages, more}
 */

const OBJECT = { type: 'object' } as const;
const STRING = { type: 'string' } as const;
const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const INT = { type: 'integer' } as const;

/** `DirectMessage`: the envelope of §20.7 (exact members; their rules are checked by the handler). */
export const DIRECT_MESSAGE_SCHEMA = {
  type: 'object',
  properties: {
    id: HEX64,
    author: STRING,
    authorKey: STRING,
    to: HEX64,
    lamport: INT,
    senderKey: OBJECT,
    toDh: STRING,
    eph: STRING,
    ciphertext: STRING,
    signature: STRING,
  },
  required: ['id', 'author', 'authorKey', 'to', 'lamport', 'senderKey', 'toDh', 'eph', 'ciphertext', 'signature'],
  additionalProperties: false,
} as const;

/** `DirectReceipt` and `DirectMark`: a receipt of §20.9 (exact members; rules checked by the handler). */
export const DIRECT_RECEIPT_SCHEMA = {
  type: 'object',
  properties: { id: HEX64, by: HEX64, byKey: STRING, to: HEX64, mark: { enum: ['delivered', 'read'] }, at: INT, signature: STRING },
  required: ['id', 'by', 'byKey', 'to', 'mark', 'at', 'signature'],
  additionalProperties: false,
} as const;

export const DIRECT_MARK_ACK_SCHEMA = {
  type: 'object',
  properties: { id: HEX64 },
  required: ['id'],
  additionalProperties: false,
} as const;

export const GET_CHAT_KEYS_SCHEMA = { type: 'object', properties: {}, additionalProperties: false } as const;

export const CHAT_KEYS_SCHEMA = {
  type: 'object',
  properties: { keys: { type: 'array', maxItems: SYNC_MAX_KEYS, items: OBJECT } },
  required: ['keys'],
  additionalProperties: false,
} as const;

export const CHAT_SYNC_SCHEMA = {
  type: 'object',
  properties: {
    room: { type: 'string', pattern: ROOM_PATTERN },
    since: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
    limit: { type: 'integer', minimum: 1, maximum: HISTORY_MAX_LIMIT },
  },
  required: ['room', 'since', 'limit'],
  additionalProperties: false,
} as const;

export const CHAT_HISTORY_SCHEMA = {
  type: 'object',
  properties: {
    room: { type: 'string', pattern: ROOM_PATTERN },
    messages: { type: 'array', maxItems: HISTORY_MAX_LIMIT, items: OBJECT },
    more: { type: 'boolean' },
  },
  required: ['room', 'messages', 'more'],
  additionalProperties: false,
} as const;

export type ChatSyncBody = BodyOf<typeof CHAT_SYNC_SCHEMA>;
export type ChatHistoryBody = BodyOf<typeof CHAT_HISTORY_SCHEMA>;
export type ChatKeysBody = BodyOf<typeof CHAT_KEYS_SCHEMA>;

import type { BodyOf } from '../capability/index.js';
import { MAX_BLOCK_TXS, MAX_GET_BLOCKS, MAX_HEADERS, MAX_LOCATOR, MAX_TXS_MESSAGE } from './constants.js';

const HASH = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const U53 = { type: 'integer', minimum: 0, maximum: 9007199254740991 } as const;

/** A header as JSON (docs/protocol.md §21.3). */
export const HEADER_SCHEMA = {
  type: 'object',
  properties: {
    version: { type: 'integer', minimum: 0, maximum: 4294967295 },
    height: { type: 'integer', minimum: 0, maximum: 4294967295 },
    prev: HASH,
    merkleRoot: HASH,
    stateRoot: HASH,
    time: U53,
    target: HASH,
    nonce: U53,
    miner: HASH,
  },
  required: ['version', 'height', 'prev', 'merkleRoot', 'stateRoot', 'time', 'target', 'nonce', 'miner'],
  additionalProperties: false,
} as const;

/** A block as JSON (§21.4). Transactions are checked one by one after the header (§21.6). */
export const BLOCK_SCHEMA = {
  type: 'object',
  properties: {
    header: HEADER_SCHEMA,
    minerKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    signature: { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' },
    txs: { type: 'array', maxItems: MAX_BLOCK_TXS, items: { type: 'object' } },
  },
  required: ['header', 'minerKey', 'signature', 'txs'],
  additionalProperties: false,
} as const;

/** `GetHeaders` (request): headers after the first locator hash on the responder's main chain. */
export const GET_HEADERS_SCHEMA = {
  type: 'object',
  properties: { locator: { type: 'array', minItems: 1, maxItems: MAX_LOCATOR, items: HASH } },
  required: ['locator'],
  additionalProperties: false,
} as const;

/** `Headers` (reply): up to 2,000 encoded headers (base64url of 184 bytes), parent first. */
export const HEADERS_SCHEMA = {
  type: 'object',
  properties: { headers: { type: 'array', maxItems: MAX_HEADERS, items: { type: 'string', pattern: '^[A-Za-z0-9_-]{246}$' } } },
  required: ['headers'],
  additionalProperties: false,
} as const;

/** `GetBlocks` (request): blocks by hash. */
export const GET_BLOCKS_SCHEMA = {
  type: 'object',
  properties: { hashes: { type: 'array', minItems: 1, maxItems: MAX_GET_BLOCKS, items: HASH } },
  required: ['hashes'],
  additionalProperties: false,
} as const;

/** `Blocks` (reply): the blocks asked for that the responder has, in the order asked. */
export const BLOCKS_SCHEMA = {
  type: 'object',
  properties: { blocks: { type: 'array', maxItems: MAX_GET_BLOCKS, items: BLOCK_SCHEMA } },
  required: ['blocks'],
  additionalProperties: false,
} as const;

/** `Txs` (notice): the sender's pending transactions, sent when a connection opens (§21.11). Each is checked as a `chain-tx` payload. */
export const TXS_SCHEMA = {
  type: 'object',
  properties: { txs: { type: 'array', minItems: 1, maxItems: MAX_TXS_MESSAGE, items: { type: 'object' } } },
  required: ['txs'],
  additionalProperties: false,
} as const;

export type TxsBody = BodyOf<typeof TXS_SCHEMA>;
export type GetHeadersBody = BodyOf<typeof GET_HEADERS_SCHEMA>;
export type HeadersBody = BodyOf<typeof HEADERS_SCHEMA>;
export type GetBlocksBody = BodyOf<typeof GET_BLOCKS_SCHEMA>;
/** Blocks are typed as `Block` after their checks; the schema is the first of them. */
export interface BlocksBody {
  blocks: unknown[];
}

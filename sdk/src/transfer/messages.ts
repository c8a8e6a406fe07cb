import type { FromSchema } from 'json-schema-to-ts';
import type { FileManifest } from './manifest.js';

/**
 * The transfer messages (docs/protocol.md §13). Body types are derived from the schemas the
 * codec checks; the manifest keeps its hand-written FileManifest type (verified by signature).
 */

/** GetManifest (request) -> Manifest (reply), or Error FILE_NOT_FOUND. */
export type GetManifestBody = FromSchema<typeof GET_MANIFEST_SCHEMA>;
export interface ManifestBody {
  manifest: FileManifest;
}
/** Interested (request): "I want this file; which pieces do you have?" -> Bitfield (reply) or Error FILE_NOT_FOUND. */
export type InterestedBody = FromSchema<typeof INTERESTED_SCHEMA>;
/** Bitfield (reply): the pieces the sender has verified (BEP 3 bit order, base64). */
export type BitfieldBody = FromSchema<typeof BITFIELD_SCHEMA>;
/** Have (notice): the sender has verified one more piece. */
export type HaveBody = FromSchema<typeof HAVE_SCHEMA>;
/** Request / Cancel (notices): one block; the data comes back in a binary frame. */
export type BlockBody = FromSchema<typeof BLOCK_SCHEMA>;
/** Reject (notice): the sender will not serve this block (BEP 6). */
export type RejectBody = FromSchema<typeof REJECT_SCHEMA>;

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const FILE_ID = { type: 'object', properties: { fileId: HEX64 }, required: ['fileId'], additionalProperties: false } as const;
const INDEX = { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 } as const;
const BLOCK_PROPS = { fileId: HEX64, piece: INDEX, offset: INDEX, length: { type: 'integer', minimum: 1, maximum: 16 * 1024 } } as const;

export const MANIFEST_SCHEMA = {
  type: 'object',
  properties: {
    id: HEX64,
    name: { type: 'string', minLength: 1, maxLength: 255 },
    size: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    pieceLength: { type: 'integer', minimum: 16 * 1024, maximum: 2 ** 30 },
    pieces: { type: 'array', maxItems: 8192, items: HEX64 },
    sharer: HEX64,
    sharerPublicKey: { type: 'string', minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]*$' },
    createdAt: { type: 'integer', minimum: 0 },
    signature: { type: 'string', minLength: 86, maxLength: 86, pattern: '^[A-Za-z0-9_-]*$' },
  },
  required: ['id', 'name', 'size', 'pieceLength', 'pieces', 'sharer', 'sharerPublicKey', 'createdAt', 'signature'],
  additionalProperties: false,
} as const;

export const GET_MANIFEST_SCHEMA = FILE_ID;
export const MANIFEST_REPLY_SCHEMA = {
  type: 'object',
  properties: { manifest: MANIFEST_SCHEMA },
  required: ['manifest'],
  additionalProperties: false,
} as const;
export const INTERESTED_SCHEMA = FILE_ID;
export const NOT_INTERESTED_SCHEMA = FILE_ID;
export const BITFIELD_SCHEMA = {
  type: 'object',
  properties: { fileId: HEX64, bitfield: { type: 'string', maxLength: 2048, pattern: '^[A-Za-z0-9+/]*={0,2}$' } },
  required: ['fileId', 'bitfield'],
  additionalProperties: false,
} as const;
export const HAVE_SCHEMA = {
  type: 'object',
  properties: { fileId: HEX64, piece: INDEX },
  required: ['fileId', 'piece'],
  additionalProperties: false,
} as const;
export const BLOCK_SCHEMA = {
  type: 'object',
  properties: BLOCK_PROPS,
  required: ['fileId', 'piece', 'offset', 'length'],
  additionalProperties: false,
} as const;
export const REJECT_SCHEMA = {
  type: 'object',
  properties: { ...BLOCK_PROPS, reason: { type: 'string', maxLength: 200 } },
  required: ['fileId', 'piece', 'offset', 'length', 'reason'],
  additionalProperties: false,
} as const;

import type { SchemaObject } from 'ajv';
import type { FileManifest } from './manifest.js';

/** GetManifest (request) -> Manifest (reply), or Error FILE_NOT_FOUND. */
export interface GetManifestBody {
  fileId: string;
}
export interface ManifestBody {
  manifest: FileManifest;
}
/** Interested (request): "I want this file; which pieces do you have?" -> Bitfield (reply) or Error FILE_NOT_FOUND. */
export interface InterestedBody {
  fileId: string;
}
/** Bitfield (reply): the pieces the sender has verified (BEP 3 bit order, base64). */
export interface BitfieldBody {
  fileId: string;
  bitfield: string;
}
/** Have (notice): the sender has verified one more piece. */
export interface HaveBody {
  fileId: string;
  piece: number;
}
/** Request / Cancel (notices): one block; the data comes back in a binary frame. */
export interface BlockBody {
  fileId: string;
  piece: number;
  offset: number;
  length: number;
}
/** Reject (notice): the sender will not serve this block (BEP 6). */
export interface RejectBody extends BlockBody {
  reason: string;
}

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const FILE_ID = { type: 'object', properties: { fileId: HEX64 }, required: ['fileId'], additionalProperties: false };
const INDEX = { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 };
const BLOCK_PROPS = { fileId: HEX64, piece: INDEX, offset: INDEX, length: { type: 'integer', minimum: 1, maximum: 16 * 1024 } };

export const MANIFEST_SCHEMA: SchemaObject = {
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
};

export const GET_MANIFEST_SCHEMA: SchemaObject = FILE_ID;
export const MANIFEST_REPLY_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { manifest: MANIFEST_SCHEMA },
  required: ['manifest'],
  additionalProperties: false,
};
export const INTERESTED_SCHEMA: SchemaObject = FILE_ID;
export const NOT_INTERESTED_SCHEMA: SchemaObject = FILE_ID;
export const BITFIELD_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { fileId: HEX64, bitfield: { type: 'string', maxLength: 2048, pattern: '^[A-Za-z0-9+/]*={0,2}$' } },
  required: ['fileId', 'bitfield'],
  additionalProperties: false,
};
export const HAVE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { fileId: HEX64, piece: INDEX },
  required: ['fileId', 'piece'],
  additionalProperties: false,
};
export const BLOCK_SCHEMA: SchemaObject = {
  type: 'object',
  properties: BLOCK_PROPS,
  required: ['fileId', 'piece', 'offset', 'length'],
  additionalProperties: false,
};
export const REJECT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { ...BLOCK_PROPS, reason: { type: 'string', maxLength: 200 } },
  required: ['fileId', 'piece', 'offset', 'length', 'reason'],
  additionalProperties: false,
};

import type { FromSchema } from 'json-schema-to-ts';

/**
 * The contract messages (docs/protocol.md §12). Each body type is derived from its schema, so
 * the schema the codec checks and the type a handler sees cannot drift apart.
 */

/** GetContracts (request): "send me your contracts changed after `since`". See GET_CONTRACTS_SCHEMA. */
export type GetContractsBody = FromSchema<typeof GET_CONTRACTS_SCHEMA>;
/** Contracts (reply to GetContracts): one page of records; `cursor` is the next `since`. */
export type ContractsBody = FromSchema<typeof CONTRACTS_SCHEMA>;
/** NewContract / UpdateContract (request): a deploy or a state change, the whole signed record. */
export type ContractBody = FromSchema<typeof CONTRACT_SCHEMA>;
/** ContractAck (reply): the record is durably stored (or was already, or is older than ours). */
export type ContractAckBody = FromSchema<typeof CONTRACT_ACK_SCHEMA>;

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const B64URL = '^[A-Za-z0-9_-]*$';
const MS = { type: 'integer', minimum: 0, maximum: 8.64e15 } as const;

export const HLC_SCHEMA = {
  type: 'object',
  properties: { time: MS, counter: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 }, nodeId: HEX64 },
  required: ['time', 'counter', 'nodeId'],
  additionalProperties: false,
} as const;

/** Shape and size of a record on the wire; hashes and the signature are checked by verifyRecord. */
export const RECORD_SCHEMA = {
  type: 'object',
  properties: {
    address: HEX64,
    name: { type: 'string', minLength: 1, maxLength: 64 },
    source: { type: 'string', maxLength: 64 * 1024 },
    sourceHash: HEX64,
    functions: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 128 } },
    deployer: HEX64,
    nonce: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    createdAt: MS,
    state: { type: 'object' },
    stateHash: HEX64,
    seq: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    version: HLC_SCHEMA,
    updatedAt: MS,
    updaterPublicKey: { type: 'string', minLength: 43, maxLength: 43, pattern: B64URL },
    signature: { type: 'string', minLength: 86, maxLength: 86, pattern: B64URL },
  },
  required: [
    'address', 'name', 'source', 'sourceHash', 'functions', 'deployer', 'nonce', 'createdAt',
    'state', 'stateHash', 'seq', 'version', 'updatedAt', 'updaterPublicKey', 'signature',
  ],
  additionalProperties: false,
} as const;

export const GET_CONTRACTS_SCHEMA = {
  type: 'object',
  properties: {
    since: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    epoch: { type: ['string', 'null'], pattern: '^[0-9a-f]{32}$' },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    /**
     * Optional: the requester's own store epoch. When it equals the epoch the responder last
     * synced from the requester, the responder leaves out the versions it got from the
     * requester (it has them).
     */
    requesterEpoch: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  },
  required: ['since', 'epoch', 'limit'],
  additionalProperties: false,
} as const;

export const CONTRACTS_SCHEMA = {
  type: 'object',
  properties: {
    epoch: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    contracts: { type: 'array', maxItems: 1000, items: RECORD_SCHEMA },
    cursor: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    more: { type: 'boolean' },
  },
  required: ['epoch', 'contracts', 'cursor', 'more'],
  additionalProperties: false,
} as const;

export const CONTRACT_SCHEMA = {
  type: 'object',
  properties: { contract: RECORD_SCHEMA },
  required: ['contract'],
  additionalProperties: false,
} as const;

export const CONTRACT_ACK_SCHEMA = {
  type: 'object',
  properties: {
    address: HEX64,
    version: HLC_SCHEMA,
    result: { enum: ['new', 'updated', 'unchanged', 'older'] },
  },
  required: ['address', 'version', 'result'],
  additionalProperties: false,
} as const;

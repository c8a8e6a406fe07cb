import type { SchemaObject } from 'ajv';
import type { HlcTimestamp } from '../clock/index.js';
import type { ContractRecord } from './record.js';

/** GetContracts (request): "send me your contracts changed after `since`". */
export interface GetContractsBody {
  /** The responder's change sequence to continue after; 0 for everything. */
  since: number;
  /** The responder epoch `since` belongs to, or null. A different epoch restarts from 0. */
  epoch: string | null;
  /** Most records wanted in this page. */
  limit: number;
}

/** Contracts (reply to GetContracts): one page of records. */
export interface ContractsBody {
  /** The responder's store epoch (changes if its database is replaced). */
  epoch: string;
  contracts: ContractRecord[];
  /** The change sequence of the last record in this page: the next `since`. */
  cursor: number;
  /** True when more pages follow. */
  more: boolean;
}

/** NewContract / UpdateContract (request): a deploy or a state change, the whole signed record. */
export interface ContractBody {
  contract: ContractRecord;
}

/** ContractAck (reply): the record is durably stored (or was already, or is older than ours). */
export interface ContractAckBody {
  address: string;
  version: HlcTimestamp;
  result: 'new' | 'updated' | 'unchanged' | 'older';
}

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const B64URL = '^[A-Za-z0-9_-]*$';
const MS = { type: 'integer', minimum: 0, maximum: 8.64e15 };

export const HLC_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { time: MS, counter: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 }, nodeId: HEX64 },
  required: ['time', 'counter', 'nodeId'],
  additionalProperties: false,
};

/** Shape and size of a record on the wire; hashes and the signature are checked by verifyRecord. */
export const RECORD_SCHEMA: SchemaObject = {
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
};

export const GET_CONTRACTS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    since: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    epoch: { type: ['string', 'null'], pattern: '^[0-9a-f]{32}$' },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['since', 'epoch', 'limit'],
  additionalProperties: false,
};

export const CONTRACTS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    epoch: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    contracts: { type: 'array', maxItems: 1000, items: RECORD_SCHEMA },
    cursor: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    more: { type: 'boolean' },
  },
  required: ['epoch', 'contracts', 'cursor', 'more'],
  additionalProperties: false,
};

export const CONTRACT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { contract: RECORD_SCHEMA },
  required: ['contract'],
  additionalProperties: false,
};

export const CONTRACT_ACK_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    address: HEX64,
    version: HLC_SCHEMA,
    result: { enum: ['new', 'updated', 'unchanged', 'older'] },
  },
  required: ['address', 'version', 'result'],
  additionalProperties: false,
};

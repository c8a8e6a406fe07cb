import { createHash } from 'node:crypto';
import { compareHlc, type HlcTimestamp } from '../clock/index.js';
import { keyBelongsTo, type Identity, verifySignature, verifySignatureAsync } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { MAX_NAME_LENGTH, MAX_SOURCE_BYTES, MAX_STATE_BYTES } from './constants.js';
import { InvalidContractRecordError } from './errors.js';

/** The `purpose` string bound into every contract record signature (domain separation). */
export const RECORD_PURPOSE = 'plexus-contract';

/**
 * A contract as nodes store and exchange it: immutable identity (address, name, source,
 * deployer, nonce), the replicated state with its version, and the signature of whoever
 * made this version. Times are ms since epoch; hashes are lowercase hex SHA-256.
 */
export interface ContractRecord {
  /** hex SHA-256 of JCS({deployer, sourceHash, nonce}). */
  address: string;
  name: string;
  source: string;
  /** hex SHA-256 of the source's UTF-8 bytes. */
  sourceHash: string;
  /** Exported function names, sorted. */
  functions: string[];
  /** Node ID of the deployer. */
  deployer: string;
  /** 32 hex characters chosen by the deployer, so one source can be deployed many times. */
  nonce: string;
  createdAt: number;
  /** The contract's JSON state (an object). */
  state: Record<string, unknown>;
  /** hex SHA-256 of JCS(state). */
  stateHash: string;
  /** State changes since deploy (0 for the deployed state). For display and sanity, not for ordering. */
  seq: number;
  /** The hybrid logical clock of this version; `version.nodeId` is the node that made it. */
  version: HlcTimestamp;
  /** Wall time of the updater when it made this version (display only). */
  updatedAt: number;
  /** Public key of `version.nodeId` (base64url, raw 32 bytes); its SHA-256 is that node ID. */
  updaterPublicKey: string;
  /** Ed25519 signature (base64url) over JCS of the record without `signature`, plus `purpose`. */
  signature: string;
}

export type UnsignedRecord = Omit<ContractRecord, 'signature'>;

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sourceHashOf(source: string): string {
  return sha256Hex(Buffer.from(source, 'utf8'));
}

export function stateHashOf(state: unknown): string {
  return sha256Hex(canonicalBytes(state));
}

export function contractAddress(deployer: string, sourceHash: string, nonce: string): string {
  return sha256Hex(canonicalBytes({ deployer, sourceHash, nonce }));
}

function signingPayload(record: UnsignedRecord): Buffer {
  const { ...unsigned } = record as UnsignedRecord & { signature?: string };
  delete unsigned.signature;
  return canonicalBytes({ purpose: RECORD_PURPOSE, ...unsigned });
}

/** Sign a record as `identity` (which must be `version.nodeId`). */
export function signRecord(record: UnsignedRecord, identity: Identity): ContractRecord {
  return { ...record, signature: identity.sign(signingPayload(record)) };
}

/**
 * Check everything a receiver can check without running code: sizes, source hash, state
 * hash, address derivation, updater key and signature.
 * @throws InvalidContractRecordError naming the first check that failed
 */
export function verifyRecord(record: ContractRecord): void {
  const payload = checkRecord(record);
  if (!verifySignature(record.updaterPublicKey, payload, record.signature)) failRecord(record, 'signature does not verify');
}

/**
 * verifyRecord with the Ed25519 verification on libuv's thread pool (node:crypto's verify
 * with a callback), so that a page of records is verified on every core while the event loop
 * goes on. Rejects with InvalidContractRecordError like verifyRecord throws.
 */
export async function verifyRecordAsync(record: ContractRecord): Promise<void> {
  const payload = checkRecord(record);
  if (!(await verifySignatureAsync(record.updaterPublicKey, payload, record.signature))) failRecord(record, 'signature does not verify');
}

function failRecord(record: ContractRecord, why: string): never {
  throw new InvalidContractRecordError(`contract ${String(record.address).slice(0, 12)}: ${why}`);
}

/** Every check but the signature; returns the bytes the signature must cover. */
function checkRecord(record: ContractRecord): Buffer {
  const fail = (why: string): never => failRecord(record, why);
  if ([...record.name].length > MAX_NAME_LENGTH) fail('name too long');
  if (Buffer.byteLength(record.source) > MAX_SOURCE_BYTES) fail('source too large');
  if (sourceHashOf(record.source) !== record.sourceHash) fail('sourceHash does not match the source');
  let stateBytes: Buffer;
  try {
    stateBytes = canonicalBytes(record.state);
  } catch (err) {
    // e.g. a number that is not a finite double (1E400 parses to Infinity): no canonical form.
    return fail(`state has no canonical JSON: ${(err as Error).message}`);
  }
  if (stateBytes.length > MAX_STATE_BYTES) fail('state too large');
  if (sha256Hex(stateBytes) !== record.stateHash) fail('stateHash does not match the state');
  if (contractAddress(record.deployer, record.sourceHash, record.nonce) !== record.address) fail('address is not derived from deployer, sourceHash and nonce');
  if (!keyBelongsTo(record.updaterPublicKey, record.version.nodeId)) fail('updaterPublicKey does not belong to version.nodeId');
  return signingPayload(record);
}

/**
 * Last-writer-wins order of two versions of one contract: by hybrid logical clock
 * (time, counter, nodeId), then by stateHash so that even a forged duplicate clock has one
 * deterministic winner. Positive when `a` wins.
 */
export function compareRecords(a: Pick<ContractRecord, 'version' | 'stateHash'>, b: Pick<ContractRecord, 'version' | 'stateHash'>): number {
  return compareHlc(a.version, b.version) || (a.stateHash < b.stateHash ? -1 : a.stateHash > b.stateHash ? 1 : 0);
}

/** The fields a list shows (no source, no state). */
export interface ContractSummary {
  address: string;
  name: string;
  functions: string[];
  deployer: string;
  seq: number;
  version: HlcTimestamp;
  stateHash: string;
  createdAt: number;
  updatedAt: number;
}

export function summarize(r: ContractRecord): ContractSummary {
  return {
    address: r.address,
    name: r.name,
    functions: r.functions,
    deployer: r.deployer,
    seq: r.seq,
    version: r.version,
    stateHash: r.stateHash,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

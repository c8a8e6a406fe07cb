import { createHash } from 'node:crypto';
import { keyBelongsTo, type Identity, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { CHAIN_PENALTY, MAX_TX_BYTES, TX_PURPOSE } from './constants.js';
import { TxRejectedError } from './errors.js';

/** Fields every transaction has (docs/protocol.md §21.2). Amounts and fees are integers of the smallest unit. */
interface TxBase {
  /** Genesis block hash of the chain it is meant for (replay protection across chains). */
  chain: string;
  /** Node ID of the sender (hex SHA-256 of `fromKey`). */
  from: string;
  /** The sender's Ed25519 public key, base64url of the raw 32 bytes. */
  fromKey: string;
  /** Must equal the sender's account nonce when executed; the account nonce then grows by 1. */
  nonce: number;
  /** Paid to the block's miner. */
  fee: number;
}

/** A coin transfer: `amount` from `from` to `to` (executed since slice 1). */
export interface TransferFields {
  kind: 'transfer';
  to: string;
  amount: number;
}
/** A contract deploy: `name`, JavaScript `source` and `init` arguments `args`; the contract's address is the transaction's hash (§21.14). */
export interface DeployFields {
  kind: 'deploy';
  name: string;
  source: string;
  args: unknown[];
}
/** A contract call: `method` of the contract at `contract` with `args` (§21.14). */
export interface CallFields {
  kind: 'call';
  contract: string;
  method: string;
  args: unknown[];
}

export type UnsignedTx = TxBase & (TransferFields | DeployFields | CallFields);
/** A signed transaction as nodes gossip it and blocks carry it. */
export type Transaction = UnsignedTx & { signature: string };

const HEX64 = /^[0-9a-f]{64}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;
const METHOD = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
/** 1-64 Unicode code points, no white space (JavaScript `\s`) at either end: a contract's name. */
const NAME = /^(?=\S)[\s\S]{1,64}(?<=\S)$/u;
const FIELDS: Record<UnsignedTx['kind'], readonly string[]> = {
  transfer: ['to', 'amount'],
  deploy: ['name', 'source', 'args'],
  call: ['contract', 'method', 'args'],
};
const BASE = ['kind', 'chain', 'from', 'fromKey', 'nonce', 'fee', 'signature'];

/** The content a hash and a signature cover: every field but `signature`, in a fresh object. */
export function txContent(tx: UnsignedTx): UnsignedTx {
  const { signature: _omit, ...rest } = tx as Transaction;
  return rest as UnsignedTx;
}

/** Transaction hash: lowercase hex SHA-256 of JCS(content) (RFC 8785). */
export function txHash(tx: UnsignedTx): string {
  return createHash('sha256').update(canonicalBytes(txContent(tx))).digest('hex');
}

/** The bytes the sender signs: JCS({purpose: "plexus-chain-tx", ...content}). */
export function txSigningPayload(tx: UnsignedTx): Buffer {
  return canonicalBytes({ purpose: TX_PURPOSE, ...txContent(tx) });
}

/** Bytes of a transaction's canonical JSON: the size its fee rate divides by. */
export function txSize(tx: Transaction): number {
  return canonicalBytes(tx).length;
}

/** Sign a transaction as `identity` (its `from` and `fromKey` are filled in). */
export function signTx(identity: Identity, fields: { chain: string; nonce: number; fee: number } & (TransferFields | DeployFields | CallFields)): Transaction {
  const unsigned = { ...fields, from: identity.nodeId, fromKey: identity.publicKey } as UnsignedTx;
  return { ...unsigned, signature: identity.sign(txSigningPayload(unsigned)) } as Transaction;
}

const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Check a transaction's form, size, chain, key ownership and signature (docs/protocol.md
 * §21.2), in that order. Nonce and funds depend on state and are checked on execution.
 * @returns the transaction and its hash
 * @throws TxRejectedError INVALID_TX (penalty CHAIN_PENALTY.INVALID_TX)
 */
export function verifyTx(value: unknown, chain: string): { tx: Transaction; hash: string; size: number } {
  const bad = (why: string): never => {
    throw new TxRejectedError('INVALID_TX', why, CHAIN_PENALTY.INVALID_TX);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not an object');
  const t = value as Record<string, unknown>;
  const kind = t.kind;
  if (kind !== 'transfer' && kind !== 'deploy' && kind !== 'call') return bad('kind is not transfer, deploy or call');
  const expected = [...BASE, ...FIELDS[kind]];
  const keys = Object.keys(t);
  if (keys.length !== expected.length || !expected.every((f) => Object.prototype.hasOwnProperty.call(t, f))) bad(`fields must be exactly ${expected.join(', ')}`);
  if (t.chain !== chain) bad('chain is not this chain\'s genesis hash');
  if (typeof t.from !== 'string' || !HEX64.test(t.from)) bad('from is not a node ID');
  if (typeof t.fromKey !== 'string' || !KEY.test(t.fromKey)) bad('fromKey is not a base64url Ed25519 public key');
  if (!isAmount(t.nonce)) bad('nonce is not an integer 0..2^53-1');
  if (!isAmount(t.fee)) bad('fee is not an integer 0..2^53-1');
  if (typeof t.signature !== 'string' || !SIG.test(t.signature)) bad('signature is not a base64url Ed25519 signature');
  if (kind === 'transfer') {
    if (typeof t.to !== 'string' || !HEX64.test(t.to)) bad('to is not a node ID');
    if (!isAmount(t.amount)) bad('amount is not an integer 0..2^53-1');
  } else {
    if (!Array.isArray(t.args)) bad('args is not an array');
    if (kind === 'deploy') {
      if (typeof t.source !== 'string' || t.source.length === 0) bad('source is not a non-empty string');
      if (typeof t.name !== 'string' || !NAME.test(t.name)) bad('name is not 1-64 characters without leading or trailing spaces');
    }
    if (kind === 'call') {
      if (typeof t.contract !== 'string' || !HEX64.test(t.contract)) bad('contract is not a 64-hex address');
      if (typeof t.method !== 'string' || !METHOD.test(t.method)) bad('method is not an identifier');
    }
  }
  const tx = t as unknown as Transaction;
  let size: number;
  try {
    size = txSize(tx);
  } catch {
    return bad('has no canonical JSON form');
  }
  if (size > MAX_TX_BYTES) bad(`larger than ${MAX_TX_BYTES} bytes`);
  if (!keyBelongsTo(tx.fromKey, tx.from)) bad('fromKey does not belong to from');
  if (!verifySignature(tx.fromKey, txSigningPayload(tx), tx.signature)) bad('signature does not verify');
  return { tx, hash: txHash(tx), size };
}

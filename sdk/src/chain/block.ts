import { createHash } from 'node:crypto';
import { type Identity, keyBelongsTo, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { BLOCK_PURPOSE, BLOCK_VERSION, HEADER_BYTES } from './constants.js';
import type { Transaction } from './tx.js';

/**
 * A block header (docs/protocol.md §21.3). Hashes are lowercase hex; `time` is ms since the
 * epoch; `target` is a 256-bit big-endian number as 64 hex digits.
 */
export interface BlockHeader {
  version: number;
  height: number;
  /** Hash of the parent block (64 zeros for genesis). */
  prev: string;
  /** RFC 6962 Merkle tree hash over the transaction hashes (§21.5). */
  merkleRoot: string;
  /** Commitment to every account after executing the block (§21.7). */
  stateRoot: string;
  time: number;
  target: string;
  /** 0..2^53-1, encoded as an unsigned 64-bit integer. */
  nonce: number;
  /** Node ID credited with the reward and the fees. */
  miner: string;
}

/** A block: its header, the miner's key and signature, the transactions. */
export interface Block {
  header: BlockHeader;
  /** The miner's Ed25519 public key (base64url); its SHA-256 is `header.miner`. */
  minerKey: string;
  /** Ed25519 over JCS({purpose: "plexus-chain-block", hash}) by the miner. */
  signature: string;
  txs: Transaction[];
}

export const ZERO_HASH = '0'.repeat(64);

/**
 * The 184 header bytes: version u32 | height u32 | prev 32 | merkleRoot 32 | stateRoot 32 |
 * time u64 | target 32 | nonce u64 | miner 32, integers big-endian.
 */
export function encodeHeader(h: BlockHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32BE(h.version, 0);
  b.writeUInt32BE(h.height, 4);
  b.write(h.prev, 8, 32, 'hex');
  b.write(h.merkleRoot, 40, 32, 'hex');
  b.write(h.stateRoot, 72, 32, 'hex');
  b.writeBigUInt64BE(BigInt(h.time), 104);
  b.write(h.target, 112, 32, 'hex');
  b.writeBigUInt64BE(BigInt(h.nonce), 144);
  b.write(h.miner, 152, 32, 'hex');
  return b;
}

/** Decode 184 header bytes. @throws RangeError for another length or a number beyond 2^53-1 */
export function decodeHeader(b: Buffer): BlockHeader {
  if (b.length !== HEADER_BYTES) throw new RangeError(`a header is ${HEADER_BYTES} bytes, not ${b.length}`);
  const big = (o: number): number => {
    const v = b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('a header number exceeds 2^53-1');
    return Number(v);
  };
  return {
    version: b.readUInt32BE(0),
    height: b.readUInt32BE(4),
    prev: b.toString('hex', 8, 40),
    merkleRoot: b.toString('hex', 40, 72),
    stateRoot: b.toString('hex', 72, 104),
    time: big(104),
    target: b.toString('hex', 112, 144),
    nonce: big(144),
    miner: b.toString('hex', 152, 184),
  };
}

/** Block hash: hex SHA-256 of the 184 header bytes. Proof of work: hash <= target, both as 256-bit big-endian numbers. */
export function blockHash(h: BlockHeader): string {
  return createHash('sha256').update(encodeHeader(h)).digest('hex');
}

/** Whether a hash meets a target (equal 64-hex strings compare as numbers). */
export function meetsTarget(hash: string, target: string): boolean {
  return hash <= target;
}

/** Work of one block: floor(2^256 / (target + 1)) (Bitcoin's GetBlockProof). */
export function blockWork(target: string): bigint {
  return (1n << 256n) / (BigInt('0x' + target) + 1n);
}

/** A bigint as 64 hex digits (cumulative work, targets). */
export function hex256(n: bigint): string {
  return n.toString(16).padStart(64, '0');
}

const sha = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * Merkle tree hash of RFC 6962 §2.1 over the transaction hashes (32 raw bytes each): empty
 * list -> SHA-256(""); one leaf d -> SHA-256(0x00 || d); n > 1 -> SHA-256(0x01 || MTH(first
 * k) || MTH(rest)), k the largest power of two below n. No duplicated leaves (CVE-2012-2459).
 */
export function merkleRoot(txHashes: readonly string[]): string {
  const leaves = txHashes.map((h) => Buffer.from(h, 'hex'));
  const mth = (from: number, to: number): Buffer => {
    const n = to - from;
    if (n === 0) return sha();
    if (n === 1) return sha(Buffer.from([0]), leaves[from]!);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return sha(Buffer.from([1]), mth(from, from + k), mth(from + k, to));
  };
  return mth(0, leaves.length).toString('hex');
}

/** An account: balance in the smallest unit and the nonce its next transaction must carry. */
export interface Account {
  id: string;
  balance: number;
  nonce: number;
}

/** A contract of the chain state as the state root commits to it (§21.7). */
export interface ContractEntry {
  /** The deploy transaction's hash. */
  address: string;
  /** Hex SHA-256 of the source's UTF-8 bytes. */
  sourceHash: string;
  /** Hex SHA-256 of the state's canonical JSON (RFC 8785). */
  stateHash: string;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * State root (§21.7): hex SHA-256 of JCS of the list [[id, balance, nonce], ...] of every
 * account with a balance or a nonce above zero, sorted by id, followed by
 * [address, sourceHash, stateHash] of every contract, sorted by address. With no contract it
 * is slice 1's root of the accounts alone.
 */
export function stateRoot(accounts: Iterable<Account>, contracts: Iterable<ContractEntry> = []): string {
  const list = [...accounts].filter((a) => a.balance > 0 || a.nonce > 0).sort(byKey((a) => a.id));
  const entries: unknown[] = list.map((a) => [a.id, a.balance, a.nonce]);
  for (const c of [...contracts].sort(byKey((c) => c.address))) entries.push([c.address, c.sourceHash, c.stateHash]);
  return createHash('sha256').update(canonicalBytes(entries)).digest('hex');
}

/** The bytes a miner signs: JCS({hash, purpose: "plexus-chain-block"}). */
export function blockSigningPayload(hash: string): Buffer {
  return canonicalBytes({ purpose: BLOCK_PURPOSE, hash });
}

/** Sign a mined header as `identity` (its node ID must be `header.miner`). */
export function signBlock(identity: Identity, header: BlockHeader, txs: Transaction[]): Block {
  return { header, minerKey: identity.publicKey, signature: identity.sign(blockSigningPayload(blockHash(header))), txs };
}

/** Whether the miner's key belongs to `header.miner` and signed the block hash. */
export function verifyBlockSignature(block: Block, hash: string): boolean {
  return keyBelongsTo(block.minerKey, block.header.miner) && verifySignature(block.minerKey, blockSigningPayload(hash), block.signature);
}

/** The genesis header of a chain: height 0, no parent, no transactions, empty state, nonce 0, no miner. */
export function genesisHeader(time: number, target: string): BlockHeader {
  return { version: BLOCK_VERSION, height: 0, prev: ZERO_HASH, merkleRoot: merkleRoot([]), stateRoot: stateRoot([]), time, target, nonce: 0, miner: ZERO_HASH };
}

/** The tip of the main chain. */
export interface ChainHead {
  hash: string;
  height: number;
  /** Cumulative work, 64 hex digits. */
  work: string;
  stateRoot: string;
  time: number;
}

/** What accepting a block did: `connected` (now on the main chain), `side` (stored on another branch), `known`. */
export type AcceptResult = { hash: string; status: 'connected' | 'side' | 'known' };

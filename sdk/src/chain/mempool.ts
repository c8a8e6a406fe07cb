import type { Account } from './block.js';
import { MEMPOOL_MAX_FUTURE_NONCES, MEMPOOL_MAX_TXS, REPLACEMENT_BUMP_PERCENT } from './constants.js';
import { TxRejectedError } from './errors.js';
import type { Transaction } from './tx.js';

/** A transaction waiting in the mempool. */
export interface PoolEntry {
  tx: Transaction;
  hash: string;
  /** Bytes of its canonical JSON. */
  size: number;
  /** fee / size (smallest units per byte). */
  feeRate: number;
  /** When it entered this node's pool (ms since epoch). */
  addedAt: number;
}

export interface MempoolInit {
  /** Most transactions held. Default MEMPOOL_MAX_TXS. */
  maxTxs?: number;
  /** Nonces beyond the account nonce held per sender. Default MEMPOOL_MAX_FUTURE_NONCES. */
  maxFutureNonces?: number;
}

/** What a transaction costs its sender: amount plus fee (deploys and calls: the fee). */
export const txCost = (tx: Transaction): number => tx.fee + (tx.kind === 'transfer' ? tx.amount : 0);

/**
 * The pool of transactions not yet in a main-chain block (as Bitcoin Core's and geth's
 * txpools): deduplicated by hash, one transaction per (sender, nonce), ordered per sender by
 * nonce and across senders by fee rate. A replacement for a taken (sender, nonce) needs
 * REPLACEMENT_BUMP_PERCENT more fee; nonces below the account nonce are refused, those more
 * than `maxFutureNonces` above it too; at `maxTxs` the lowest fee rate that is last of its
 * sender's queue is evicted to make room for a better one.
 */
export class Mempool {
  readonly #account: (id: string) => Account;
  readonly #byHash = new Map<string, PoolEntry>();
  readonly #bySender = new Map<string, Map<number, PoolEntry>>();
  readonly maxTxs: number;
  readonly maxFutureNonces: number;

  constructor(components: { account: (id: string) => Account }, init: MempoolInit = {}) {
    this.#account = components.account;
    this.maxTxs = init.maxTxs ?? MEMPOOL_MAX_TXS;
    this.maxFutureNonces = init.maxFutureNonces ?? MEMPOOL_MAX_FUTURE_NONCES;
  }

  get size(): number {
    return this.#byHash.size;
  }

  has(hash: string): boolean {
    return this.#byHash.has(hash);
  }

  get(hash: string): PoolEntry | undefined {
    return this.#byHash.get(hash);
  }

  /**
   * Add a verified transaction.
   * @returns the hash of a transaction it replaced or evicted, or null
   * @throws TxRejectedError TX_KNOWN, TX_NONCE_TOO_LOW, TX_NONCE_TOO_HIGH,
   *   TX_INSUFFICIENT_FUNDS, TX_REPLACEMENT_UNDERPRICED, TX_POOL_FULL
   */
  add(tx: Transaction, hash: string, size: number): string | null {
    if (this.#byHash.has(hash)) throw new TxRejectedError('TX_KNOWN', `transaction ${hash} is already in the mempool`);
    const account = this.#account(tx.from);
    if (tx.nonce < account.nonce) throw new TxRejectedError('TX_NONCE_TOO_LOW', `nonce ${tx.nonce} is below the account nonce ${account.nonce}`);
    if (tx.nonce > account.nonce + this.maxFutureNonces) throw new TxRejectedError('TX_NONCE_TOO_HIGH', `nonce ${tx.nonce} is more than ${this.maxFutureNonces} above the account nonce ${account.nonce}`);
    const queue = this.#bySender.get(tx.from);
    const taken = queue?.get(tx.nonce);
    if (taken) {
      const needed = Math.ceil((taken.tx.fee * (100 + REPLACEMENT_BUMP_PERCENT)) / 100);
      if (tx.fee < needed || tx.fee === taken.tx.fee) throw new TxRejectedError('TX_REPLACEMENT_UNDERPRICED', `replacing nonce ${tx.nonce} needs a fee of at least ${Math.max(needed, taken.tx.fee + 1)}`);
    }
    let spent = txCost(tx);
    for (const e of queue?.values() ?? []) if (e.tx.nonce < tx.nonce || (e.tx.nonce > tx.nonce && e !== taken)) spent += txCost(e.tx);
    if (spent > account.balance) throw new TxRejectedError('TX_INSUFFICIENT_FUNDS', `the sender's pending transactions cost ${spent}, its balance is ${account.balance}`);
    const entry: PoolEntry = { tx, hash, size, feeRate: tx.fee / size, addedAt: Date.now() };
    let dropped: string | null = null;
    if (taken) {
      this.#remove(taken);
      dropped = taken.hash;
    } else if (this.#byHash.size >= this.maxTxs) {
      const victim = this.#evictionCandidate();
      if (!victim || victim.feeRate >= entry.feeRate) throw new TxRejectedError('TX_POOL_FULL', `the mempool holds ${this.maxTxs} transactions paying at least this fee rate`);
      this.#remove(victim);
      dropped = victim.hash;
    }
    this.#byHash.set(hash, entry);
    let q = this.#bySender.get(tx.from);
    if (!q) this.#bySender.set(tx.from, (q = new Map()));
    q.set(tx.nonce, entry);
    return dropped;
  }

  /** The lowest fee rate among the transactions last in their sender's queue. */
  #evictionCandidate(): PoolEntry | undefined {
    let worst: PoolEntry | undefined;
    for (const q of this.#bySender.values()) {
      let last: PoolEntry | undefined;
      for (const e of q.values()) if (!last || e.tx.nonce > last.tx.nonce) last = e;
      if (last && (!worst || last.feeRate < worst.feeRate)) worst = last;
    }
    return worst;
  }

  #remove(e: PoolEntry): void {
    this.#byHash.delete(e.hash);
    const q = this.#bySender.get(e.tx.from);
    q?.delete(e.tx.nonce);
    if (q?.size === 0) this.#bySender.delete(e.tx.from);
  }

  remove(hash: string): boolean {
    const e = this.#byHash.get(hash);
    if (e) this.#remove(e);
    return e !== undefined;
  }

  /** The nonce a new transaction of `from` takes: the first after its run of pooled nonces from `accountNonce`. */
  nextNonce(from: string, accountNonce: number): number {
    const q = this.#bySender.get(from);
    let n = accountNonce;
    while (q?.has(n)) n++;
    return n;
  }

  /** Drop what the head state made stale: nonces below their sender's account nonce. */
  prune(): void {
    for (const [from, q] of [...this.#bySender]) {
      const nonce = this.#account(from).nonce;
      for (const e of [...q.values()]) if (e.tx.nonce < nonce) this.#remove(e);
    }
  }

  /** Every entry, highest fee rate first. */
  list(): PoolEntry[] {
    return [...this.#byHash.values()].sort((a, b) => b.feeRate - a.feeRate || a.addedAt - b.addedAt);
  }

  /**
   * Transactions for a block template: each sender's run of consecutive nonces from its
   * account nonce, interleaved by fee rate (the best head first), that its balance covers,
   * until `maxTxs` or `maxBytes` is reached.
   */
  select(maxTxs: number, maxBytes: number): Transaction[] {
    const heads: Array<{ from: string; next: number; balance: number }> = [];
    for (const from of this.#bySender.keys()) {
      const a = this.#account(from);
      heads.push({ from, next: a.nonce, balance: a.balance });
    }
    const out: Transaction[] = [];
    let bytes = 0;
    for (;;) {
      let best: { h: (typeof heads)[number]; e: PoolEntry } | undefined;
      for (const h of heads) {
        const e = this.#bySender.get(h.from)?.get(h.next);
        if (e && txCost(e.tx) <= h.balance && (!best || e.feeRate > best.e.feeRate)) best = { h, e };
      }
      if (!best || out.length >= maxTxs || bytes + best.e.size > maxBytes) return out;
      out.push(best.e.tx);
      bytes += best.e.size + 1;
      best.h.next++;
      best.h.balance -= txCost(best.e.tx);
    }
  }
}

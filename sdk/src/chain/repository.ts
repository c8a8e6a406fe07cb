import type { Store } from '../store/index.js';
import type { Account } from './block.js';

/** A stored block's row (the block JSON stays a string until asked for). */
export interface BlockRow {
  hash: string;
  height: number;
  prev: string;
  block: string;
  work: string;
  status: 'ok' | 'invalid';
  reason: string | null;
  from_peer: string | null;
  seq: number;
}

/** Where a transaction sits on the main chain. */
export interface TxLocation {
  block: string;
  height: number;
  index: number;
}

/** The chain tables (migrations.ts). Only this class writes SQL for the chain. */
export class ChainRepository {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  block(hash: string): BlockRow | undefined {
    return this.#store.get<BlockRow & Record<string, never>>('SELECT * FROM chain_blocks WHERE hash = ?', [hash]) as BlockRow | undefined;
  }

  hasBlock(hash: string): boolean {
    return this.#store.get('SELECT 1 AS x FROM chain_blocks WHERE hash = ?', [hash]) !== undefined;
  }

  nextSeq(): number {
    return (this.#store.get<{ s: number | null }>('SELECT MAX(seq) AS s FROM chain_blocks')?.s ?? 0) + 1;
  }

  insertBlock(r: Omit<BlockRow, 'reason'>): void {
    this.#store.run('INSERT INTO chain_blocks (hash, height, prev, block, work, status, reason, from_peer, seq) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)', [
      r.hash,
      r.height,
      r.prev,
      r.block,
      r.work,
      r.status,
      r.from_peer,
      r.seq,
    ]);
  }

  /** Mark a block and every stored descendant invalid; returns the hashes marked. */
  markInvalid(hash: string, reason: string): string[] {
    const marked: string[] = [];
    const queue = [hash];
    while (queue.length > 0) {
      const h = queue.shift()!;
      this.#store.run("UPDATE chain_blocks SET status = 'invalid', reason = ? WHERE hash = ?", [h === hash ? reason : `INVALID_PARENT: descends from ${hash}`, h]);
      marked.push(h);
      for (const r of this.#store.all<{ hash: string }>('SELECT hash FROM chain_blocks WHERE prev = ?', [h])) queue.push(r.hash);
    }
    return marked;
  }

  /** The valid block with the most cumulative work, the first seen on a tie. */
  best(): BlockRow | undefined {
    return this.#store.get("SELECT * FROM chain_blocks WHERE status = 'ok' ORDER BY work DESC, seq ASC LIMIT 1") as BlockRow | undefined;
  }

  mainHash(height: number): string | undefined {
    return this.#store.get<{ hash: string }>('SELECT hash FROM chain_main WHERE height = ?', [height])?.hash;
  }

  tipHeight(): number {
    return this.#store.get<{ h: number | null }>('SELECT MAX(height) AS h FROM chain_main')?.h ?? -1;
  }

  setMain(height: number, hash: string): void {
    this.#store.run('INSERT OR REPLACE INTO chain_main (height, hash) VALUES (?, ?)', [height, hash]);
  }

  dropMain(height: number): void {
    this.#store.run('DELETE FROM chain_main WHERE height = ?', [height]);
  }

  account(id: string): Account | undefined {
    return this.#store.get<{ id: string; balance: number; nonce: number }>('SELECT id, balance, nonce FROM chain_accounts WHERE id = ?', [id]);
  }

  accounts(): Account[] {
    return this.#store.all<{ id: string; balance: number; nonce: number }>('SELECT id, balance, nonce FROM chain_accounts ORDER BY id');
  }

  /** Write an account; one with nothing (balance 0, nonce 0) is removed (§21.7). */
  putAccount(a: Account): void {
    if (a.balance === 0 && a.nonce === 0) this.#store.run('DELETE FROM chain_accounts WHERE id = ?', [a.id]);
    else this.#store.run('INSERT OR REPLACE INTO chain_accounts (id, balance, nonce) VALUES (?, ?, ?)', [a.id, a.balance, a.nonce]);
  }

  putUndo(hash: string, undo: string): void {
    this.#store.run('INSERT OR REPLACE INTO chain_undo (hash, undo) VALUES (?, ?)', [hash, undo]);
  }

  takeUndo(hash: string): string | undefined {
    const u = this.#store.get<{ undo: string }>('SELECT undo FROM chain_undo WHERE hash = ?', [hash])?.undo;
    this.#store.run('DELETE FROM chain_undo WHERE hash = ?', [hash]);
    return u;
  }

  indexTx(hash: string, loc: TxLocation): void {
    this.#store.run('INSERT OR REPLACE INTO chain_txs (hash, block, height, idx) VALUES (?, ?, ?, ?)', [hash, loc.block, loc.height, loc.index]);
  }

  unindexTx(hash: string): void {
    this.#store.run('DELETE FROM chain_txs WHERE hash = ?', [hash]);
  }

  txLocation(hash: string): TxLocation | undefined {
    const r = this.#store.get<{ block: string; height: number; idx: number }>('SELECT block, height, idx FROM chain_txs WHERE hash = ?', [hash]);
    return r ? { block: r.block, height: r.height, index: r.idx } : undefined;
  }

  transaction<T>(fn: () => T): T {
    return this.#store.transaction(fn);
  }
}

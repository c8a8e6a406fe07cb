import type { Store } from '../store/index.js';
import type { Account, ContractEntry } from './block.js';

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

/** A contract of the head state (table chain_contracts). */
export interface ChainContract extends ContractEntry {
  name: string;
  source: string;
  functions: string[];
  deployer: string;
  /** Height of the block that deployed it. */
  height: number;
  state: Record<string, unknown>;
}

interface ContractRow {
  address: string;
  name: string;
  source: string;
  source_hash: string;
  functions: string;
  deployer: string;
  height: number;
  state: string;
  state_hash: string;
}

const toContract = (r: ContractRow): ChainContract => ({
  address: r.address,
  name: r.name,
  source: r.source,
  sourceHash: r.source_hash,
  functions: JSON.parse(r.functions) as string[],
  deployer: r.deployer,
  height: r.height,
  state: JSON.parse(r.state) as Record<string, unknown>,
  stateHash: r.state_hash,
});

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

  /** Keep a transaction submitted through this node until it is buried (chain.ts, LOCAL_TX_DEPTH). */
  insertLocalTx(hash: string, tx: string, added: number): void {
    this.#store.run('INSERT OR IGNORE INTO chain_local_txs (hash, tx, added) VALUES (?, ?, ?)', [hash, tx, added]);
  }

  /** The transactions submitted through this node not yet buried, oldest first. */
  localTxs(): Array<{ hash: string; tx: string }> {
    return this.#store.all<{ hash: string; tx: string }>('SELECT hash, tx FROM chain_local_txs ORDER BY added, hash');
  }

  deleteLocalTx(hash: string): void {
    this.#store.run('DELETE FROM chain_local_txs WHERE hash = ?', [hash]);
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

  /** Index a main-chain transaction with its receipt (JSON text). */
  indexTx(hash: string, loc: TxLocation, receipt: string): void {
    this.#store.run('INSERT OR REPLACE INTO chain_txs (hash, block, height, idx, receipt) VALUES (?, ?, ?, ?, ?)', [hash, loc.block, loc.height, loc.index, receipt]);
  }

  /** The stored receipt of a main-chain transaction (JSON text), null for a row written before receipts were kept. */
  receipt(hash: string): string | null {
    return this.#store.get<{ receipt: string | null }>('SELECT receipt FROM chain_txs WHERE hash = ?', [hash])?.receipt ?? null;
  }

  contract(address: string): ChainContract | undefined {
    const r = this.#store.get<ContractRow & Record<string, never>>('SELECT * FROM chain_contracts WHERE address = ?', [address]) as ContractRow | undefined;
    return r && toContract(r);
  }

  /** Every contract of the head state, by address. */
  contracts(): ChainContract[] {
    return (this.#store.all<ContractRow & Record<string, never>>('SELECT * FROM chain_contracts ORDER BY address') as ContractRow[]).map(toContract);
  }

  /** address, sourceHash, stateHash of every contract: what the state root commits to. */
  contractEntries(): ContractEntry[] {
    return this.#store
      .all<{ address: string; source_hash: string; state_hash: string }>('SELECT address, source_hash, state_hash FROM chain_contracts ORDER BY address')
      .map((r) => ({ address: r.address, sourceHash: r.source_hash, stateHash: r.state_hash }));
  }

  putContract(c: ChainContract): void {
    this.#store.run(
      'INSERT OR REPLACE INTO chain_contracts (address, name, source, source_hash, functions, deployer, height, state, state_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [c.address, c.name, c.source, c.sourceHash, JSON.stringify(c.functions), c.deployer, c.height, JSON.stringify(c.state), c.stateHash],
    );
  }

  deleteContract(address: string): void {
    this.#store.run('DELETE FROM chain_contracts WHERE address = ?', [address]);
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

/**
 * The calls of the chain contracts this window follows (docs/contracts.md, "Two modes"): each
 * is a transaction, pending until a block includes it, then confirmed with its receipt.
 *
 * Data flow: a call sent from this window (track()) and every `call` transaction of the
 * mempool (the chain model's snapshot, GET /chain/mempool, read again on chain events) enter
 * as pending; `tx:confirmed` (the chain model's onDidConfirm) confirms a known one with its
 * receipt (block height, status, result, gas, error); the transactions a `contract:update`
 * names that this window has not seen (calls from other nodes mined elsewhere) are read once
 * (GET /chain/txs/{hash}). A pending call that left the mempool without a `tx:confirmed` seen
 * here (it came before track() returned, or the transaction was dropped) is read once when the
 * snapshot no longer lists it; a confirmed call that a reorg sent back to the mempool is
 * pending again. Nothing polls. At most CALLS_PER_CONTRACT calls are kept per contract.
 */
import * as vscode from 'vscode';
import type { ChainContractEvent, Transaction, TxConfirmedEvent, TxStatus } from '@plexus/sdk';
import type { ChainModel, MempoolEntry } from '../chain/model';
import type { NodeModel } from '../node/model';

/** Calls kept per contract (the newest). */
export const CALLS_PER_CONTRACT = 20;

/** A call of a chain contract and where it stands. */
export interface ContractCall {
  /** Transaction hash (64 hex). */
  hash: string;
  contract: string;
  method: string;
  args: unknown[];
  /** Sender (node ID). */
  from: string;
  fee: number;
  /** Sent from this window. */
  own: boolean;
  /** When this window first saw it (ms since the epoch). */
  seenAt: number;
  status: 'pending' | 'confirmed';
  /** Its receipt once confirmed: block, height, index in the block, and what executing it did. */
  receipt: Omit<TxConfirmedEvent, 'hash' | 'contract'> | null;
}

export class ContractCalls implements vscode.Disposable {
  readonly #calls = new Map<string, ContractCall>();
  /** Hashes being read (GET /chain/txs/{hash}), so one read per hash at a time. */
  readonly #reading = new Set<string>();
  readonly #subscriptions: vscode.Disposable[];
  readonly #onDidChange = new vscode.EventEmitter<string>();
  /** The calls of a contract changed (its address). */
  readonly onDidChange = this.#onDidChange.event;

  constructor(
    private readonly chain: ChainModel,
    private readonly model: NodeModel,
  ) {
    this.#subscriptions = [
      chain.onDidConfirm((e) => this.#confirm(e)),
      chain.onDidChange(() => this.#syncMempool()),
      model.onDidReceiveChainContract((e) => this.#onContractEvent(e)),
      model.onDidChangeNode(() => {
        if (model.client) return;
        const addresses = new Set([...this.#calls.values()].map((c) => c.contract));
        this.#calls.clear();
        for (const a of addresses) this.#onDidChange.fire(a);
      }),
    ];
  }

  /** Calls of the contract at `address`: pending ones first (newest first), then confirmed ones, newest block first. */
  of(address: string): ContractCall[] {
    return [...this.#calls.values()].filter((c) => c.contract === address).sort(order);
  }

  /** A call sent from this window (POST /contracts/{address}/call with `wait: false`). */
  track(status: TxStatus): ContractCall | undefined {
    const tx = status.tx;
    if (tx.kind !== 'call') return undefined;
    const known = this.#calls.get(status.hash);
    if (known) {
      known.own = true;
      return known;
    }
    const call = this.#add(tx, status.hash, true);
    if (status.receipt) this.#setReceipt(call, { ...status.receipt });
    this.#onDidChange.fire(call.contract);
    return call;
  }

  get(hash: string): ContractCall | undefined {
    return this.#calls.get(hash);
  }

  #add(tx: Pick<Extract<Transaction, { kind: 'call' }>, 'contract' | 'method' | 'args' | 'from' | 'fee'>, hash: string, own: boolean): ContractCall {
    const call: ContractCall = { hash, contract: tx.contract, method: tx.method, args: tx.args, from: tx.from, fee: tx.fee, own, seenAt: Date.now(), status: 'pending', receipt: null };
    this.#calls.set(hash, call);
    const mine = this.of(tx.contract);
    for (const old of mine.slice(CALLS_PER_CONTRACT)) this.#calls.delete(old.hash);
    return call;
  }

  #setReceipt(call: ContractCall, r: Omit<TxConfirmedEvent, 'hash'> & { confirmations?: number }): void {
    call.status = 'confirmed';
    call.receipt = { block: r.block, height: r.height, index: r.index, status: r.status, result: r.result, gasUsed: r.gasUsed, error: r.error };
  }

  #confirm(e: TxConfirmedEvent): void {
    const call = this.#calls.get(e.hash);
    if (!call) return;
    this.#setReceipt(call, e);
    this.#onDidChange.fire(call.contract);
  }

  /** The mempool's `call` transactions are pending; a pending call no longer there is read once. */
  #syncMempool(): void {
    const pool = this.chain.snapshot?.mempool;
    if (!pool) return;
    const changed = new Set<string>();
    const inPool = new Set<string>();
    for (const e of pool) {
      inPool.add(e.hash);
      if (e.kind !== 'call' || !isCallEntry(e)) continue;
      const known = this.#calls.get(e.hash);
      if (!known) {
        if (!this.model.contract(e.contract)) continue;
        this.#add({ contract: e.contract, method: e.method, args: e.args, from: e.from, fee: e.fee }, e.hash, false);
        changed.add(e.contract);
      } else if (known.status === 'confirmed') {
        // A reorg took its block off the main chain: it waits for another.
        known.status = 'pending';
        known.receipt = null;
        changed.add(known.contract);
      }
    }
    for (const call of this.#calls.values()) if (call.status === 'pending' && !inPool.has(call.hash)) this.#read(call.hash, call.contract);
    for (const a of changed) this.#onDidChange.fire(a);
  }

  /** The transactions a chain contract's event names that this window has not seen (calls from elsewhere). */
  #onContractEvent(e: ChainContractEvent): void {
    for (const hash of e.txs) if (hash !== e.address && !this.#calls.has(hash)) this.#read(hash, e.address);
  }

  /** Read one transaction (GET /chain/txs/{hash}): record it, or drop a pending call the node no longer knows. */
  #read(hash: string, contract: string): void {
    if (this.#reading.has(hash) || !this.chain.client) return;
    this.#reading.add(hash);
    this.chain.tx(hash).then(
      (status) => {
        const tx = status.tx;
        if (tx.kind !== 'call' || !this.model.contract(tx.contract)) return;
        const call = this.#calls.get(hash) ?? this.#add(tx, hash, false);
        if (status.receipt) this.#setReceipt(call, status.receipt);
        this.#onDidChange.fire(call.contract);
      },
      (err: { code?: string }) => {
        const call = this.#calls.get(hash);
        if (err.code !== 'NOT_FOUND' || !call || call.status !== 'pending') return;
        // Dropped from the mempool (replaced, or no longer valid): not a call any more.
        this.#calls.delete(hash);
        this.#onDidChange.fire(contract);
      },
    ).finally(() => this.#reading.delete(hash));
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChange.dispose();
  }
}

function isCallEntry(e: MempoolEntry): e is MempoolEntry & { contract: string; method: string; args: unknown[] } {
  return typeof e.contract === 'string' && typeof e.method === 'string' && Array.isArray(e.args);
}

function order(a: ContractCall, b: ContractCall): number {
  if (a.status !== b.status) return a.status === 'pending' ? -1 : 1;
  if (a.receipt && b.receipt) return b.receipt.height - a.receipt.height || b.receipt.index - a.receipt.index;
  return b.seenAt - a.seenAt;
}

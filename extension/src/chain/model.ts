/**
 * What this window knows about its node's chain (docs/api.md §6.33-6.41), kept up to date from
 * the node's event stream.
 *
 * Data flow: when the node model follows a node, load() reads whether it runs the `chain`
 * capability (GET /node `capabilities`) and, if so, one snapshot: the head (GET /chain/head),
 * the newest blocks (GET /chain/blocks?limit=RECENT_BLOCKS), the mempool (GET /chain/mempool)
 * and this node's account (GET /chain/accounts/{nodeId}). After that only events read it again:
 * `chain:block`, `chain:reorg`, `tx:confirmed`, and `gossip:message` of topic `chain-tx` (a
 * transaction entered the mempool) each ask for a refresh, coalesced so a burst of events costs
 * at most two reads (one in flight, one queued). A block's transactions are read when its row
 * is expanded (GET /chain/blocks/{hash}) and kept: a block never changes. Nothing polls.
 */
import * as vscode from 'vscode';
import { CoalescedRead } from '../node/coalesced';
import type { Account, Block, BlockSummary, ChainHead, NodeInfo, Transaction, TxConfirmedEvent, TxStatus, TypedApiClient } from '@plexus/sdk';

/** Blocks the Chain view lists, newest first. */
export const RECENT_BLOCKS = 20;
/** Blocks whose transactions are kept after a row was expanded. */
const BLOCK_CACHE = 64;


/** One row of GET /chain/mempool (§6.38). */
export interface MempoolEntry {
  hash: string;
  kind: Transaction['kind'];
  from: string;
  nonce: number;
  fee: number;
  /** Bytes of canonical JSON. */
  size: number;
  feeRate: number;
  addedAt: number;
  /** A transfer's recipient and amount. */
  to?: string;
  amount?: number;
  /** A deploy's contract name. */
  name?: string;
  /** A call's contract, function and arguments. */
  contract?: string;
  method?: string;
  args?: unknown[];
}

export interface ChainSnapshot {
  head: ChainHead;
  genesis: string;
  /** The node's mining mode: `manual`, `automine` or `interval`. */
  mode: string;
  blocks: BlockSummary[];
  mempool: MempoolEntry[];
  /** This node's account in the head state. */
  account: { balance: number; nonce: number };
}

/** `tx:confirmed` (§6.41): where the transaction is, and its receipt. */
export type TxConfirmed = TxConfirmedEvent;

/** The events that change the chain's picture. */
const CHAIN_EVENTS = new Set(['chain:block', 'chain:reorg', 'tx:confirmed']);

export class ChainModel implements vscode.Disposable {
  #client: TypedApiClient | null = null;
  #nodeId: string | null = null;
  /** Whether the followed node runs the chain; null while no node is followed. */
  #enabled: boolean | null = null;
  #snapshot: ChainSnapshot | null = null;
  readonly #blocks = new Map<string, Block>();
  readonly #reads = new CoalescedRead(() => this.#read());

  readonly #onDidChange = new vscode.EventEmitter<void>();
  readonly #onDidConfirm = new vscode.EventEmitter<TxConfirmed>();
  /** The snapshot changed, or the node (with or without the chain). */
  readonly onDidChange = this.#onDidChange.event;
  /** A transaction is in a block that joined the main chain (`tx:confirmed`). */
  readonly onDidConfirm = this.#onDidConfirm.event;

  get client(): TypedApiClient | null {
    return this.#client;
  }
  /** True: the node runs the chain; false: it runs without; null: no node. */
  get enabled(): boolean | null {
    return this.#enabled;
  }
  get snapshot(): ChainSnapshot | null {
    return this.#snapshot;
  }
  get nodeId(): string | null {
    return this.#nodeId;
  }

  /** Follow `client`'s node (its info says whether it runs the chain) and read the snapshot. */
  async load(client: TypedApiClient, info: NodeInfo): Promise<void> {
    this.#client = client;
    this.#nodeId = info.nodeId;
    this.#snapshot = null;
    this.#blocks.clear();
    this.#enabled = info.capabilities.includes('chain');
    this.#onDidChange.fire();
    if (this.#enabled) await this.refresh();
  }

  clear(): void {
    const had = this.#client !== null;
    this.#client = null;
    this.#nodeId = null;
    this.#enabled = null;
    this.#snapshot = null;
    this.#blocks.clear();
    if (had) this.#onDidChange.fire();
  }

  /** An event of the node's stream; chain events refresh the snapshot. */
  onEvent(name: string, payload: unknown): void {
    if (!this.#enabled) return;
    if (name === 'tx:confirmed') this.#onDidConfirm.fire(payload as TxConfirmed);
    const isTx = name === 'gossip:message' && (payload as { topic?: string }).topic === 'chain-tx';
    if (CHAIN_EVENTS.has(name) || isTx) void this.refresh();
  }

  /** Read the snapshot again: now, or once the read in flight ends (at most one more queued). */
  refresh(): Promise<void> {
    return this.#reads.run();
  }

  async #read(): Promise<void> {
    const client = this.#client;
    const nodeId = this.#nodeId;
    if (!client || !nodeId || !this.#enabled) return;
    const [head, blocks, mempool, account] = await Promise.all([
      client.raw.get<{ head: ChainHead; genesis: string; mode: string }>('/chain/head'),
      client.raw.get<{ blocks: BlockSummary[] }>(`/chain/blocks?limit=${RECENT_BLOCKS}`),
      client.raw.get<{ txs: MempoolEntry[] }>('/chain/mempool'),
      client.raw.get<Account>(`/chain/accounts/${nodeId}`),
    ]);
    if (client !== this.#client) return;
    this.#snapshot = { head: head.head, genesis: head.genesis, mode: head.mode, blocks: blocks.blocks, mempool: mempool.txs, account: { balance: account.balance, nonce: account.nonce } };
    this.#onDidChange.fire();
  }

  /** A block with its transactions (GET /chain/blocks/{hash}), read once. */
  async block(hash: string): Promise<Block | null> {
    const known = this.#blocks.get(hash);
    if (known) return known;
    const client = this.#client;
    if (!client) return null;
    const { block } = await client.raw.get<{ block: Block }>(`/chain/blocks/${hash}`);
    if (this.#blocks.size >= BLOCK_CACHE) this.#blocks.delete(this.#blocks.keys().next().value!);
    this.#blocks.set(hash, block);
    return block;
  }

  /** Mine one block now (POST /chain/mine, §6.40). @throws ApiClientError */
  mine(): Promise<{ hash: string; height: number; txs: number }> {
    return this.#need().raw.post('/chain/mine', {});
  }

  /** Send a transfer from this node (POST /chain/txs, §6.36): pending at once. @throws ApiClientError */
  async transfer(to: string, amount: number, fee: number): Promise<TxStatus> {
    const status = await this.#need().raw.post<TxStatus>('/chain/txs', { to, amount, fee });
    void this.refresh();
    return status;
  }

  /** Where a transaction stands (GET /chain/txs/{hash}, §6.37). @throws ApiClientError (404 NOT_FOUND) */
  tx(hash: string): Promise<TxStatus> {
    return this.#need().raw.get<TxStatus>(`/chain/txs/${hash}`);
  }

  #need(): TypedApiClient {
    if (!this.#client || !this.#enabled) throw Object.assign(new Error(this.#client ? 'this node runs without the chain (setting plexus.chain.mode)' : 'the node is not running'), { code: this.#client ? 'CHAIN_OFF' : 'NODE_NOT_RUNNING' });
    return this.#client;
  }

  dispose(): void {
    this.#onDidChange.dispose();
    this.#onDidConfirm.dispose();
  }
}

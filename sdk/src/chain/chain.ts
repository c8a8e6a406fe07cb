import Ajv from 'ajv';
import { randomInt } from 'node:crypto';
import { type ContractEventPayload, ContractError, type ContractRemovedEvent, ContractTooExpensiveError, INIT_FUNCTION, type Receipt, sourceHashOf, stateHashOf, type ViewResult, WatchedSandbox } from '../contracts/index.js';
import { AbortedError, PlexusError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { GossipApi } from '../gossip/index.js';
import type { Identity } from '../identity/index.js';
import type { Peer, PeerManager } from '../peers/index.js';
import type { Store } from '../store/index.js';
import type { Envelope } from '../transport/index.js';
import { canonicalBytes } from '../util/canonical.js';
import {
  type AcceptResult,
  type Account,
  type Block,
  type BlockHeader,
  type ChainHead,
  type ContractEntry,
  blockHash,
  blockWork,
  encodeHeader,
  genesisHeader,
  hex256,
  meetsTarget,
  merkleRoot,
  signBlock,
  stateRoot,
  verifyBlockSignature,
} from './block.js';
import {
  AUTOMINE_RELAYED_DELAY_MS,
  BLOCK_REWARD,
  BLOCK_TIME_MS,
  BLOCK_TOPIC,
  BLOCK_VERSION,
  CHAIN_PENALTY,
  CONTRACT_GAS_LIMIT,
  CONTRACT_MEMORY_LIMIT_BYTES,
  CONTRACT_POLICY_BOUND_MS,
  CONTRACT_VALIDATE_BOUND_MS,
  LOCAL_TX_DEPTH,
  MAX_BLOCK_BYTES,
  MAX_BLOCK_TXS,
  MAX_FUTURE_BLOCK_MS,
  MAX_TXS_MESSAGE,
  MEDIAN_TIME_SPAN,
  RECEIPT_WAIT_MS,
  RETARGET_CLAMP,
  TRIVIAL_TARGET,
  TX_PEER_BURST,
  TX_PEER_RATE,
  TX_TOPIC,
} from './constants.js';
import { BlockRejectedError, ChainNotFoundError, TxRejectedError } from './errors.js';
import { Mempool, type MempoolInit, type PoolEntry } from './mempool.js';
import { BLOCK_SCHEMA, type TxsBody } from './messages.js';
import { MinerWorker } from './miner.js';
import { type BlockRow, type ChainContract, ChainRepository } from './repository.js';
import { ChainSync, type ChainSyncInit } from './sync.js';
import { type CallFields, type DeployFields, signTx, type Transaction, type TransferFields, txHash, txSize, verifyTx } from './tx.js';

/** Receipt and ViewResult are declared with the port the contract routes use (contracts/chain-port.ts). */
export type { Receipt, ViewResult };

/** Undo data of one block (chain_undo): accounts and contracts as they were before it; a null contract did not exist. */
interface Undo {
  accounts: Array<[string, number, number]>;
  contracts: Array<[string, ChainContract | null]>;
}

/** What executing a block changes, and the state root it leads to. */
interface Execution {
  changed: Map<string, Account>;
  contracts: Map<string, ChainContract>;
  receipts: Receipt[];
  root: string;
}

/** What #reorgTo did: blocks connected (in order) and disconnected, and the contracts each changed. */
interface Reorg {
  connected: BlockRow[];
  disconnected: Block[];
  forkHeight: number;
  /** Addresses of the contracts the disconnected blocks had changed. */
  reverted: Set<string>;
  /** Per connected block hash, the contracts it changed as they are after it. */
  changedBy: Map<string, ChainContract[]>;
}

/** A chain contract's summary as the contract events carry it (no source, no state). */
function contractEvent(c: ChainContract): { mode: 'chain'; address: string; name: string; sourceHash: string; functions: string[]; deployer: string; height: number; stateHash: string } {
  return { mode: 'chain', address: c.address, name: c.name, sourceHash: c.sourceHash, functions: c.functions, deployer: c.deployer, height: c.height, stateHash: c.stateHash };
}

/** Events of the chain (docs/api.md §7). */
export interface ChainEvents {
  /** A block joined the main chain (one per block, also for each block a reorg connects). */
  'chain:block': { hash: string; height: number; txs: number; miner: string; from: string | null };
  /** The main chain switched branches: `disconnected` blocks above `forkHeight` left it. */
  'chain:reorg': { oldTip: string; newTip: string; forkHeight: number; disconnected: number; connected: number };
  /** A transaction is in a main-chain block, with its receipt (§21.14). */
  'tx:confirmed': { hash: string; block: string; height: number; index: number } & Receipt;
  /** A block was refused; `marked`: its hash (and descendants) are now known invalid. */
  'chain:rejected': { hash: string; code: string; message: string; from: string | null; marked: boolean };
  /** A block that joined the main chain deployed a contract (a ChainContractEvent, contracts/events.ts). */
  'contract:new': ContractEventPayload;
  /** A block that joined the main chain changed a contract's state, or a reorg restored an earlier one (`reorg: true`). */
  'contract:update': ContractEventPayload;
  /** A reorg took the block that deployed a contract off the main chain, and the new branch does not deploy it. */
  'contract:removed': ContractRemovedEvent;
}

type Emit = EventBus<ChainEvents & { warning: { code: string; message: string } }>;

export interface ChainComponents {
  identity: Identity;
  store: Store;
  peers: PeerManager;
  events: Emit;
  gossip: GossipApi;
}

/**
 * When this node mines: `manual` (only `mine()`), `automine` (a block as soon as the mempool
 * holds a transaction, never an empty one), `interval` (all the time, `blockTimeMs` apart).
 */
export type MiningMode = 'manual' | 'automine' | 'interval';

export interface ChainInit {
  /** Default `manual`. */
  mode?: MiningMode;
  /** Consensus: the genesis block's time (ms). Default 1764547200000 (2025-12-01T00:00:00Z). */
  genesisTime?: number;
  /** Consensus: the genesis target (64 hex). Default TRIVIAL_TARGET. */
  target?: string;
  /** Consensus: blocks between retargets; 0 keeps the genesis target forever. Default 0. */
  retargetInterval?: number;
  /** Consensus: the block time retargeting aims at (ms). Default BLOCK_TIME_MS. */
  blockTimeMs?: number;
  /** Consensus: coins a block creates. Default BLOCK_REWARD. */
  reward?: number;
  /**
   * Automine: how long a transaction that came from a peer waits before this node mines it
   * (ms). A transaction submitted here is mined at once; one relayed by a peer is left a
   * moment to the miner of the node that took it, so two automining nodes rarely mine the same
   * transactions at the same height (a tie that only the next block ends). Default
   * AUTOMINE_RELAYED_DELAY_MS.
   */
  automineRelayedDelayMs?: number;
  /** A block time at most this far ahead of the local clock (ms). Default MAX_FUTURE_BLOCK_MS. */
  maxFutureMs?: number;
  /** How long a sync request waits (ms). Default SYNC_TIMEOUT_MS. */
  syncTimeoutMs?: number;
  /** Transactions a peer may relay per second, and the burst. Defaults TX_PEER_RATE, TX_PEER_BURST. */
  txPeerRate?: number;
  txPeerBurst?: number;
  /** Consensus: gas units one deploy or call may use (§21.14). Default CONTRACT_GAS_LIMIT. */
  gasLimit?: number;
  /**
   * Wall-clock bounds of one contract run (ms), far above what a run within the gas limit
   * takes: validating a block (past it: BLOCK_TOO_EXPENSIVE), building a block template (past
   * it: the transaction is dropped) and a view; and of all the runs of one block (twice the
   * run's bound by default). Defaults CONTRACT_VALIDATE_BOUND_MS, CONTRACT_POLICY_BOUND_MS.
   */
  contractBounds?: { validateMs?: number; validateBlockMs?: number; mineMs?: number; mineBlockMs?: number; viewMs?: number };
  /** How long waitForReceipt() waits by default (ms). Default RECEIPT_WAIT_MS. */
  receiptWaitMs?: number;
  mempool?: MempoolInit;
  /** Sync's window, per-peer limit, stall timeout and auto-sync (sync.ts). */
  sync?: ChainSyncInit;
}

/** A transaction and where it stands. */
export interface TxStatus {
  hash: string;
  tx: Transaction;
  status: 'pending' | 'confirmed';
  /** Present once confirmed: its block, height, index in the block, confirmations (1 = in the tip) and what executing it did. */
  receipt: ({ block: string; height: number; index: number; confirmations: number } & Receipt) | null;
}


/** Refusals that are no one's fault: the sender is not penalised. */
const NO_BLAME = new Set(['UNKNOWN_PARENT', 'TIME_TOO_NEW', 'LOW_WORK']);

/** Wall-clock bounds of contract runs (ms): one run, and all the runs of one block. */
interface RunBounds {
  runMs: number;
  blockMs: number;
}

/**
 * A contract run in a block held the sandbox past its wall-clock bound (WatchedSandbox): the
 * block is refused and marked invalid (BLOCK_TOO_EXPENSIVE); building a template, the
 * transaction `tx` is left out.
 */
class TooExpensiveTxError extends BlockRejectedError {
  readonly tx: string;
  constructor(tx: string, why: string, blockHash: string) {
    super('BLOCK_TOO_EXPENSIVE', `transaction ${tx}: ${why}`, blockHash, true);
    this.tx = tx;
  }
}

/** Automine waits at least this long before it ends a tie (ms), so the two sides do not end it at once. */
const MIN_TIE_WAIT_MS = 100;
/** After a mining run failed, the next waits this long (ms). */
const MINING_RETRY_MS = 1_000;

const ajv = new Ajv({ strict: true, allErrors: false });
const checkBlockShape = ajv.compile(BLOCK_SCHEMA);

/**
 * The chain: blocks of signed transactions ordered by proof of work; the main chain is the
 * valid branch with the most cumulative work (first seen on a tie). See index.ts for the data
 * flow and docs/protocol.md §21 for every rule.
 */
export class Chain {
  readonly #c: ChainComponents;
  readonly #repo: ChainRepository;
  readonly mempool: Mempool;
  readonly mode: MiningMode;
  readonly genesis: BlockHeader;
  readonly genesisHash: string;
  readonly #retarget: number;
  /** Target block time (ms): interval mining's pace and the retarget's aim. */
  readonly blockTimeMs: number;
  readonly #reward: number;
  readonly #maxFutureMs: number;
  readonly #txRate: number;
  readonly #txBurst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Headers-first sync with peers (sync.ts). */
  readonly sync: ChainSync;
  readonly #headers = new Map<string, BlockHeader>();
  readonly #worker = new MinerWorker();
  /** Runs deploys and calls: gas is the only limit (a wall-clock deadline would differ between nodes). */
  readonly #sandbox: WatchedSandbox;
  /** Wall-clock bounds of one contract run (ms): validating a block, building a template, a view. */
  readonly #bounds: { validate: RunBounds; mine: RunBounds; view: number };
  readonly #receiptWaitMs: number;
  #mining: Promise<Block | null> | null = null;
  #miningTimer: NodeJS.Timeout | undefined;
  /** Automine's wait before it ends a tie (#onTie). */
  #tieTimer: NodeJS.Timeout | undefined;
  /** The tip #tieTimer would mine on. */
  #tieTip = '';
  /** When the pending #miningTimer fires (performance.now() ms). */
  #miningDue = 0;
  readonly #automineRelayedDelayMs: number;
  /** Hashes of the transactions submitted through this node, until buried (automine mines them at once; stored in chain_local_txs). */
  readonly #local = new Set<string>();
  #unregister: Array<() => void> = [];
  /** waitForReceipt() calls to end (AbortedError) on stop(). */
  readonly #waiters = new Set<() => void>();
  #started = false;

  constructor(components: ChainComponents, init: ChainInit = {}) {
    this.#c = components;
    this.#repo = new ChainRepository(components.store);
    this.mode = init.mode ?? 'manual';
    this.genesis = genesisHeader(init.genesisTime ?? 1764547200000, init.target ?? TRIVIAL_TARGET);
    this.genesisHash = blockHash(this.genesis);
    this.#retarget = init.retargetInterval ?? 0;
    this.blockTimeMs = init.blockTimeMs ?? BLOCK_TIME_MS;
    this.#reward = init.reward ?? BLOCK_REWARD;
    this.#maxFutureMs = init.maxFutureMs ?? MAX_FUTURE_BLOCK_MS;
    this.#txRate = init.txPeerRate ?? TX_PEER_RATE;
    this.#txBurst = init.txPeerBurst ?? TX_PEER_BURST;
    this.#automineRelayedDelayMs = init.automineRelayedDelayMs ?? AUTOMINE_RELAYED_DELAY_MS;
    this.mempool = new Mempool({ account: (id) => this.account(id) }, init.mempool);
    this.#sandbox = new WatchedSandbox({ gasLimit: init.gasLimit ?? CONTRACT_GAS_LIMIT, memoryLimitBytes: CONTRACT_MEMORY_LIMIT_BYTES, deadlineMs: Number.POSITIVE_INFINITY });
    const b = init.contractBounds ?? {};
    this.#bounds = {
      validate: { runMs: b.validateMs ?? CONTRACT_VALIDATE_BOUND_MS, blockMs: b.validateBlockMs ?? 2 * CONTRACT_VALIDATE_BOUND_MS },
      mine: { runMs: b.mineMs ?? CONTRACT_POLICY_BOUND_MS, blockMs: b.mineBlockMs ?? 2 * CONTRACT_POLICY_BOUND_MS },
      view: b.viewMs ?? CONTRACT_POLICY_BOUND_MS,
    };
    this.#receiptWaitMs = init.receiptWaitMs ?? RECEIPT_WAIT_MS;
    const synced = { genesisHash: this.genesisHash, running: () => this.#started, head: () => this.head(), header: (h: string) => this.#header(h), accept: (b: unknown, from: string | null) => this.accept(b, from) };
    this.sync = new ChainSync({ chain: synced, repo: this.#repo, peers: components.peers, events: components.events, gossip: components.gossip }, { requestTimeoutMs: init.syncTimeoutMs, ...init.sync });
  }

  /** Load the contract sandbox; store genesis when the store has no chain yet; register the gossip topics. @throws Error when the store holds another chain */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#sandbox.start();
    const stored = this.#repo.mainHash(0);
    if (stored === undefined) {
      const g: Block = { header: this.genesis, minerKey: '', signature: '', txs: [] };
      this.#repo.transaction(() => {
        this.#repo.insertBlock({ hash: this.genesisHash, height: 0, prev: this.genesis.prev, block: JSON.stringify(g), work: hex256(0n), status: 'ok', from_peer: null, seq: 0 });
        this.#repo.setMain(0, this.genesisHash);
      });
    } else if (stored !== this.genesisHash) throw new Error(`the store holds chain ${stored}, not ${this.genesisHash}: other chain parameters`);
    this.#started = true;
    this.#unregister.push(
      this.#c.gossip.register(TX_TOPIC, { validate: (p, from) => this.#onGossipTx(p, from), deliver: () => undefined }),
      this.#c.gossip.register(BLOCK_TOPIC, { validate: (p, from) => this.#onGossipBlock(p, from), deliver: () => undefined }),
    );
    this.#reloadLocal();
    if (this.mode === 'interval') this.#scheduleMining();
    else this.#onMempoolGrew();
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#miningTimer);
    this.#miningTimer = undefined;
    clearTimeout(this.#tieTimer);
    this.#tieTimer = undefined;
    for (const u of this.#unregister.splice(0)) u();
    this.sync.stop();
    await this.#worker.stop();
    await this.#sandbox.stop();
    await this.#mining?.catch(() => undefined);
    // A sync in flight ends at its next step (the started flag) or when the node closes its
    // connections right after; waiting here could take a whole request timeout.
    this.#buckets.clear();
    for (const w of [...this.#waiters]) w();
  }

  // --- reads --------------------------------------------------------------------------

  /** The tip of the main chain. */
  head(): ChainHead {
    const row = this.#row(this.#repo.mainHash(this.#repo.tipHeight())!);
    const h = this.#header(row.hash);
    return { hash: row.hash, height: row.height, work: row.work, stateRoot: h.stateRoot, time: h.time };
  }

  /** A stored block by hash or main-chain height, with its status. @throws ChainNotFoundError */
  block(id: string | number): { hash: string; block: Block; status: 'ok' | 'invalid'; main: boolean; work: string; reason: string | null } {
    const hash = typeof id === 'number' ? this.#repo.mainHash(id) : id;
    const row = hash === undefined ? undefined : this.#repo.block(hash);
    if (!row) throw new ChainNotFoundError('block');
    return { hash: row.hash, block: JSON.parse(row.block) as Block, status: row.status, main: this.#repo.mainHash(row.height) === row.hash, work: row.work, reason: row.reason };
  }

  /** An account of the head state (balance and nonce 0 when it has none). */
  account(id: string): Account {
    return this.#repo.account(id) ?? { id, balance: 0, nonce: 0 };
  }

  /** Every account of the head state, by id. */
  accounts(): Account[] {
    return this.#repo.accounts();
  }

  /** The state root of the head state, computed from the accounts and contracts (equals head().stateRoot). */
  stateRoot(): string {
    return stateRoot(this.#repo.accounts(), this.#repo.contractEntries());
  }

  /** A transaction by hash: pending in the mempool or confirmed on the main chain. @throws ChainNotFoundError */
  tx(hash: string): TxStatus {
    const loc = this.#repo.txLocation(hash);
    if (loc) {
      const tx = (JSON.parse(this.#repo.block(loc.block)!.block) as Block).txs[loc.index]!;
      return { hash, tx, status: 'confirmed', receipt: { ...loc, confirmations: this.#repo.tipHeight() - loc.height + 1, ...this.#receipt(hash) } };
    }
    const e = this.mempool.get(hash);
    if (e) return { hash, tx: e.tx, status: 'pending', receipt: null };
    throw new ChainNotFoundError('transaction');
  }

  /** A main-chain transaction's stored receipt (rows from before receipts were kept: a transfer's). */
  #receipt(hash: string): Receipt {
    const text = this.#repo.receipt(hash);
    return text ? (JSON.parse(text) as Receipt) : { status: 'ok', result: null, gasUsed: 0, error: null, contract: null };
  }

  /**
   * Wait until a transaction is in a main-chain block and return it with its receipt.
   * @param timeoutMs default `receiptWaitMs` (RECEIPT_WAIT_MS)
   * @throws ChainNotFoundError when it is neither pending nor confirmed; PlexusError
   *   RECEIPT_TIMEOUT when not confirmed in time (it may still be later); AbortedError on
   *   `signal` or when the chain stops
   */
  waitForReceipt(hash: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TxStatus> {
    const now = this.tx(hash);
    if (now.status === 'confirmed') return Promise.resolve(now);
    return new Promise<TxStatus>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#c.events.off('tx:confirmed', onConfirmed);
        this.#waiters.delete(onStop);
        opts.signal?.removeEventListener('abort', onStop);
      };
      const onConfirmed = (e: ChainEvents['tx:confirmed']): void => {
        if (e.hash !== hash) return;
        done();
        resolve(this.tx(hash));
      };
      const onStop = (): void => {
        done();
        reject(new AbortedError('stopped waiting for the receipt'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new PlexusError('RECEIPT_TIMEOUT', `transaction ${hash} is not in a block after ${opts.timeoutMs ?? this.#receiptWaitMs} ms`));
      }, opts.timeoutMs ?? this.#receiptWaitMs);
      this.#c.events.on('tx:confirmed', onConfirmed);
      this.#waiters.add(onStop);
      opts.signal?.addEventListener('abort', onStop, { once: true });
    });
  }

  /** A contract of the head state. @throws ChainNotFoundError */
  contract(address: string): ChainContract {
    const c = this.#repo.contract(address);
    if (!c) throw new ChainNotFoundError('contract');
    return c;
  }

  /** Every contract of the head state, by address. */
  contracts(): ChainContract[] {
    return this.#repo.contracts();
  }

  /**
   * Run `method` of a contract on the head state without a transaction (caller: this node;
   * time: the head block's). Nothing is written.
   * @throws ChainNotFoundError; ContractError as the sandbox throws it (CONTRACT_THREW, CONTRACT_OUT_OF_GAS, ...)
   */
  view(address: string, method: string, args: unknown[] = []): ViewResult {
    const c = this.contract(address);
    if (method === INIT_FUNCTION) throw new ContractError('CONTRACT_FUNCTION_NOT_FOUND', 'init runs once, at deploy');
    const out = this.#sandbox.call(c.source, method, c.state, args, { caller: this.#c.identity.nodeId, time: this.head().time, address, name: c.name }, this.#bounds.view);
    return { result: out.result, state: out.state, changed: stateHashOf(out.state) !== c.stateHash, gasUsed: out.gasUsed };
  }

  /** The mempool, highest fee rate first. */
  pending(): PoolEntry[] {
    return this.mempool.list();
  }

  // --- transactions -------------------------------------------------------------------

  /**
   * Sign a transfer from this node, add it to the mempool and gossip it. The nonce defaults
   * to the next free one (account nonce plus this node's pooled transactions).
   * @throws TxRejectedError (mempool rules)
   */
  transfer(to: string, amount: number, fee: number, nonce?: number): TxStatus {
    return this.#send({ kind: 'transfer', to, amount }, fee, nonce);
  }

  /**
   * Sign a contract deploy from this node and submit it; the contract's address is the
   * returned hash. `init(state, ctx, ...args)` runs when a block includes it.
   * @throws TxRejectedError INVALID_TX (name, size) and the mempool's codes
   */
  deploy(name: string, source: string, args: unknown[], fee: number, nonce?: number): TxStatus {
    return this.#send({ kind: 'deploy', name, source, args }, fee, nonce);
  }

  /**
   * Sign a call of `method` on the contract at `contract` from this node and submit it; it
   * runs when a block includes it (waitForReceipt() gives the outcome).
   * @throws TxRejectedError INVALID_TX and the mempool's codes
   */
  call(contract: string, method: string, args: unknown[], fee: number, nonce?: number): TxStatus {
    return this.#send({ kind: 'call', contract, method, args }, fee, nonce);
  }

  #send(fields: TransferFields | DeployFields | CallFields, fee: number, nonce?: number): TxStatus {
    const n = nonce ?? this.mempool.nextNonce(this.#c.identity.nodeId, this.account(this.#c.identity.nodeId).nonce);
    let tx: Transaction;
    try {
      tx = signTx(this.#c.identity, { ...fields, chain: this.genesisHash, nonce: n, fee });
    } catch (err) {
      throw new TxRejectedError('INVALID_TX', `not a transaction: ${(err as Error).message}`);
    }
    return this.submit(tx);
  }

  /**
   * Add a signed transaction (from anyone) to the mempool and gossip it. It is also stored
   * until buried LOCAL_TX_DEPTH blocks deep: after a restart it returns to the mempool, and it
   * is sent to every peer that connects (`Txs`) while pending. `durable()` resolves once it is
   * on disk.
   * @throws TxRejectedError INVALID_TX, TX_KNOWN (also when already confirmed) and the mempool's codes
   */
  submit(value: unknown): TxStatus {
    const { tx, hash, size } = verifyTx(value, this.genesisHash);
    if (this.#repo.txLocation(hash)) throw new TxRejectedError('TX_KNOWN', `transaction ${hash} is already confirmed`);
    this.mempool.add(tx, hash, size);
    this.#repo.insertLocalTx(hash, JSON.stringify(tx), Date.now());
    this.#local.add(hash);
    this.#c.gossip.publish(TX_TOPIC, tx);
    this.#onMempoolGrew();
    return { hash, tx, status: 'pending', receipt: null };
  }

  /** Resolves once every transaction submitted so far is on disk (the store's write-ahead log). */
  durable(): Promise<void> {
    return this.#c.store.durable();
  }

  /**
   * `Txs` (notice): a peer's pending transactions, sent when it connects (docs/protocol.md
   * §21.11). Each is admitted as one from `chain-tx` gossip (same rate limit, checks and
   * penalties) and, when new here, published on `chain-tx`.
   */
  onTxs(envelope: Envelope<TxsBody>, peer: Peer): void {
    for (const tx of envelope.body.txs) {
      const verdict = this.#onGossipTx(tx, peer.nodeId);
      if (verdict === true) this.#c.gossip.publish(TX_TOPIC, tx);
      else if (verdict.penalty > 0) this.#c.peers.penalize(peer.nodeId, verdict.penalty, 'INVALID_CHAIN_TX', `Txs: ${verdict.reason ?? 'refused'}`);
    }
  }

  #onGossipTx(payload: unknown, from: string): { penalty: number; reason?: string } | true {
    if (!this.#take(from)) return { penalty: 0, reason: 'RATE_LIMITED: more transactions than this peer may relay' };
    try {
      const { tx, hash, size } = verifyTx(payload, this.genesisHash);
      if (this.#repo.txLocation(hash)) return { penalty: 0, reason: 'already confirmed' };
      this.mempool.add(tx, hash, size);
      this.#onMempoolGrew();
      return true;
    } catch (err) {
      if (err instanceof TxRejectedError) return { penalty: err.penalty, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  }

  /** Token bucket per relaying peer (txPeerRate per second, txPeerBurst at once). */
  #take(peer: string): boolean {
    const now = performance.now();
    const b = this.#buckets.get(peer) ?? { tokens: this.#txBurst, at: now };
    b.tokens = Math.min(this.#txBurst, b.tokens + ((now - b.at) * this.#txRate) / 1000);
    b.at = now;
    this.#buckets.set(peer, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  // --- blocks -------------------------------------------------------------------------

  #row(hash: string): BlockRow {
    const r = this.#repo.block(hash);
    if (!r) throw new ChainNotFoundError('block');
    return r;
  }

  /** A stored block's header (cached; headers never change). */
  #header(hash: string): BlockHeader {
    let h = this.#headers.get(hash);
    if (!h) {
      h = (JSON.parse(this.#row(hash).block) as Block).header;
      if (this.#headers.size >= 20_000) this.#headers.clear();
      this.#headers.set(hash, h);
    }
    return h;
  }

  /** Median time of the MEDIAN_TIME_SPAN blocks ending at `hash` (Bitcoin's median time past). */
  #medianTimePast(hash: string): number {
    const times: number[] = [];
    let h: string = hash;
    for (let i = 0; i < MEDIAN_TIME_SPAN; i++) {
      const header = this.#header(h);
      times.push(header.time);
      if (header.height === 0) break;
      h = header.prev;
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }

  /**
   * The target a child of `parentHash` must carry (§21.6): the parent's, except at heights
   * that are multiples of the retarget interval, where it is parent target x measured time /
   * expected time, the measured time of the last interval clamped to [expected / 4,
   * expected x 4], and never easier than the genesis target.
   */
  nextTarget(parentHash: string): string {
    const parent = this.#header(parentHash);
    const height = parent.height + 1;
    if (this.#retarget <= 0 || height % this.#retarget !== 0) return parent.target;
    let first = parent;
    for (let i = 0; i < this.#retarget && first.height > 0; i++) first = this.#header(first.prev);
    const expected = BigInt(this.#retarget * this.blockTimeMs);
    let actual = BigInt(Math.max(0, parent.time - first.time));
    const clamp = BigInt(RETARGET_CLAMP);
    if (actual < expected / clamp) actual = expected / clamp;
    if (actual > expected * clamp) actual = expected * clamp;
    let next = (BigInt('0x' + parent.target) * actual) / expected;
    const limit = BigInt('0x' + this.genesis.target);
    if (next > limit) next = limit;
    return hex256(next);
  }

  /**
   * Execute `txs` on the head state (docs/protocol.md §21.7, §21.14) as block `height` at
   * `time` with `miner` credited: the accounts and contracts it changes, a receipt per
   * transaction and the resulting state root. Nothing is written. A contract that fails
   * (throws, runs out of gas, ...) is a failed receipt, not an invalid block.
   * @throws BlockRejectedError BAD_TX (an overflow), BAD_NONCE, OVERSPEND
   */
  #execute(header: Pick<BlockHeader, 'miner' | 'height' | 'time'>, txs: readonly Transaction[], hash: string, bounds: RunBounds): Execution {
    const budgetEnd = performance.now() + bounds.blockMs;
    const changed = new Map<string, Account>();
    const contracts = new Map<string, ChainContract>();
    const receipts: Receipt[] = [];
    const get = (id: string): Account => {
      let a = changed.get(id);
      if (!a) changed.set(id, (a = { ...this.account(id) }));
      return a;
    };
    const fail = (code: string, why: string): never => {
      throw new BlockRejectedError(code, why, hash, true);
    };
    let fees = 0;
    txs.forEach((tx, i) => {
      const sender = get(tx.from);
      if (tx.nonce !== sender.nonce) fail('BAD_NONCE', `transaction ${i}: nonce ${tx.nonce}, the account nonce is ${sender.nonce}`);
      const cost = tx.fee + (tx.kind === 'transfer' ? tx.amount : 0);
      if (cost > sender.balance) fail('OVERSPEND', `transaction ${i}: costs ${cost}, the balance is ${sender.balance}`);
      sender.balance -= cost;
      sender.nonce += 1;
      fees += tx.fee;
      if (tx.kind === 'transfer') {
        const to = get(tx.to);
        if (to.balance + tx.amount > Number.MAX_SAFE_INTEGER) fail('BAD_TX', `transaction ${i}: the recipient's balance would exceed 2^53-1`);
        to.balance += tx.amount;
        receipts.push({ status: 'ok', result: null, gasUsed: 0, error: null, contract: null });
      } else {
        const contractAt = (address: string): ChainContract | undefined => contracts.get(address) ?? this.#repo.contract(address);
        // Each run gets its own bound, cut to what is left of the block's.
        const boundMs = Math.max(1, Math.min(bounds.runMs, Math.ceil(budgetEnd - performance.now())));
        receipts.push(this.#runContract(tx, header, contractAt, (c) => contracts.set(c.address, c), hash, boundMs));
      }
    });
    const m = get(header.miner);
    if (m.balance + this.#reward + fees > Number.MAX_SAFE_INTEGER) fail('BAD_TX', "the miner's balance would exceed 2^53-1");
    m.balance += this.#reward + fees;
    const accounts = new Map(this.#repo.accounts().map((a) => [a.id, a]));
    for (const [id, a] of changed) accounts.set(id, a);
    const entries = new Map<string, ContractEntry>(this.#repo.contractEntries().map((c) => [c.address, c]));
    for (const [address, c] of contracts) entries.set(address, c);
    return { changed, contracts, receipts, root: stateRoot(accounts.values(), entries.values()) };
  }

  /**
   * Run a deploy (exports, then `init`) or a call in the sandbox (§21.14): ctx is the sender,
   * the block's time, the address and the name; gas is the only limit. A ContractError becomes
   * a failed receipt and `put` is not called.
   * @throws Error when the sandbox itself is not loaded (a local fault, never a consensus outcome)
   */
  #runContract(
    tx: Transaction & (DeployFields | CallFields),
    header: Pick<BlockHeader, 'height' | 'time'>,
    contractAt: (a: string) => ChainContract | undefined,
    put: (c: ChainContract) => void,
    blockHash: string,
    boundMs: number,
  ): Receipt {
    const failed = (err: ContractError): Receipt => ({ status: 'failed', result: null, gasUsed: err.gasUsed ?? 0, error: { code: err.code, message: err.message }, contract: null });
    try {
      if (tx.kind === 'deploy') {
        const address = txHash(tx);
        const functions = this.#sandbox.exports(tx.source, boundMs);
        const ctx = { caller: tx.from, time: header.time, address, name: tx.name };
        let out = { result: null as unknown, state: {} as Record<string, unknown>, gasUsed: 0 };
        if (functions.includes(INIT_FUNCTION)) out = this.#sandbox.call(tx.source, INIT_FUNCTION, {}, tx.args, ctx, boundMs);
        else if (tx.args.length > 0) throw new ContractError('CONTRACT_INVALID_ARGS', `the contract has no ${INIT_FUNCTION} function to take deploy arguments`);
        put({ address, name: tx.name, source: tx.source, sourceHash: sourceHashOf(tx.source), functions, deployer: tx.from, height: header.height, state: out.state, stateHash: stateHashOf(out.state) });
        return { status: 'ok', result: out.result, gasUsed: out.gasUsed, error: null, contract: address };
      }
      const c = contractAt(tx.contract);
      if (!c) throw new ContractError('CONTRACT_NOT_FOUND', `no contract at ${tx.contract}`);
      if (tx.method === INIT_FUNCTION) throw new ContractError('CONTRACT_FUNCTION_NOT_FOUND', 'init runs once, at deploy');
      const out = this.#sandbox.call(c.source, tx.method, c.state, tx.args, { caller: tx.from, time: header.time, address: c.address, name: c.name }, boundMs);
      const stateHash = stateHashOf(out.state);
      if (stateHash !== c.stateHash) put({ ...c, state: out.state, stateHash });
      return { status: 'ok', result: out.result, gasUsed: out.gasUsed, error: null, contract: null };
    } catch (err) {
      if (err instanceof ContractTooExpensiveError) throw new TooExpensiveTxError(txHash(tx), err.message, blockHash);
      if (!(err instanceof ContractError) || err.code === 'NOT_STARTED') {
        // Not the contract's doing: reload the module and let the block be tried again later.
        if (!this.#sandbox.ready) void this.#sandbox.start().catch(() => undefined);
        throw new Error(`the contract sandbox failed: ${(err as Error).message}`);
      }
      return failed(err);
    }
  }

  /**
   * Check a block (docs/protocol.md §21.6, cheapest first), store it and move the main chain
   * to the heaviest valid branch. A block that fails is never stored as valid; a failure of a
   * rule the header commits to marks its hash (and stored descendants) invalid.
   * @param from node ID of the peer it came from, null when mined or given here
   * @param requested false for an unsolicited block (gossip): one that would not make its
   *   branch heavier than the main chain is then refused as LOW_WORK, unstored (Bitcoin Core's
   *   rule against filling the store with cheap side branches); sync asks only for branches
   *   that are heavier
   * @throws BlockRejectedError
   */
  accept(value: unknown, from: string | null, requested = true): AcceptResult {
    let stored: { hash: string; height: number };
    try {
      const r = this.#check(value, from, requested);
      if ('status' in r) return r;
      stored = r;
    } catch (err) {
      if (err instanceof BlockRejectedError) this.#blame(from, err, !NO_BLAME.has(err.code));
      throw err;
    }
    // Execution and the state root are checked when the block joins the main chain; a failure
    // there was blamed on the block's sender by #activateBestChain.
    this.#activateBestChain();
    const still = this.#repo.block(stored.hash)!;
    if (still.status === 'invalid') {
      const [code, ...rest] = (still.reason ?? 'INVALID').split(': ');
      throw new BlockRejectedError(code!, rest.join(': '), stored.hash, true);
    }
    const main = this.#repo.mainHash(stored.height) === stored.hash;
    // A side block as heavy as the tip (it came by sync, e.g. with a parent this node lacked): a tie.
    if (!main && this.mode === 'automine' && still.work === this.head().work) this.#onTie((value as Block).header);
    return { hash: stored.hash, status: main ? 'connected' : 'side' };
  }

  /** Every check before execution, in order; stores the block ('ok' or, for a rule its header commits to, 'invalid'). */
  #check(value: unknown, from: string | null, requested: boolean): AcceptResult | { hash: string; height: number } {
    const reject = (code: string, why: string, hash: string, mark: boolean): never => {
      throw new BlockRejectedError(code, why, hash, mark);
    };
    // docs/protocol.md §21.6, rows 1-2: form, size, already known
    if (!checkBlockShape(value)) return reject('BLOCK_MALFORMED', `not a block: ${ajv.errorsText(checkBlockShape.errors)}`, '', false);
    const block = value as unknown as Block;
    const h = block.header;
    let size: number;
    try {
      size = canonicalBytes(block).length;
    } catch {
      return reject('BLOCK_MALFORMED', 'no canonical JSON form', '', false);
    }
    const hash = blockHash(h);
    if (size > MAX_BLOCK_BYTES) reject('BLOCK_TOO_LARGE', `${size} bytes, the limit is ${MAX_BLOCK_BYTES}`, hash, false);
    const known = this.#repo.block(hash);
    if (known?.status === 'ok') return { hash, status: 'known' };
    if (known?.status === 'invalid') reject('KNOWN_INVALID', `block ${hash} is known invalid: ${known.reason}`, hash, false);
    // row 3: proof of work
    if (!meetsTarget(hash, h.target)) reject('BAD_POW', `hash ${hash} is above its target ${h.target}`, hash, false);
    // row 4: known parent; row 5: parent valid, version, height
    const parent = this.#repo.block(h.prev);
    if (!parent) reject('UNKNOWN_PARENT', `parent ${h.prev} is not known here`, hash, false);
    const mark = (code: string, why: string): never => {
      this.#storeInvalid(block, hash, parent!, from, `${code}: ${why}`);
      return reject(code, why, hash, true);
    };
    if (parent!.status === 'invalid') mark('INVALID_PARENT', `parent ${h.prev} is invalid`);
    if (h.version !== BLOCK_VERSION) mark('BAD_VERSION', `version ${h.version}, expected ${BLOCK_VERSION}`);
    if (h.height !== parent!.height + 1) mark('BAD_HEIGHT', `height ${h.height} after parent height ${parent!.height}`);
    // row 6: difficulty
    const target = this.nextTarget(h.prev);
    if (h.target !== target) mark('BAD_DIFFICULTY', `target ${h.target}, expected ${target}`);
    // rows 7-8: time above the median time past, not too far ahead
    const mtp = this.#medianTimePast(h.prev);
    if (h.time <= mtp) mark('BAD_TIME', `time ${h.time} is not above the median of the last ${MEDIAN_TIME_SPAN} blocks (${mtp})`);
    if (h.time > Date.now() + this.#maxFutureMs) reject('TIME_TOO_NEW', `time ${h.time} is more than ${this.#maxFutureMs} ms ahead`, hash, false);
    // row 9: miner signature (not covered by the hash: a relay could have broken it)
    if (!verifyBlockSignature(block, hash)) reject('BAD_SIGNATURE', "the miner's signature does not verify", hash, false);
    // row 10: transactions and Merkle root (a body that does not match the header leaves the header unjudged)
    let hashes: string[];
    try {
      hashes = block.txs.map((t) => verifyTx(t, this.genesisHash).hash);
    } catch (err) {
      // A malformed or badly signed transaction: first see whether the body even matches the header.
      let root: string | null = null;
      try {
        root = merkleRoot(block.txs.map((t) => txHash(t as Transaction)));
      } catch {
        root = null;
      }
      if (root !== h.merkleRoot) return reject('BAD_MERKLE_ROOT', 'the transactions do not match the header', hash, false);
      return mark('BAD_TX', (err as Error).message);
    }
    if (merkleRoot(hashes) !== h.merkleRoot) reject('BAD_MERKLE_ROOT', 'the transactions do not match the header', hash, false);
    // passed: stored; rows 11-12 (execution, state root) run when it joins the main chain
    const work = hex256(BigInt('0x' + parent!.work) + blockWork(h.target));
    if (!requested && work <= this.head().work) reject('LOW_WORK', 'an unsolicited block that does not make its branch heavier than the main chain', hash, false);
    this.#repo.insertBlock({ hash, height: h.height, prev: h.prev, block: JSON.stringify(block), work, status: 'ok', from_peer: from, seq: this.#repo.nextSeq() });
    return { hash, height: h.height };
  }

  #storeInvalid(block: Block, hash: string, parent: BlockRow, from: string | null, reason: string): void {
    this.#repo.transaction(() => {
      this.#repo.insertBlock({ hash, height: block.header.height, prev: block.header.prev, block: JSON.stringify(block), work: parent.work, status: 'invalid', from_peer: from, seq: this.#repo.nextSeq() });
      this.#repo.markInvalid(hash, reason);
    });
  }

  /**
   * Move the main chain to the valid block with the most work (first seen on a tie), one
   * atomic store transaction per attempt: disconnect to the fork point (undo data), connect
   * the new branch (execute, compare state roots). A block that fails is marked invalid with
   * its descendants, its sender penalised, and the next best branch tried.
   */
  #activateBestChain(): void {
    for (;;) {
      const tip = this.head();
      const best = this.#repo.best();
      if (!best || best.hash === tip.hash || best.work <= tip.work) return;
      try {
        const done = this.#repo.transaction(() => this.#reorgTo(best, tip));
        this.#afterReorg(done, tip);
      } catch (err) {
        if (!(err instanceof BlockRejectedError)) throw err;
        const row = this.#repo.block(err.hash);
        this.#repo.transaction(() => this.#repo.markInvalid(err.hash, `${err.code}: ${err.message}`));
        this.#blame(row?.from_peer ?? null, err);
      }
    }
  }

  /** Report a refused block (`chain:rejected`) and, unless the rule blames no one, penalise its sender. */
  #blame(from: string | null, err: BlockRejectedError, penalise = true): void {
    this.#c.events.emit('chain:rejected', { hash: err.hash, code: err.code, message: err.message, from, marked: err.marksInvalid });
    if (from && penalise) this.#c.peers.penalize(from, CHAIN_PENALTY.INVALID_BLOCK, 'INVALID_CHAIN_BLOCK', `block ${err.hash}: ${err.code}: ${err.message}`);
  }

  #reorgTo(best: BlockRow, tip: ChainHead): Reorg {
    const branch: BlockRow[] = [];
    let r = best;
    while (this.#repo.mainHash(r.height) !== r.hash) {
      branch.push(r);
      r = this.#row(r.prev);
    }
    const forkHeight = r.height;
    const disconnected: Block[] = [];
    const reverted = new Set<string>();
    for (let height = tip.height; height > forkHeight; height--) {
      const hash = this.#repo.mainHash(height)!;
      const block = JSON.parse(this.#row(hash).block) as Block;
      const stored = JSON.parse(this.#repo.takeUndo(hash) ?? '[]') as Undo | Undo['accounts'];
      // Slice 1 stored the accounts' list alone.
      const undo: Undo = Array.isArray(stored) ? { accounts: stored, contracts: [] } : stored;
      for (const [id, balance, nonce] of undo.accounts) this.#repo.putAccount({ id, balance, nonce });
      for (const [address, before] of undo.contracts) {
        reverted.add(address);
        if (before) this.#repo.putContract(before);
        else this.#repo.deleteContract(address);
      }
      for (const tx of block.txs) this.#repo.unindexTx(txHash(tx));
      this.#repo.dropMain(height);
      disconnected.push(block);
    }
    branch.reverse();
    const changedBy = new Map<string, ChainContract[]>();
    for (const row of branch) {
      const block = JSON.parse(row.block) as Block;
      const { changed, contracts, receipts, root } = this.#execute(block.header, block.txs, row.hash, this.#bounds.validate);
      if (root !== block.header.stateRoot) throw new BlockRejectedError('BAD_STATE_ROOT', `state root ${block.header.stateRoot}, executing gives ${root}`, row.hash, true);
      const undo: Undo = {
        accounts: [...changed.keys()].map((id) => {
          const a = this.account(id);
          return [id, a.balance, a.nonce];
        }),
        contracts: [...contracts.keys()].map((address) => [address, this.#repo.contract(address) ?? null]),
      };
      for (const a of changed.values()) this.#repo.putAccount(a);
      for (const c of contracts.values()) this.#repo.putContract(c);
      changedBy.set(row.hash, [...contracts.values()]);
      this.#repo.putUndo(row.hash, JSON.stringify(undo));
      block.txs.forEach((tx, index) => this.#repo.indexTx(txHash(tx), { block: row.hash, height: row.height, index }, JSON.stringify(receipts[index])));
      this.#repo.setMain(row.height, row.hash);
    }
    return { connected: branch, disconnected, forkHeight, reverted, changedBy };
  }

  #afterReorg(done: Reorg, oldTip: ChainHead): void {
    const included = new Set<string>();
    for (const row of done.connected) for (const tx of (JSON.parse(row.block) as Block).txs) included.add(txHash(tx));
    for (const h of included) this.mempool.remove(h);
    // The disconnected blocks' transactions go back to the mempool (those still valid).
    for (const block of done.disconnected.reverse()) {
      // Stored blocks passed §21.6: their transactions need no second signature check.
      for (const tx of block.txs) {
        const hash = txHash(tx);
        if (included.has(hash)) continue;
        const size = txSize(tx);
        try {
          this.mempool.add(tx, hash, size);
        } catch {
          // stale now (its nonce was used by the new branch) or no longer funded
        }
      }
    }
    this.mempool.prune();
    const newTip = done.connected[done.connected.length - 1]!;
    if (done.disconnected.length > 0) {
      this.#c.events.emit('chain:reorg', { oldTip: oldTip.hash, newTip: newTip.hash, forkHeight: done.forkHeight, disconnected: done.disconnected.length, connected: done.connected.length });
      this.#emitReverted(done, newTip);
    }
    for (const row of done.connected) {
      const block = JSON.parse(row.block) as Block;
      this.#c.events.emit('chain:block', { hash: row.hash, height: row.height, txs: block.txs.length, miner: block.header.miner, from: row.from_peer });
      const receipts = block.txs.map((tx, index) => {
        const hash = txHash(tx);
        const receipt = this.#receipt(hash);
        this.#c.events.emit('tx:confirmed', { hash, block: row.hash, height: row.height, index, ...receipt });
        return { hash, tx, receipt };
      });
      this.#emitContractChanges(row, receipts, done.changedBy.get(row.hash) ?? []);
    }
    // A new tip: mining restarts on it.
    this.#worker.cancel();
    this.#pruneLocal(newTip.height);
    if (this.mempool.size > 0) this.#onMempoolGrew();
  }

  /**
   * `contract:new` / `contract:update` for the contracts a main-chain block changed (docs/api.md
   * §6.41): `contracts` as they are after it, `txs` the block's transactions that made the
   * change (a deploy that created it; calls that ran ok on it).
   */
  #emitContractChanges(row: BlockRow, receipts: Array<{ hash: string; tx: Transaction; receipt: Receipt }>, contracts: ChainContract[]): void {
    for (const c of contracts) {
      let created = false;
      const txs: string[] = [];
      for (const { hash, tx, receipt } of receipts) {
        if (tx.kind === 'deploy' && receipt.contract === c.address) {
          created = true;
          txs.push(hash);
        } else if (tx.kind === 'call' && tx.contract === c.address && receipt.status === 'ok') txs.push(hash);
      }
      this.#c.events.emit(created ? 'contract:new' : 'contract:update', { ...contractEvent(c), block: row.hash, blockHeight: row.height, txs, reorg: false, from: row.from_peer });
    }
  }

  /**
   * After a reorg, for the contracts the disconnected blocks had changed and the new branch
   * does not change: `contract:update` (`reorg: true`) when the state went back to an earlier
   * one, `contract:removed` when its deploy left the main chain.
   */
  #emitReverted(done: Reorg, newTip: BlockRow): void {
    const touched = new Set<string>();
    for (const list of done.changedBy.values()) for (const c of list) touched.add(c.address);
    for (const address of done.reverted) {
      if (touched.has(address)) continue;
      const now = this.#repo.contract(address);
      if (now) this.#c.events.emit('contract:update', { ...contractEvent(now), block: newTip.hash, blockHeight: newTip.height, txs: [], reorg: true, from: newTip.from_peer });
      else {
        const deploy = done.disconnected.flatMap((b) => b.txs).find((tx) => tx.kind === 'deploy' && txHash(tx) === address);
        this.#c.events.emit('contract:removed', { mode: 'chain', address, name: deploy?.kind === 'deploy' ? deploy.name : '', block: newTip.hash, blockHeight: newTip.height });
      }
    }
  }

  /** Gossip `chain-block`: accept; forward only a block that joined the main chain (a side branch travels by sync). */
  #onGossipBlock(payload: unknown, from: string): { penalty: number; reason?: string } | true {
    const header = (payload as Partial<Block> | null)?.header;
    try {
      const result = this.accept(payload, from, false);
      this.sync.noteHeld(from, header!.height, result.hash);
      return result.status === 'connected' ? true : { penalty: 0, reason: 'not on the main chain here' };
    } catch (err) {
      if (!(err instanceof BlockRejectedError)) throw err;
      if (err.code === 'UNKNOWN_PARENT') this.sync.onUnknownParent(from);
      if (err.code === 'LOW_WORK' || err.code === 'UNKNOWN_PARENT') {
        this.sync.noteHeld(from, header!.height, err.hash);
        // Equal work, or a branch of the same height whose parent this node lacks (sync fetches
        // only heavier branches): either way a tie if the heights match (#onTie checks).
        if (this.mode === 'automine') this.#onTie(header!);
      }
      // The penalty, if any, was taken by accept().
      return { penalty: 0, reason: `${err.code}: ${err.message}` };
    }
  }

  // --- transactions submitted here (kept until buried) ----------------------------------

  /** Put the stored transactions submitted here back into the mempool (after a restart); forget those no longer valid. */
  #reloadLocal(): void {
    for (const row of this.#repo.localTxs()) {
      this.#local.add(row.hash);
      if (this.#repo.txLocation(row.hash)) continue; // confirmed: forgotten once buried
      try {
        const { tx, hash, size } = verifyTx(JSON.parse(row.tx), this.genesisHash);
        this.mempool.add(tx, hash, size);
      } catch {
        this.#forgetLocal(row.hash); // its nonce was used meanwhile, or it is no longer funded
      }
    }
  }

  /** After the tip moved to `height`: forget transactions submitted here that are buried LOCAL_TX_DEPTH deep, or that left the mempool unconfirmed (stale). */
  #pruneLocal(height: number): void {
    for (const hash of this.#local) {
      if (this.mempool.has(hash)) continue;
      const at = this.#repo.txLocation(hash);
      if (!at || height - at.height + 1 >= LOCAL_TX_DEPTH) this.#forgetLocal(hash);
    }
  }

  #forgetLocal(hash: string): void {
    this.#local.delete(hash);
    this.#repo.deleteLocalTx(hash);
  }

  /** Send a peer that just connected this node's pending transactions (`Txs`, at most MAX_TXS_MESSAGE each). */
  #sendPending(peer: Peer): void {
    const txs = [...this.#local].flatMap((h) => this.mempool.get(h)?.tx ?? []);
    for (let i = 0; i < txs.length; i += MAX_TXS_MESSAGE) {
      try {
        peer.connection.send('Txs', { txs: txs.slice(i, i + MAX_TXS_MESSAGE) });
      } catch {
        return; // the connection closed meanwhile
      }
    }
  }

  // --- mining -------------------------------------------------------------------------

  /**
   * Automine: a peer's block at the height of this node's tip, with the same target, ties it
   * (equal work; each node keeps the one it saw first, and only a next block ends it). With no
   * transaction left to mine, that next block might never come: the node whose tip has the
   * lower hash mines one (empty if need be) after automineRelayedDelayMs (at least
   * MIN_TIE_WAIT_MS), the other after
   * three times that if the tie still stands (its rival may not mine). Local policy, not
   * consensus.
   */
  #onTie(rival: BlockHeader): void {
    const tip = this.head();
    const tipHeader = this.#header(tip.hash);
    if (rival.height !== tip.height || !tipHeader || rival.target !== tipHeader.target) return;
    // One timer per tied tip; a timer left from an earlier tie (another tip) is replaced.
    if (this.#tieTimer && this.#tieTip === tip.hash) return;
    clearTimeout(this.#tieTimer);
    this.#tieTip = tip.hash;
    const delay = Math.max(this.#automineRelayedDelayMs, MIN_TIE_WAIT_MS) * (tip.hash < blockHash(rival) ? 1 : 3);
    this.#tieTimer = setTimeout(() => {
      this.#tieTimer = undefined;
      // A run in progress may end the tie itself (a block) or not (automine with nothing to mine).
      void (this.#mining ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => (this.#started && this.head().hash === tip.hash ? this.mine() : undefined))
        .catch(() => undefined);
    }, delay);
  }

  #onMempoolGrew(): void {
    if (this.mode !== 'automine') return;
    const local = [...this.#local].some((h) => this.mempool.has(h));
    this.#scheduleMining(local ? 0 : this.#automineRelayedDelayMs);
  }

  /**
   * Mine soon: automine after `delayMs` (an earlier request moves a later timer forward);
   * interval mode once `blockTimeMs` has passed since the tip's time, and not before `delayMs`
   * (a local pace on top of the consensus difficulty, which retargets only when
   * `retargetInterval` > 0). While a block is being mined nothing is scheduled: #afterMining
   * schedules the next once it ends.
   */
  #scheduleMining(delayMs = 0): void {
    if (!this.#started || this.#mining) return;
    const delay = this.mode === 'interval' ? Math.max(delayMs, this.head().time + this.blockTimeMs - Date.now()) : delayMs;
    const due = performance.now() + delay;
    if (this.#miningTimer) {
      if (due >= this.#miningDue) return;
      clearTimeout(this.#miningTimer);
    }
    this.#miningDue = due;
    this.#miningTimer = setTimeout(() => {
      this.#miningTimer = undefined;
      if (this.#started && !this.#mining) void this.#run(this.mode === 'automine').catch(() => undefined);
    }, delay);
  }

  /**
   * After any mining run (scheduled or asked for with mine()): interval mode schedules the next
   * block; automine mines what is left. A run that failed waits MINING_RETRY_MS first; an
   * automatic run that found nothing it could mine (`block` null: only future nonces left)
   * waits for the mempool to grow.
   */
  #afterMining(block: Block | null, failed: boolean): void {
    if (!this.#started) return;
    if (this.mode === 'interval') this.#scheduleMining(failed ? MINING_RETRY_MS : 0);
    else if (this.mode === 'automine' && this.mempool.size > 0 && (block !== null || failed)) {
      if (failed) this.#scheduleMining(MINING_RETRY_MS);
      else this.#onMempoolGrew();
    }
  }

  /**
   * Mine one block on the current tip with the best transactions of the mempool (in the
   * worker thread), accept it and gossip it. A new tip meanwhile restarts the search on it.
   * The block may be empty (its reward still counts).
   * @throws AbortedError when the node stops first
   */
  async mine(): Promise<Block> {
    for (;;) {
      if (this.#mining) await this.#mining.catch(() => undefined);
      else return (await this.#run(false))!;
    }
  }

  /** One mining run at a time; `automatic` runs (automine) give up, returning null, once the mempool has nothing to mine. */
  #run(automatic: boolean): Promise<Block | null> {
    const run = this.#mineOnce(automatic).finally(() => {
      if (this.#mining === run) this.#mining = null;
    });
    this.#mining = run;
    run.then(
      (block) => this.#afterMining(block, false),
      () => this.#afterMining(null, true),
    );
    return run;
  }

  async #mineOnce(automatic: boolean): Promise<Block | null> {
    for (;;) {
      if (!this.#started) throw new AbortedError('the chain is stopped');
      const tip = this.head();
      const txs = this.mempool.select(MAX_BLOCK_TXS, MAX_BLOCK_BYTES - 4096);
      // Automine never mines an empty block: another miner may have taken every transaction
      // while this one searched (the new tip restarted it here).
      if (automatic && txs.length === 0) return null;
      const miner = this.#c.identity.nodeId;
      const time = Math.max(Date.now(), this.#medianTimePast(tip.hash) + 1);
      let root: string;
      try {
        root = this.#execute({ miner, height: tip.height + 1, time }, txs, '', this.#bounds.mine).root;
      } catch (err) {
        if (!(err instanceof TooExpensiveTxError)) throw err;
        // Policy: a transaction that holds the sandbox past the bound is never mined here.
        this.mempool.remove(err.tx);
        this.#c.events.emit('warning', { code: 'TX_TOO_EXPENSIVE', message: `transaction ${err.tx} left out of the block and the mempool: ${err.message}` });
        continue;
      }
      const header: BlockHeader = {
        version: BLOCK_VERSION,
        height: tip.height + 1,
        prev: tip.hash,
        merkleRoot: merkleRoot(txs.map((t) => txHash(t))),
        stateRoot: root,
        time,
        target: this.nextTarget(tip.hash),
        nonce: 0,
        miner,
      };
      let nonce: number;
      try {
        nonce = await this.#worker.solve(encodeHeader(header), Buffer.from(header.target, 'hex'), randomInt(0, 2 ** 32));
      } catch (err) {
        if (err instanceof AbortedError && this.#started) continue;
        throw err;
      }
      if (!this.#started) throw new AbortedError('the chain is stopped');
      if (this.head().hash !== tip.hash) continue;
      const block = signBlock(this.#c.identity, { ...header, nonce }, txs);
      this.accept(block, null);
      this.#c.gossip.publish(BLOCK_TOPIC, block);
      return block;
    }
  }

  // --- sync (sync.ts) ----------------------------------------------------------------

  /** Block locator of the main chain (docs/protocol.md §21.12). */
  locator(): string[] {
    return this.sync.locator();
  }

  /** Fetch what a peer has beyond this node (headers first, then bodies). Never rejects. */
  syncWith(nodeId: string): Promise<void> {
    return this.sync.syncWith(nodeId);
  }

  onPeerConnect(peer: Peer): void {
    this.#sendPending(peer);
    this.sync.onPeerConnect(peer);
  }

  onPeerDisconnect({ nodeId }: { nodeId: string }): void {
    this.#buckets.delete(nodeId);
    this.sync.onPeerDisconnect(nodeId);
  }
}

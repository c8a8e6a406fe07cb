/**
 * What this window knows about its node, kept up to date from the node's event stream.
 *
 * Data flow: when the supervisor reports `running`, connect() opens `GET /api/v1/events`
 * first and then reads the node, its peers, contracts, shares and downloads once (events that
 * arrive meanwhile are applied after that snapshot, so none is lost). From then on only
 * events change the model: peer:* the peers, contract:new/update a fetch of that one record
 * (either mode: a chain contract's events also give the block of its last change, and go to
 * `onDidReceiveChainContract`), contract:removed (a reorg undid a chain deploy) its removal,
 * transfer:* the shares and downloads, peer:*, pex:addresses and peer:dial-failed a read of
 * the known set and the bans (coalesced: one read in flight, one more queued), chat:* go to
 * `onDidReceiveChat` (the chat model), chain events to `onDidReceiveChain` (the chain model). Views and panels listen to the `onDidChange*` events;
 * nothing polls. When the stream ends without disconnect() having been called, the node is
 * gone: `onDidLoseConnection` fires (the supervisor then looks for a node again).
 */
import * as vscode from 'vscode';
import { CoalescedRead } from './coalesced';
import type { ApiEvent, BanRecord, ChainContractEvent, ContractRecord, ContractView, DownloadProgress, KnownAddress, NodeInfo, PeerInfo, ShareInfo, TypedApiClient } from '@plexus/sdk';

/** A contract of either mode as GET /contracts/{address} gives it (`mode` "chain" or "replicated"). */
export type Contract = ContractView;

/** One version of a contract seen by this window. */
export interface ContractVersion {
  seq: number;
  version: ContractRecord['version'];
  updatedAt: number;
  stateHash: string;
  state: ContractRecord['state'];
  /** Who made the change: the node ID, or null when unknown. */
  by: string;
}

/**
 * A peer's first round-trip time is measured one heartbeat after it connects, and the API has
 * no event for it (SDK change wanted: a `peer:rtt` or `peer:update` event). The model reads
 * the peers once, this long after a connect whose round-trip time was still unknown (ms).
 */
export const FIRST_RTT_READ_MS = 6_000;

/** Versions kept per contract. */
export const HISTORY_LIMIT = 50;

/** The chain's events (docs/api.md §6.41) and a gossiped chain transaction. */
function isChainEvent(name: string, payload: unknown): boolean {
  return name.startsWith('chain:') || name === 'tx:confirmed' || (name === 'gossip:message' && (payload as { topic?: string }).topic === 'chain-tx');
}

export class NodeModel implements vscode.Disposable {
  #client: TypedApiClient | null = null;
  #abort: AbortController | null = null;
  #info: NodeInfo | null = null;
  readonly #peers = new Map<string, PeerInfo>();
  readonly #contracts = new Map<string, Contract>();
  /** Chain contracts: the block of the last change this window saw (contract:new/update), by address. */
  readonly #lastBlock = new Map<string, number>();
  readonly #history = new Map<string, ContractVersion[]>();
  readonly #shares = new Map<string, ShareInfo>();
  readonly #downloads = new Map<string, DownloadProgress>();
  /** The known set (GET /network/known), or null when the node does not serve it (no pex). */
  #known: KnownAddress[] | null = null;
  #bans: BanRecord[] = [];
  /** The read of the known set and bans (one in flight, one more queued). */
  readonly #sets = new CoalescedRead(async () => {
    const client = this.#client;
    if (!client) return;
    const [known, bans] = await Promise.all([this.#known === null ? Promise.resolve(null) : client.known(), client.bans()]);
    if (client !== this.#client) return;
    if (known) this.#known = known;
    this.#bans = bans;
    this.#onDidChangeKnown.fire();
  });
  /** Per contract, the fetch in flight (a later event waits for it, so versions stay in order). */
  readonly #fetching = new Map<string, Promise<void>>();

  readonly #onDidChangeNode = new vscode.EventEmitter<void>();
  readonly #onDidChangePeers = new vscode.EventEmitter<void>();
  readonly #onDidChangeContract = new vscode.EventEmitter<string | null>();
  readonly #onDidChangeFiles = new vscode.EventEmitter<void>();
  readonly #onDidLoseConnection = new vscode.EventEmitter<void>();
  readonly #onDidWarn = new vscode.EventEmitter<{ code: string; message: string }>();
  readonly #onDidChangeKnown = new vscode.EventEmitter<void>();
  readonly #onDidReceiveChat = new vscode.EventEmitter<Extract<ApiEvent, { name: 'chat:message' | 'chat:mark' }>>();
  readonly #onDidReceiveChain = new vscode.EventEmitter<{ name: string; payload: unknown }>();
  readonly #onDidReceiveChainContract = new vscode.EventEmitter<ChainContractEvent>();
  /** The node's identity or connection changed (connect, disconnect). */
  readonly onDidChangeNode = this.#onDidChangeNode.event;
  readonly onDidChangePeers = this.#onDidChangePeers.event;
  /** A contract's record changed (its address), or all of them (null). */
  readonly onDidChangeContract = this.#onDidChangeContract.event;
  readonly onDidChangeFiles = this.#onDidChangeFiles.event;
  readonly onDidLoseConnection = this.#onDidLoseConnection.event;
  /** A `warning` event of the node. */
  readonly onDidWarn = this.#onDidWarn.event;
  /** The known set or the bans changed. */
  readonly onDidChangeKnown = this.#onDidChangeKnown.event;
  /** A `chat:message` or `chat:mark` event of the node (after the snapshot, in stream order). */
  readonly onDidReceiveChat = this.#onDidReceiveChat.event;
  /**
   * A chain event of the node (`chain:*`, `tx:confirmed`, and `gossip:message` of topic
   * `chain-tx`), in stream order; the chain model reads the chain again on it.
   */
  readonly onDidReceiveChain = this.#onDidReceiveChain.event;
  /** A `contract:new` or `contract:update` of a chain contract (its block and the transactions that changed it). */
  readonly onDidReceiveChainContract = this.#onDidReceiveChainContract.event;

  get client(): TypedApiClient | null {
    return this.#client;
  }
  get connected(): boolean {
    return this.#client !== null;
  }
  get info(): NodeInfo | null {
    return this.#info;
  }
  peers(): PeerInfo[] {
    return [...this.#peers.values()];
  }
  /** Replicated contracts by deploy time, then chain contracts by deploy block. */
  contracts(): Contract[] {
    const all = [...this.#contracts.values()];
    const replicated = all.filter((c) => c.mode !== 'chain').sort((a, b) => (a as ContractRecord).createdAt - (b as ContractRecord).createdAt);
    const chain = all.filter((c) => c.mode === 'chain').sort((a, b) => (a as { height: number }).height - (b as { height: number }).height || a.address.localeCompare(b.address));
    return [...replicated, ...chain];
  }
  contract(address: string): Contract | undefined {
    return this.#contracts.get(address);
  }
  /** A chain contract's block of the last change this window saw, else its deploy block; undefined for a replicated one. */
  lastBlock(address: string): number | undefined {
    const c = this.#contracts.get(address);
    return c?.mode === 'chain' ? (this.#lastBlock.get(address) ?? c.height) : undefined;
  }
  /** Versions of the contract this window has seen, newest first. */
  history(address: string): ContractVersion[] {
    return [...(this.#history.get(address) ?? [])].reverse();
  }
  shares(): ShareInfo[] {
    return [...this.#shares.values()];
  }
  downloads(): DownloadProgress[] {
    return [...this.#downloads.values()];
  }
  /** Every address-book entry with its state (docs/api.md §5.11), oldest first; null when the node has no peer exchange. */
  known(): KnownAddress[] | null {
    return this.#known;
  }
  /** Active bans, in the order they were issued. */
  bans(): BanRecord[] {
    return this.#bans;
  }

  /** Follow `client`'s node: open its event stream, then load the snapshot. */
  async connect(client: TypedApiClient): Promise<void> {
    this.disconnect();
    this.#client = client;
    const abort = new AbortController();
    this.#abort = abort;
    let queue: ApiEvent[] | null = [];
    const onEvent = (event: ApiEvent): void => {
      if (queue) queue.push(event);
      else this.#apply(event);
    };
    const stream = client.events(onEvent, abort.signal);
    stream.then(
      () => this.#streamEnded(abort),
      () => this.#streamEnded(abort),
    );
    try {
      const [info, peers, summaries, shares, downloads, bans] = await Promise.all([client.node(), client.peers(), client.contracts(), client.files(), client.downloads(), client.bans()]);
      const known = info.capabilities.includes('pex') ? await client.known() : null;
      if (abort.signal.aborted) return;
      this.#info = info;
      this.#known = known;
      this.#bans = bans;
      for (const p of peers) this.#peers.set(p.nodeId, p);
      if (peers.some((p) => p.rttMs === null)) this.#readRttLater();
      for (const s of shares) this.#shares.set(s.fileId, s);
      for (const d of downloads) this.#downloads.set(d.id, d);
      await Promise.all(summaries.map((s) => this.#fetchContract(s.address)));
    } finally {
      const held = queue ?? [];
      queue = null;
      for (const event of held) this.#apply(event);
    }
    this.#onDidChangeNode.fire();
    this.#onDidChangePeers.fire();
    this.#onDidChangeContract.fire(null);
    this.#onDidChangeFiles.fire();
    this.#onDidChangeKnown.fire();
  }

  /** Stop following the node and forget what was known. */
  disconnect(): void {
    const wasConnected = this.#client !== null;
    this.#abort?.abort();
    this.#abort = null;
    this.#client = null;
    this.#info = null;
    this.#peers.clear();
    this.#contracts.clear();
    this.#lastBlock.clear();
    this.#history.clear();
    this.#shares.clear();
    this.#downloads.clear();
    this.#known = null;
    this.#bans = [];
    if (!wasConnected) return;
    this.#onDidChangeNode.fire();
    this.#onDidChangePeers.fire();
    this.#onDidChangeContract.fire(null);
    this.#onDidChangeFiles.fire();
    this.#onDidChangeKnown.fire();
  }

  /**
   * Read the known set and the bans again: now, or once the read in flight ends when one is
   * running (so a burst of events costs at most two reads).
   */
  refreshKnown(): Promise<void> {
    return this.#sets.run();
  }

  /** Re-read one contract now (after a call from this window, before its event arrives). */
  refreshContract(address: string): Promise<void> {
    return this.#fetchContract(address);
  }

  /** Re-read the peers (round-trip times change without an event). */
  async refreshPeers(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const peers = await client.peers();
    if (client !== this.#client) return;
    this.#peers.clear();
    for (const p of peers) this.#peers.set(p.nodeId, p);
    this.#onDidChangePeers.fire();
  }

  #rttTimer: NodeJS.Timeout | null = null;

  #readRttLater(): void {
    if (this.#rttTimer) return;
    this.#rttTimer = setTimeout(() => {
      this.#rttTimer = null;
      void this.refreshPeers().catch(() => undefined);
    }, FIRST_RTT_READ_MS);
  }

  #streamEnded(abort: AbortController): void {
    if (abort.signal.aborted || abort !== this.#abort) return;
    this.disconnect();
    this.#onDidLoseConnection.fire();
  }

  #apply(event: ApiEvent): void {
    switch (event.name) {
      case 'peer:connect':
        this.#peers.set(event.payload.nodeId, event.payload);
        if (event.payload.rttMs === null) this.#readRttLater();
        this.#info && (this.#info = { ...this.#info, peerCount: this.#peers.size });
        void this.refreshKnown();
        return this.#onDidChangePeers.fire();
      case 'peer:disconnect':
        this.#peers.delete(event.payload.nodeId);
        this.#info && (this.#info = { ...this.#info, peerCount: this.#peers.size });
        void this.refreshKnown();
        return this.#onDidChangePeers.fire();
      case 'peer:ban':
      case 'peer:unban':
      case 'peer:dial-failed':
        return void this.refreshKnown();
      case 'chat:message':
      case 'chat:mark':
        return this.#onDidReceiveChat.fire(event);
      case 'contract:new':
      case 'contract:update':
        if (event.payload.mode === 'chain') {
          this.#lastBlock.set(event.payload.address, event.payload.blockHeight);
          this.#onDidReceiveChainContract.fire(event.payload);
        }
        void this.#fetchContract(event.payload.address);
        return;
      case 'contract:removed':
        this.#contracts.delete(event.payload.address);
        this.#lastBlock.delete(event.payload.address);
        return this.#onDidChangeContract.fire(event.payload.address);
      case 'transfer:share':
        void this.#client?.files().then((files) => {
          for (const f of files) this.#shares.set(f.fileId, f);
          this.#onDidChangeFiles.fire();
        }, () => undefined);
        return;
      case 'transfer:start':
      case 'transfer:progress':
      case 'transfer:complete':
        this.#downloads.set(event.payload.id, event.payload);
        return this.#onDidChangeFiles.fire();
      case 'warning':
        return this.#onDidWarn.fire(event.payload);
      default:
        if (isChainEvent(event.name as string, event.payload)) return this.#onDidReceiveChain.fire({ name: event.name, payload: event.payload });
        // pex:addresses is not in the SDK's typed map yet: an Addr was merged, maybe with new
        // known addresses.
        if ((event.name as string) === 'pex:addresses' && ((event.payload as { added?: number }).added ?? 0) > 0) void this.refreshKnown();
        return;
    }
  }

  #fetchContract(address: string): Promise<void> {
    const previous = this.#fetching.get(address) ?? Promise.resolve();
    const client = this.#client;
    const next = previous.then(async () => {
      if (!client || client !== this.#client) return;
      let record: Contract;
      try {
        record = await client.contract(address);
      } catch {
        return;
      }
      if (client !== this.#client) return;
      const old = this.#contracts.get(address);
      if (record.mode === 'chain') {
        if (old?.stateHash === record.stateHash && old.mode === 'chain') return;
        this.#contracts.set(address, record);
        return this.#onDidChangeContract.fire(address);
      }
      if (old && old.mode !== 'chain' && old.seq === record.seq && old.stateHash === record.stateHash && old.version?.nodeId === record.version?.nodeId) return;
      this.#contracts.set(address, record);
      const history = this.#history.get(address) ?? [];
      history.push({ seq: record.seq, version: record.version, updatedAt: record.updatedAt, stateHash: record.stateHash, state: record.state, by: record.version?.nodeId ?? record.deployer });
      if (history.length > HISTORY_LIMIT) history.shift();
      this.#history.set(address, history);
      this.#onDidChangeContract.fire(address);
    });
    this.#fetching.set(address, next);
    void next.finally(() => {
      if (this.#fetching.get(address) === next) this.#fetching.delete(address);
    });
    return next;
  }

  dispose(): void {
    if (this.#rttTimer) clearTimeout(this.#rttTimer);
    this.#abort?.abort();
    for (const e of [this.#onDidChangeNode, this.#onDidChangePeers, this.#onDidChangeContract, this.#onDidChangeFiles, this.#onDidLoseConnection, this.#onDidWarn, this.#onDidChangeKnown, this.#onDidReceiveChat, this.#onDidReceiveChain, this.#onDidReceiveChainContract]) e.dispose();
  }
}

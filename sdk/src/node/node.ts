import { join } from 'node:path';
import { ApiServer, generateToken, loadOrCreateToken, type NodeInfo } from '../api/index.js';
import { NotStartedError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { Heartbeat, type HeartbeatInit } from '../heartbeat/index.js';
import { Identity, loadOrCreateIdentity } from '../identity/index.js';
import { parseAddress, PeerManager, type PeerInfo } from '../peers/index.js';
import {
  BansRepository,
  ContractsRepository,
  DATABASE_FILE,
  MetaRepository,
  OutboxRepository,
  PeersRepository,
  MIGRATIONS,
  Store,
  SyncCursorsRepository,
  TransfersRepository,
  type BanRecord,
  type OutboxEntry,
  type PeerRecord,
} from '../store/index.js';
import { HybridClock } from '../clock/index.js';
import {
  ContractService,
  Sandbox,
  type CallResult,
  type ContractEvents,
  type ContractRecord,
  type ContractServiceInit,
  type ContractSummary,
  type SandboxLimits,
} from '../contracts/index.js';
import { Outbox, type OutboxInit } from '../outbox/index.js';
import { type DownloadProgress, type ShareInfo, TransferService, type TransferEvents, type TransferInit } from '../transfer/index.js';
import { Codec, PROTOCOL_VERSION, Transport } from '../transport/index.js';
import { AGENT, SDK_VERSION } from '../version.js';
import { lockDataDir, markStopped, writeRunInfo } from './data-dir.js';

/** Options of a node. Every timing is here so tests can shrink it; defaults are in each capability's constants. */
export interface NodeInit {
  /** Folder for the identity key, database, API token and run file. null: in memory, fresh identity. */
  dataDir?: string | null;
  /** Display name sent to peers (at most 64 characters). */
  name?: string | null;
  /** Interface for the peer port. Default 127.0.0.1. */
  host?: string;
  /** Peer port; 0 picks a free one; null does not listen. Default 0. */
  p2pPort?: number | null;
  /** Address announced to peers, when it differs from host:port (NAT, 0.0.0.0). */
  announceAddress?: string;
  /** Peers ("host:port") to dial at start and keep connected. */
  peers?: string[];
  /** Most connected peers. Default 50. */
  maxPeers?: number;
  /** Largest inbound frame (bytes). Default 1 MiB. */
  maxPayload?: number;
  /** Time allowed for the whole handshake (ms). Default 5000. */
  handshakeTimeoutMs?: number;
  heartbeat?: HeartbeatInit;
  /** First redial delay (ms), doubled per failure up to dialBackoffMaxMs. Defaults 1000 / 60000. */
  dialBackoffBaseMs?: number;
  dialBackoffMaxMs?: number;
  /** Ban a peer when its score reaches minus this. Default 100. */
  banScoreThreshold?: number;
  /** How long an automatic ban lasts (ms). Default 1 hour. */
  banDurationMs?: number;
  store?: { groupCommitMs?: number; checkpointBytes?: number; wasmPath?: string };
  /** Physical clock (ms since epoch) under the hybrid logical clock. Default Date.now; tests inject skew. */
  now?: () => number;
  /** Contract sandbox limits, sync paging and per-peer caps. */
  contracts?: SandboxLimits & ContractServiceInit;
  /** Outbox retry limit and timings. */
  outbox?: OutboxInit;
  /** File transfer: upload rate limit, snub timeout, pipeline sizes. */
  transfer?: TransferInit;
  /** Start the HTTP API. Off by default for embedded nodes; `plexus node` turns it on. */
  api?: { port?: number; host?: string; token?: string } | false;
}

export type NodeState = 'stopped' | 'starting' | 'running' | 'stopping';

/** Every event a node emits. */
export interface NodeEvents extends ContractEvents, TransferEvents {
  'node:start': { nodeId: string; p2pAddress: string | null; apiUrl: string | null };
  'node:stop': { nodeId: string };
}

interface Running {
  identity: Identity;
  store: Store;
  peersRepo: PeersRepository;
  bansRepo: BansRepository;
  transport: Transport;
  peers: PeerManager;
  heartbeat: Heartbeat;
  outbox: Outbox;
  contracts: ContractService;
  transfers: TransferService;
  api: ApiServer | null;
  unlock: (() => Promise<void>) | null;
  startedAt: number;
}

/**
 * A Plexus node: the composition root that builds and wires every capability.
 *
 * Start order: lock the data folder, identity, store, transport (listen), peers (dial the
 * address book), heartbeat, API, run file; `stop()` undoes it in reverse. Both are safe to
 * call twice. Events: see NodeEvents; `onAny` sees all of them (the SSE stream uses it).
 *
 * @example
 *   const node = await createNode({ dataDir: './data', p2pPort: 5000, peers: ['127.0.0.1:5001'] });
 *   node.on('peer:connect', (p) => console.log('connected', p.nodeId));
 *   await node.stop();
 */
export class PlexusNode extends TypedEmitter<NodeEvents> {
  readonly init: Readonly<NodeInit>;
  #state: NodeState = 'stopped';
  #running: Running | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(init: NodeInit = {}) {
    super();
    this.init = { ...init };
  }

  get state(): NodeState {
    return this.#state;
  }

  /** Hex node ID. @throws NotStartedError before start() */
  get nodeId(): string {
    return this.#get().identity.nodeId;
  }

  get publicKey(): string {
    return this.#get().identity.publicKey;
  }

  /** "host:port" where peers reach this node, or null. */
  get p2pAddress(): string | null {
    return this.#running?.transport.listenAddress ?? null;
  }

  /** "http://127.0.0.1:PORT" of the HTTP API, or null when it is off. */
  get apiUrl(): string | null {
    return this.#running?.api?.url ?? null;
  }

  /** The heartbeat's bound from a peer's silence to its removal (ms). */
  get deadPeerBoundMs(): number {
    return this.#get().heartbeat.detectionBoundMs;
  }

  /** The store (for capabilities and tests that need durability). */
  get store(): Store {
    return this.#get().store;
  }

  /** Start the node. Rejects (and releases everything) if any part fails to start. */
  start(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    this.#starting ??= this.#start().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    this.#stopping = undefined;
    const dataDir = this.init.dataDir ?? null;
    const announceAddress = this.init.announceAddress ? parseAddress(this.init.announceAddress).address : undefined;
    const cleanup: Array<() => Promise<void> | void> = [];
    try {
      const unlock = dataDir ? await lockDataDir(dataDir) : null;
      if (unlock) cleanup.push(unlock);
      const identity = dataDir ? await loadOrCreateIdentity(dataDir) : Identity.generate();
      const store = await Store.open(dataDir ? join(dataDir, DATABASE_FILE) : null, {
        ...this.init.store,
        onSaveError: (err) => this.emit('warning', { code: err.code, message: err.message }),
        onWarning: (w) => this.emit('warning', w),
      });
      cleanup.push(() => store.close());
      await store.migrate(MIGRATIONS);
      const meta = new MetaRepository(store);
      if (!meta.get('created_at')) meta.set('created_at', String(Date.now()));
      const peersRepo = new PeersRepository(store);
      const bansRepo = new BansRepository(store);
      const codec = new Codec();
      const transport = new Transport(
        { codec },
        { host: this.init.host, port: this.init.p2pPort, announceAddress, maxPayload: this.init.maxPayload, dialTimeoutMs: this.init.handshakeTimeoutMs },
      );
      const peers = new PeerManager(
        { identity, transport, codec, peersRepo, bansRepo, events: this },
        {
          maxPeers: this.init.maxPeers,
          bootstrap: this.init.peers,
          handshakeTimeoutMs: this.init.handshakeTimeoutMs,
          dialBackoffBaseMs: this.init.dialBackoffBaseMs,
          dialBackoffMaxMs: this.init.dialBackoffMaxMs,
          banScoreThreshold: this.init.banScoreThreshold,
          banDurationMs: this.init.banDurationMs,
          agent: AGENT,
          name: this.init.name ?? null,
        },
      );
      const heartbeat = new Heartbeat({ peers, events: this }, this.init.heartbeat);
      const clock = new HybridClock(identity.nodeId, { now: this.init.now });
      const outbox = new Outbox(
        { nodeId: identity.nodeId, peers, peersRepo, outboxRepo: new OutboxRepository(store), store, events: this },
        this.init.outbox,
      );
      const contracts = new ContractService(
        {
          identity,
          peers,
          codec,
          store,
          contractsRepo: new ContractsRepository(store),
          syncCursorsRepo: new SyncCursorsRepository(store),
          metaRepo: meta,
          outbox,
          clock,
          sandbox: new Sandbox(this.init.contracts),
          events: this,
        },
        this.init.contracts,
      );
      const transfers = new TransferService(
        { identity, peers, codec, store, transfersRepo: new TransfersRepository(store), events: this },
        this.init.transfer,
      );
      await transport.start();
      cleanup.push(() => transport.stop());
      // Capabilities listen for peer:connect before the first peer is dialed.
      await contracts.start();
      cleanup.push(() => contracts.stop());
      await transfers.start();
      cleanup.push(() => transfers.stop());
      outbox.start();
      cleanup.push(() => outbox.stop());
      peers.start();
      cleanup.push(() => peers.stop());
      heartbeat.start();
      cleanup.push(() => heartbeat.stop());
      this.#running = { identity, store, peersRepo, bansRepo, transport, peers, heartbeat, outbox, contracts, transfers, api: null, unlock, startedAt: Date.now() };
      if (this.init.api) {
        const token = this.init.api.token ?? (dataDir ? await loadOrCreateToken(dataDir) : generateToken());
        const api = new ApiServer({ node: this as never }, { token, host: this.init.api.host, port: this.init.api.port });
        await api.start();
        cleanup.push(() => api.stop());
        this.#running.api = api;
      }
      if (dataDir) {
        await writeRunInfo(dataDir, {
          running: true,
          pid: process.pid,
          nodeId: identity.nodeId,
          name: this.init.name ?? null,
          version: SDK_VERSION,
          p2pAddress: transport.listenAddress,
          apiUrl: this.#running.api?.url ?? null,
          startedAt: this.#running.startedAt,
        });
      }
      this.#state = 'running';
      this.emit('node:start', { nodeId: identity.nodeId, p2pAddress: transport.listenAddress, apiUrl: this.apiUrl });
    } catch (err) {
      this.#running = undefined;
      for (const undo of cleanup.reverse()) await Promise.resolve(undo()).catch(() => undefined);
      this.#state = 'stopped';
      throw err;
    }
  }

  /** Stop everything in reverse start order, saving the store. Safe to call twice. */
  stop(): Promise<void> {
    if (this.#state === 'stopped' && !this.#starting) return Promise.resolve();
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => undefined);
      const r = this.#running;
      if (!r) return;
      this.#state = 'stopping';
      const dataDir = this.init.dataDir ?? null;
      if (dataDir) await markStopped(dataDir);
      await r.api?.stop();
      await r.heartbeat.stop();
      await r.peers.stop();
      await r.outbox.stop();
      await r.transfers.stop();
      await r.contracts.stop();
      await r.transport.stop();
      await r.store.close();
      await r.unlock?.();
      this.#running = undefined;
      this.#state = 'stopped';
      this.emit('node:stop', { nodeId: r.identity.nodeId });
    })();
    return this.#stopping;
  }

  info(): NodeInfo {
    const r = this.#get();
    return {
      nodeId: r.identity.nodeId,
      publicKey: r.identity.publicKey,
      name: this.init.name ?? null,
      version: SDK_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      agent: AGENT,
      addresses: { p2p: r.transport.listenAddress, api: r.api?.url ?? null },
      startedAt: r.startedAt,
      uptimeMs: Date.now() - r.startedAt,
      peerCount: r.peers.size,
    };
  }

  /** Connected peers with round-trip times. */
  peers(): PeerInfo[] {
    return this.#get().peers.list();
  }

  /**
   * Connect to "host:port" and keep reconnecting to it.
   * @throws InvalidAddressError, SelfDialError, DialError, HandshakeError
   */
  connect(address: string): Promise<PeerInfo> {
    return this.#get().peers.connect(address);
  }

  /** Drop a peer and stop redialing it. @throws PeerNotFoundError */
  disconnect(nodeId: string): void {
    this.#get().peers.disconnect(nodeId);
  }

  /** Entries of the address book. */
  addressBook(): PeerRecord[] {
    return this.#get().peersRepo.list();
  }

  bans(): BanRecord[] {
    return this.#get().bansRepo.list(Date.now());
  }

  /** Ban a node ID (default 1 hour) and drop it if connected. */
  ban(nodeId: string, durationMs?: number, reason?: string): BanRecord {
    return this.#get().peers.ban(nodeId, durationMs, reason);
  }

  unban(nodeId: string): boolean {
    return this.#get().peers.unban(nodeId);
  }

  /**
   * Deploy a contract (see docs/contracts.md). Resolves with the signed record once it and
   * its outbox rows are durable.
   * @throws ContractError
   */
  deploy(input: { name: string; source: string; args?: unknown[] }): Promise<ContractRecord> {
    return this.#get().contracts.deploy(input);
  }

  /**
   * Call a contract function. A state change resolves once durable and queued for peers;
   * a view (no state change) returns at once with `changed: false`.
   * @throws ContractError
   */
  call(address: string, fn: string, args: unknown[] = []): Promise<CallResult> {
    return this.#get().contracts.call(address, fn, args);
  }

  /** Every contract this node knows (without source and state). */
  contracts(): ContractSummary[] {
    return this.#get().contracts.list();
  }

  /** One contract's full record. @throws ContractError CONTRACT_NOT_FOUND */
  contract(address: string): ContractRecord {
    return this.#get().contracts.get(address);
  }

  /** Pending broadcasts not yet acknowledged. */
  outbox(): OutboxEntry[] {
    return this.#get().outbox.list();
  }

  /** Pull a connected peer's contract changes now (normally done on connect). */
  syncContracts(nodeId: string): Promise<void> {
    return this.#get().contracts.sync(nodeId);
  }

  /**
   * Share a file: hash it into pieces, sign the manifest, serve it. Returns the link others
   * fetch it with. @throws TransferError NOT_A_FILE
   */
  share(path: string): Promise<ShareInfo> {
    return this.#get().transfers.share(path);
  }

  shares(): ShareInfo[] {
    return this.#get().transfers.shares();
  }

  /**
   * Start downloading a link's file to `outPath` from every peer that has it. Resolves once
   * started; completion is the `transfer:complete` event (or `download(id).status`).
   * @throws TransferError INVALID_LINK, MANIFEST_UNAVAILABLE, ALREADY_DOWNLOADING
   */
  fetch(link: string, outPath: string): Promise<DownloadProgress> {
    return this.#get().transfers.download(link, outPath);
  }

  downloads(): DownloadProgress[] {
    return this.#get().transfers.downloads();
  }

  /** Stop and forget a download (the file stays). @throws TransferError DOWNLOAD_NOT_FOUND */
  removeDownload(id: string): Promise<void> {
    return this.#get().transfers.removeDownload(id);
  }

  /** Stop sharing a file. @throws TransferError FILE_NOT_FOUND */
  unshare(fileId: string): Promise<void> {
    return this.#get().transfers.unshare(fileId);
  }

  /** @throws TransferError DOWNLOAD_NOT_FOUND */
  download(id: string): DownloadProgress {
    return this.#get().transfers.progress(id);
  }

  #get(): Running {
    if (!this.#running) throw new NotStartedError('the node');
    return this.#running;
  }
}

/** Create and start a node. See NodeInit for options. */
export async function createNode(init: NodeInit = {}): Promise<PlexusNode> {
  const node = new PlexusNode(init);
  await node.start();
  return node;
}

import { join } from 'node:path';
import { ApiServer, generateToken, loadOrCreateToken, type NodeInfo } from '../api/index.js';
import { type ApisOf, type Capability, type EventsOf, type CapabilityContext, type CapabilityInstance, startOrder } from '../capability/index.js';
import { HybridClock } from '../clock/index.js';
import { lockDataDir, markStopped, writeRunInfo } from '../datadir/index.js';
import { NotStartedError } from '../errors.js';
import { type AnyListener, type EventBus, TypedEmitter } from '../events.js';
import { Identity, loadOrCreateIdentity } from '../identity/index.js';
import { type BanRecord, BansRepository, parseAddress, PEER_MIGRATIONS, type PeerEvents, PeerManager, type PeerInfo, type PeerRecord, PeersRepository } from '../peers/index.js';
import { DATABASE_FILE, META_MIGRATIONS, MetaRepository, Store } from '../store/index.js';
import { Codec, PROTOCOL_VERSION, Transport } from '../transport/index.js';
import { AGENT, SDK_VERSION } from '../version.js';
import { defaultCapabilities, type DefaultCapabilities } from './capabilities.js';
import type { NodeOptions } from './options.js';
import { nodeRoutes } from './routes.js';

/** Options of a node, and the capabilities it runs (default: defaultCapabilities(init)). */
export interface NodeInit<L extends readonly Capability<string, unknown, any>[] = DefaultCapabilities> extends NodeOptions {
  capabilities?: L;
}

export type NodeState = 'stopped' | 'starting' | 'running' | 'stopping';

/** The events of the core: the node itself and its peers. */
export interface CoreEvents extends PeerEvents {
  'node:start': { nodeId: string; p2pAddress: string | null; apiUrl: string | null };
  'node:stop': { nodeId: string };
}

/** Every event a node with the default capabilities emits: the core's and each capability's. */
export type NodeEvents = CoreEvents & EventsOf<DefaultCapabilities>;

interface Running {
  identity: Identity;
  store: Store;
  peersRepo: PeersRepository;
  bansRepo: BansRepository;
  transport: Transport;
  peers: PeerManager;
  /** Capability name -> its running instance, in start order. */
  instances: Map<string, CapabilityInstance>;
  api: ApiServer | null;
  unlock: (() => Promise<void>) | null;
  startedAt: number;
}

/**
 * A Plexus node: the composition root. It builds the core (data folder lock, identity, store,
 * transport, peer manager), then every capability of its list (heartbeat, outbox, contracts,
 * files by default; see capability/index.ts), wires what each declares (wire messages, binary
 * frame kinds, peer hooks, tables, HTTP routes), starts them in dependency order and stops them
 * in reverse. Each capability's API is `node.<name>` (`node.contracts.deploy()`,
 * `node.files.share()`).
 *
 * Events: capabilities emit on an internal bus; the node re-emits every event to its public
 * listeners (`on`, `onAny`: the SSE stream uses it). A listener that throws is reported as a
 * `warning` event (code LISTENER_THREW) and never breaks the node's own flow.
 *
 * @example
 *   const node = await createNode({ dataDir: './data', p2pPort: 5000, peers: ['127.0.0.1:5001'] });
 *   node.on('peer:connect', (p) => console.log('connected', p.nodeId));
 *   const record = await node.contracts.deploy({ name: 'counter', source });
 *   await node.stop();
 */
class Node<L extends readonly Capability<string, unknown, any>[] = DefaultCapabilities> extends TypedEmitter<NodeEvents> {
  readonly init: Readonly<NodeInit<L>>;
  /** The capabilities this node runs, in start order. */
  readonly capabilities: readonly Capability[];
  /** The internal bus: what capabilities and the core emit and listen to. */
  readonly #bus: TypedEmitter<NodeEvents>;
  #state: NodeState = 'stopped';
  #running: Running | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(init: NodeInit<L> = {}) {
    super();
    this.init = { ...init };
    this.capabilities = startOrder(init.capabilities ?? (defaultCapabilities(init) as unknown as readonly Capability[]));
    this.setListenerErrorHandler((event, err) => this.#listenerThrew('a listener', event, err));
    this.#bus = new TypedEmitter<NodeEvents>((event, err) => this.#listenerThrew('an internal listener', event, err));
    this.#bus.onAny((event, payload) => this.emit(event, payload));
    for (const c of this.capabilities) {
      // `in` sees the node's own fields and every method and getter of its prototype chain.
      if (c.name in this) throw new Error(`a capability cannot be named ${c.name}: the node has a member of that name`);
      Object.defineProperty(this, c.name, { get: () => this.#get().instances.get(c.name)!.api, enumerable: true });
    }
  }

  #listenerThrew(who: string, event: string, err: unknown): void {
    const message = `${who} of ${event} threw: ${(err as Error)?.message ?? String(err)}`;
    if (event === 'warning') process.emitWarning(message, { code: 'PLEXUS_LISTENER_THREW' });
    else this.emit('warning', { code: 'LISTENER_THREW', message });
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
    const bus = this.#bus;
    try {
      const unlock = dataDir ? await lockDataDir(dataDir) : null;
      if (unlock) cleanup.push(unlock);
      const identity = dataDir ? await loadOrCreateIdentity(dataDir) : Identity.generate();
      const store = await Store.open(dataDir ? join(dataDir, DATABASE_FILE) : null, {
        ...this.init.store,
        onSaveError: (err) => bus.emit('warning', { code: err.code, message: err.message }),
        onWarning: (w) => bus.emit('warning', w),
      });
      cleanup.push(() => store.close());
      // Every table of the core and of each capability; durable before anything goes on.
      await store.migrate([...META_MIGRATIONS, ...PEER_MIGRATIONS, ...this.capabilities.flatMap((c) => c.migrations ?? [])]);
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
        { identity, transport, codec, peersRepo, bansRepo, events: bus },
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
      const instances = new Map<string, CapabilityInstance>();
      const ctx: CapabilityContext = {
        identity,
        store,
        peers,
        codec,
        clock: new HybridClock(identity.nodeId, { now: this.init.now }),
        // The bus carries every capability's events; each types its own view of it.
        events: bus as EventBus<any>,
        dataDir,
        name: this.init.name ?? null,
        use: <T>(name: string): T => {
          const instance = instances.get(name);
          if (!instance) throw new Error(`capability ${name} is not running (list it before its users, in dependsOn)`);
          return instance.api as T;
        },
      };
      for (const c of this.capabilities) {
        const instance = c.create(ctx);
        instances.set(c.name, instance);
        for (const m of instance.messages ?? []) {
          codec.register(m.type, m.schema, m.kind, m.penalty);
          if (m.handle) peers.handle(m.type, m.handle as never);
        }
        for (const b of instance.binary ?? []) peers.handleBinary(b.kind, b.handle);
        if (instance.onPeerConnect || instance.onPeerDisconnect) {
          peers.addHooks({ onConnect: instance.onPeerConnect?.bind(instance), onDisconnect: instance.onPeerDisconnect?.bind(instance) });
        }
      }
      // Capabilities are ready before the port opens and the first peer is dialed: a
      // connection accepted earlier would wait for a handshake nobody runs yet.
      for (const [, instance] of instances) {
        await instance.start?.();
        cleanup.push(() => instance.stop?.());
      }
      await transport.start();
      cleanup.push(() => transport.stop());
      peers.start();
      cleanup.push(() => peers.stop());
      this.#running = { identity, store, peersRepo, bansRepo, transport, peers, instances, api: null, unlock, startedAt: Date.now() };
      if (this.init.api) {
        const token = this.init.api.token ?? (dataDir ? await loadOrCreateToken(dataDir) : generateToken());
        const routes = [...nodeRoutes(this), ...[...instances.values()].flatMap((i) => i.routes ?? [])];
        const api = new ApiServer({ info: () => this.info(), onAny: (listener) => this.onAny(listener as unknown as AnyListener<NodeEvents>), routes }, { token, host: this.init.api.host, port: this.init.api.port });
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
      bus.emit('node:start', { nodeId: identity.nodeId, p2pAddress: transport.listenAddress, apiUrl: this.apiUrl });
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
      await r.peers.stop();
      for (const instance of [...r.instances.values()].reverse()) await instance.stop?.();
      await r.transport.stop();
      await r.store.close();
      await r.unlock?.();
      this.#running = undefined;
      this.#state = 'stopped';
      this.#bus.emit('node:stop', { nodeId: r.identity.nodeId });
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
      capabilities: [...r.instances.keys()],
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

  /** Drop a peer and stop redialing it; its pending broadcasts are dropped. @throws PeerNotFoundError */
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

  #get(): Running {
    if (!this.#running) throw new NotStartedError('the node');
    return this.#running;
  }
}

/** A node built from the capability list `L`: the core members plus `node.<name>` per capability. */
export type PlexusNode<L extends readonly Capability<string, unknown, any>[] = DefaultCapabilities> = Node<L> & ApisOf<L>;

/** Build a node (not started). See NodeInit; `capabilities` picks what it runs. */
export const PlexusNode = Node as new <L extends readonly Capability<string, unknown, any>[] = DefaultCapabilities>(init?: NodeInit<L>) => PlexusNode<L>;

/** Create and start a node. See NodeInit for options. */
export async function createNode<L extends readonly Capability<string, unknown, any>[] = DefaultCapabilities>(init: NodeInit<L> = {}): Promise<PlexusNode<L>> {
  const node = new PlexusNode<L>(init);
  await node.start();
  return node;
}

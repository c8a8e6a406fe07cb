import type { EventBus } from '../events.js';
import type { Identity } from '../identity/index.js';
import { backoffDelay, type BansRepository, parseAddress, type PeerManager, type PeersRepository } from '../peers/index.js';
import { type Codec, CloseCode, type Connection, type Envelope, handshake, HANDSHAKE_TIMEOUT_MS, RemoteError, Transport } from '../transport/index.js';
import { PlexusError } from '../errors.js';
import {
  DISCOVERY_DIAL_TARGET,
  DISCOVERY_REDIAL_BASE_MS,
  DISCOVERY_REDIAL_MAX_MS,
  DISCOVERY_REQUEST_TIMEOUT_MS,
  DiscoveryErrorCode,
} from './constants.js';
import { type DiscoveryEntry, type DiscoveryPeersBody, type DiscoveryRegisteredBody, type DiscoveryRegisterBody, registerSigningPayload } from './messages.js';

/** Where a node stands with one discovery server. */
export type DiscoveryState = 'connecting' | 'registered' | 'disconnected' | 'stopped';

/** The events of the discovery client. */
export interface DiscoveryEvents {
  /** Registered (again) with a server; `peers`: entries in its list, `total`: nodes it knows. */
  'discovery:registered': { server: string; serverId: string; peers: number; total: number };
  /** A push from a server (joined/left), after the address book was updated. */
  'discovery:peers': { server: string; joined: DiscoveryEntry[]; left: string[]; known: number };
  /** The connection to a server ended; it is redialed after `retryInMs`. */
  'discovery:disconnected': { server: string; code: number; reason: string; retryInMs: number };
  /** A dial, handshake or request to a server failed, or it refused the registration. */
  'discovery:error': { server: string; code: string; message: string };
}

export interface DiscoveryClientComponents {
  identity: Identity;
  codec: Codec;
  peers: PeerManager;
  peersRepo: PeersRepository;
  bansRepo: BansRepository;
  events: EventBus<DiscoveryEvents & { warning: { code: string; message: string } }>;
}

export interface DiscoveryInit {
  /** Discovery servers, "host:port". */
  servers?: string[];
  /** DiscoveryHeartbeat interval (ms). Default: what the server asks for in DiscoveryRegistered. */
  heartbeatMs?: number;
  /** First redial delay after a server connection ends (ms); doubles per failure. */
  redialBaseMs?: number;
  redialMaxMs?: number;
  /** Time a Register or Heartbeat waits for its reply (ms). */
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Dial learned peers until this many are connected (and never above the node's maxPeers). */
  dialTarget?: number;
}

/** One server as `GET /api/v1/discovery` shows it. */
export interface DiscoveryServerStatus {
  address: string;
  state: DiscoveryState;
  /** Node ID of the server, once a handshake succeeded. */
  serverId: string | null;
  registeredAt: number | null;
  /** Entries in the last DiscoveryRegistered list, and the nodes the server said it knows. */
  lastListSize: number | null;
  lastTotal: number | null;
  /** Peers learned from this server and not reported gone. */
  known: number;
  failures: number;
  lastError: { code: string; message: string } | null;
}

/** What `node.discovery` exposes. */
export interface DiscoveryApi {
  servers(): DiscoveryServerStatus[];
}

/**
 * The link to one discovery server: a dedicated connection, outside the peer manager, so a
 * server is never counted as a peer nor synced with. Dial -> handshake (our Hello says
 * listenAddress null so that the server never dials us back) -> DiscoveryRegister ->
 * heartbeats; on any end, redial with backoff. Pushed lists update the address book.
 */
class ServerLink {
  readonly address: string;
  state: DiscoveryState = 'disconnected';
  serverId: string | null = null;
  registeredAt: number | null = null;
  lastListSize: number | null = null;
  lastTotal: number | null = null;
  failures = 0;
  lastError: { code: string; message: string } | null = null;
  /** Peers learned from this server: node ID -> entry. */
  readonly known = new Map<string, DiscoveryEntry>();
  conn: Connection | null = null;
  redialTimer: NodeJS.Timeout | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(address: string) {
    this.address = address;
  }

  status(): DiscoveryServerStatus {
    const { address, state, serverId, registeredAt, lastListSize, lastTotal, failures, lastError } = this;
    return { address, state, serverId, registeredAt, lastListSize, lastTotal, known: this.known.size, failures, lastError };
  }
}

/**
 * Discovery client: keeps a registration with every configured discovery server, merges the
 * peers they list into the address book and dials some of them. The node's peers do not
 * depend on the servers: when one dies, its link redials it and the peers stay connected.
 */
export class DiscoveryClient implements DiscoveryApi {
  readonly #c: DiscoveryClientComponents;
  readonly #links: ServerLink[];
  readonly #heartbeatMs: number | undefined;
  readonly #redialBaseMs: number;
  readonly #redialMaxMs: number;
  readonly #requestTimeoutMs: number;
  readonly #handshakeTimeoutMs: number;
  readonly #dialTarget: number;
  #transport: Transport | null = null;
  #started = false;
  #abort = new AbortController();
  readonly #dialing = new Set<string>();

  constructor(components: DiscoveryClientComponents, init: DiscoveryInit = {}) {
    this.#c = components;
    this.#links = [...new Set((init.servers ?? []).map((a) => parseAddress(a).address))].map((a) => new ServerLink(a));
    this.#heartbeatMs = init.heartbeatMs;
    this.#redialBaseMs = init.redialBaseMs ?? DISCOVERY_REDIAL_BASE_MS;
    this.#redialMaxMs = init.redialMaxMs ?? DISCOVERY_REDIAL_MAX_MS;
    this.#requestTimeoutMs = init.requestTimeoutMs ?? DISCOVERY_REQUEST_TIMEOUT_MS;
    this.#handshakeTimeoutMs = init.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#dialTarget = init.dialTarget ?? DISCOVERY_DIAL_TARGET;
  }

  servers(): DiscoveryServerStatus[] {
    return this.#links.map((l) => l.status());
  }

  start(): void {
    if (this.#started || this.#links.length === 0) return;
    this.#started = true;
    this.#abort = new AbortController();
    this.#transport = new Transport({ codec: this.#c.codec }, { port: null, dialTimeoutMs: this.#handshakeTimeoutMs });
    for (const link of this.#links) void this.#connect(link);
  }

  /** Unregister from every server (a notice, not awaited by the server), close, stop redialing. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#abort.abort();
    for (const link of this.#links) {
      clearTimeout(link.redialTimer);
      clearTimeout(link.heartbeatTimer);
      const conn = link.conn;
      link.state = 'stopped';
      if (conn && !conn.isClosed) {
        try {
          conn.send('DiscoveryUnregister', {});
        } catch {
          // already closing
        }
        conn.close(CloseCode.GOING_AWAY, 'node shutting down');
      }
    }
    await this.#transport?.stop();
    this.#transport = null;
  }

  async #connect(link: ServerLink): Promise<void> {
    if (!this.#started || !this.#transport) return;
    link.state = 'connecting';
    let conn: Connection;
    try {
      conn = await this.#transport.dial(link.address, this.#abort.signal);
    } catch (err) {
      return this.#failed(link, err, null);
    }
    if (!this.#started) return void conn.close(CloseCode.GOING_AWAY, 'node shutting down');
    link.conn = conn;
    conn.on('close', ({ code, reason }) => this.#onClose(link, conn, code, reason));
    try {
      const hello = await handshake(conn, {
        identity: this.#c.identity,
        listenAddress: null,
        ...this.#c.peers.helloIdentity,
        timeoutMs: this.#handshakeTimeoutMs,
        admit: () => null,
      });
      link.serverId = hello.nodeId;
      conn.on('message', (e) => this.#onMessage(link, conn, e));
      conn.resume();
      await this.#register(link, conn);
    } catch (err) {
      this.#failed(link, err, conn);
    }
  }

  async #register(link: ServerLink, conn: Connection): Promise<void> {
    const unsigned = { nodeId: this.#c.identity.nodeId, listenAddress: this.#c.peers.listenAddress, timestamp: Date.now() };
    const body: DiscoveryRegisterBody = { ...unsigned, signature: this.#c.identity.sign(registerSigningPayload(unsigned)) };
    const reply = await conn.request<DiscoveryRegisterBody, DiscoveryRegisteredBody>('DiscoveryRegister', body, { timeoutMs: this.#requestTimeoutMs, signal: this.#abort.signal });
    if (reply.type !== 'DiscoveryRegistered') throw new PlexusError('NOT_A_DISCOVERY_SERVER', `${link.address} answered DiscoveryRegister with ${reply.type}`);
    const { peers, total, heartbeatMs } = reply.body;
    link.state = 'registered';
    link.failures = 0;
    link.lastError = null;
    link.registeredAt = Date.now();
    link.lastListSize = peers.length;
    link.lastTotal = total;
    link.known.clear();
    this.#merge(link, peers);
    this.#c.events.emit('discovery:registered', { server: link.address, serverId: link.serverId!, peers: peers.length, total });
    this.#scheduleHeartbeat(link, conn, this.#heartbeatMs ?? heartbeatMs);
    this.#dialSome();
  }

  #scheduleHeartbeat(link: ServerLink, conn: Connection, intervalMs: number): void {
    clearTimeout(link.heartbeatTimer);
    if (!this.#started || link.conn !== conn) return;
    link.heartbeatTimer = setTimeout(() => {
      conn
        .request('DiscoveryHeartbeat', {}, { timeoutMs: this.#requestTimeoutMs, signal: this.#abort.signal })
        .then(() => this.#scheduleHeartbeat(link, conn, intervalMs))
        .catch(async (err: unknown) => {
          if (!this.#started || link.conn !== conn) return;
          // The server dropped us (expired, or restarted its registry): register again.
          if (err instanceof RemoteError && err.code === DiscoveryErrorCode.DISCOVERY_NOT_REGISTERED) {
            try {
              await this.#register(link, conn);
            } catch (e) {
              this.#failed(link, e, conn);
            }
            return;
          }
          this.#failed(link, err, conn);
        });
    }, intervalMs);
    link.heartbeatTimer.unref();
  }

  #onMessage(link: ServerLink, conn: Connection, envelope: Envelope): void {
    if (envelope.type === 'DiscoveryPeers') {
      const body = envelope.body as unknown as DiscoveryPeersBody;
      for (const id of body.left) link.known.delete(id);
      this.#merge(link, body.joined);
      this.#c.events.emit('discovery:peers', { server: link.address, joined: body.joined, left: body.left, known: link.known.size });
      this.#dialSome();
      return;
    }
    if (envelope.type === 'Error') {
      const body = envelope.body as unknown as { code: string; message: string };
      this.#c.events.emit('discovery:error', { server: link.address, code: body.code, message: body.message });
      return;
    }
    if (envelope.type === 'Ping') return void conn.reply(envelope, 'Pong', envelope.body);
    conn.replyError(envelope, 'UNEXPECTED_MESSAGE', `${envelope.type} is not expected from a discovery server's client`);
  }

  /** Learned entries go to the address book (not auto-dialed: #dialSome picks among them). */
  #merge(link: ServerLink, entries: DiscoveryEntry[]): void {
    const now = Date.now();
    for (const e of entries) {
      if (e.nodeId === this.#c.identity.nodeId || e.address === this.#c.peers.listenAddress) continue;
      link.known.set(e.nodeId, e);
      this.#c.peersRepo.add(e.address, false, now);
    }
  }

  /**
   * Dial learned peers we are not connected to, until dialTarget (at most maxPeers) are
   * connected. Never a banned node ID, nor an address whose auto-dial was switched off after
   * it was reached or tried (the operator's disconnect, a BANNED or SELF_CONNECTION refusal, or
   * given up: docs/protocol.md §11.3); a server listing it again does not undo that.
   */
  #dialSome(): void {
    if (!this.#started) return;
    const want = Math.min(this.#dialTarget, this.#c.peers.maxPeers) - this.#c.peers.size - this.#dialing.size;
    if (want <= 0) return;
    const now = Date.now();
    const dialable = (e: DiscoveryEntry): boolean => {
      if (this.#c.peers.get(e.nodeId) || this.#dialing.has(e.address) || this.#c.bansRepo.active(e.nodeId, now)) return false;
      const r = this.#c.peersRepo.get(e.address);
      return !r || r.autoDial || (r.nodeId === null && r.failures === 0);
    };
    const candidates = new Map<string, DiscoveryEntry>();
    for (const link of this.#links) for (const e of link.known.values()) if (dialable(e)) candidates.set(e.nodeId, e);
    const picked = [...candidates.values()].sort(() => Math.random() - 0.5).slice(0, want);
    for (const e of picked) {
      this.#dialing.add(e.address);
      this.#c.peers
        .connect(e.address)
        .catch((err: unknown) => this.#c.events.emit('warning', { code: 'DISCOVERY_DIAL_FAILED', message: `${e.address}: ${(err as Error).message}` }))
        .finally(() => this.#dialing.delete(e.address));
    }
  }

  #failed(link: ServerLink, err: unknown, conn: Connection | null): void {
    if (!this.#started) return;
    const code = err instanceof PlexusError ? err.code : 'DISCOVERY_FAILED';
    const message = (err as Error)?.message ?? String(err);
    link.lastError = { code, message };
    this.#c.events.emit('discovery:error', { server: link.address, code, message });
    if (conn && !conn.isClosed) conn.close(CloseCode.NORMAL, code);
    else if (!conn) this.#scheduleRedial(link, 0, '');
  }

  #onClose(link: ServerLink, conn: Connection, code: number, reason: string): void {
    if (link.conn !== conn) return;
    link.conn = null;
    clearTimeout(link.heartbeatTimer);
    if (!this.#started) return;
    this.#scheduleRedial(link, code, reason);
  }

  #scheduleRedial(link: ServerLink, code: number, reason: string): void {
    link.state = 'disconnected';
    link.failures++;
    const retryInMs = backoffDelay(link.failures, this.#redialBaseMs, this.#redialMaxMs);
    this.#c.events.emit('discovery:disconnected', { server: link.address, code, reason, retryInMs });
    clearTimeout(link.redialTimer);
    link.redialTimer = setTimeout(() => void this.#connect(link), retryInMs);
    link.redialTimer.unref();
  }
}

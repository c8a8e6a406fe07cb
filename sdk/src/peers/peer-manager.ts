import type { EventBus } from '../events.js';
import { AbortedError, PlexusError } from '../errors.js';
import type { Identity } from '../identity/index.js';
import type { BanRecord, BansRepository } from './bans.js';
import type { PeersRepository } from './repository.js';
import {
  CloseCode,
  type Codec,
  type Connection,
  type Envelope,
  ErrorCode,
  handshake,
  HandshakeError,
  HANDSHAKE_TIMEOUT_MS,
  type HelloBody,
  type Refusal,
  type Transport,
  type Violation,
} from '../transport/index.js';
import { parseAddress } from './address.js';
import { backoffDelay } from './backoff.js';
import {
  BAN_DURATION_MS,
  BAN_SCORE_THRESHOLD,
  DEFAULT_PENALTY_POINTS,
  DIAL_BACKOFF_BASE_MS,
  DIAL_BACKOFF_MAX_MS,
  MAX_PEERS,
  MAX_UNCONFIRMED_DIAL_FAILURES,
  PENALTY_POINTS,
} from './constants.js';
import { PeerNotFoundError, SelfDialError } from './errors.js';
import type { DeathReason, PeerEvents } from './events.js';
import { Peer, type PeerInfo } from './peer.js';

export interface PeerManagerComponents {
  identity: Identity;
  transport: Transport;
  codec: Codec;
  peersRepo: PeersRepository;
  bansRepo: BansRepository;
  events: EventBus<PeerEvents>;
}

export interface PeerManagerInit {
  /** Most connected peers. Default MAX_PEERS. */
  maxPeers?: number;
  /** Addresses ("host:port") to dial at start and keep connected. */
  bootstrap?: string[];
  handshakeTimeoutMs?: number;
  dialBackoffBaseMs?: number;
  dialBackoffMaxMs?: number;
  banScoreThreshold?: number;
  banDurationMs?: number;
  /**
   * Stop auto-dialing an address we never reached (learned from an inbound peer's Hello)
   * after this many consecutive failures. Default MAX_UNCONFIRMED_DIAL_FAILURES.
   */
  maxUnconfirmedDialFailures?: number;
  /** Shown to peers in Hello. */
  agent?: string;
  name?: string | null;
}

/** Handles one message type arriving from an authenticated peer. May throw; the peer gets INTERNAL_ERROR. */
export type MessageHandler = (envelope: Envelope, peer: Peer) => void | Promise<void>;

/** Handles a binary frame (bulk data) from an authenticated peer. */
export type BinaryHandler = (frame: Buffer, peer: Peer) => void;

/**
 * Called as peers join and leave the active set, before the matching event. `onConnect` runs
 * before the peer's first message is dispatched. An exception is reported as a warning and
 * never stops the handshake or the other hooks.
 */
export interface PeerHooks {
  onConnect?(peer: Peer): void;
  onDisconnect?(gone: PeerEvents['peer:disconnect']): void;
}

const HANDSHAKE_TYPES = new Set(['Challenge', 'Hello', 'Ready']);

/**
 * Owns every connection: runs the handshake on new sockets, admits or refuses peers,
 * collapses duplicate connections, dispatches messages to handlers by type, scores and
 * bans misbehaving peers, and keeps the address book's auto-dial entries connected with
 * exponential backoff and jitter.
 *
 * Duplicate rule: when two connections join the same pair of nodes, both sides keep the
 * one dialed by the node with the smaller node ID (hex order) and close the other with
 * 4005; between two connections dialed by the same side, the newer wins.
 */
export class PeerManager {
  readonly #c: PeerManagerComponents;
  readonly #maxPeers: number;
  readonly #bootstrap: string[];
  readonly #handshakeTimeoutMs: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #banThreshold: number;
  readonly #banDurationMs: number;
  readonly #maxUnconfirmedFailures: number;
  readonly #agent: string;
  readonly #name: string | null;
  readonly #peers = new Map<string, Peer>();
  readonly #scores = new Map<string, number>();
  readonly #handlers = new Map<string, MessageHandler>();
  readonly #binaryHandlers = new Map<number, BinaryHandler>();
  readonly #hooks: PeerHooks[] = [];
  readonly #dialTimers = new Map<string, NodeJS.Timeout>();
  readonly #dialsInFlight = new Map<string, Promise<Peer>>();
  readonly #handshaking = new Set<Connection>();
  #abort = new AbortController();
  #started = false;

  constructor(components: PeerManagerComponents, init: PeerManagerInit = {}) {
    this.#c = components;
    this.#maxPeers = init.maxPeers ?? MAX_PEERS;
    this.#bootstrap = (init.bootstrap ?? []).map((a) => parseAddress(a).address);
    this.#handshakeTimeoutMs = init.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#backoffBaseMs = init.dialBackoffBaseMs ?? DIAL_BACKOFF_BASE_MS;
    this.#backoffMaxMs = init.dialBackoffMaxMs ?? DIAL_BACKOFF_MAX_MS;
    this.#banThreshold = init.banScoreThreshold ?? BAN_SCORE_THRESHOLD;
    this.#banDurationMs = init.banDurationMs ?? BAN_DURATION_MS;
    this.#maxUnconfirmedFailures = init.maxUnconfirmedDialFailures ?? MAX_UNCONFIRMED_DIAL_FAILURES;
    this.#agent = init.agent ?? 'plexus';
    this.#name = init.name ?? null;
  }

  /** Register the handler of a message type (registered with the codec separately). */
  handle(type: string, handler: MessageHandler): void {
    if (this.#handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.#handlers.set(type, handler);
  }

  /**
   * Accept binary frames whose first byte is `kind` and hand them to `handler` (one
   * capability owns each kind). @throws Error if the kind is taken or not a byte
   */
  handleBinary(kind: number, handler: BinaryHandler): void {
    if (!Number.isInteger(kind) || kind < 0 || kind > 255) throw new Error(`binary frame kind ${kind} is not a byte`);
    if (this.#binaryHandlers.has(kind)) throw new Error(`binary frame kind ${kind} already has a handler`);
    this.#binaryHandlers.set(kind, handler);
  }

  /** Be told of peers joining and leaving (capabilities' peer hooks), in registration order. */
  addHooks(hooks: PeerHooks): void {
    this.#hooks.push(hooks);
  }

  #runHooks(call: (h: PeerHooks) => void, nodeId: string): void {
    for (const hooks of this.#hooks) {
      try {
        call(hooks);
      } catch (err) {
        this.#c.events.emit('warning', { code: 'HOOK_FAILED', message: `a peer hook threw: ${(err as Error)?.message ?? String(err)}`, nodeId });
      }
    }
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#abort = new AbortController();
    this.#c.transport.on('connection', this.#onConnection);
    const now = Date.now();
    for (const address of this.#bootstrap) this.#c.peersRepo.add(address, true, now);
    this.#c.bansRepo.purgeExpired(now);
    for (const record of this.#c.peersRepo.list()) {
      if (!record.autoDial) continue;
      this.#c.peersRepo.resetFailures(record.address);
      this.#scheduleDial(record.address, 0);
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#c.transport.off('connection', this.#onConnection);
    this.#abort.abort(new AbortedError('peer manager stopped'));
    for (const timer of this.#dialTimers.values()) clearTimeout(timer);
    this.#dialTimers.clear();
    for (const conn of this.#handshaking) conn.close(CloseCode.GOING_AWAY, 'node shutting down');
    const closing = [...this.#peers.values()].map(
      (peer) =>
        new Promise<void>((resolve) => {
          // Also wait for connections already closing, so nothing touches the store after stop.
          if (peer.connection.isClosed) return resolve();
          peer.connection.once('close', () => resolve());
          peer.connection.close(CloseCode.GOING_AWAY, 'node shutting down');
        }),
    );
    await Promise.all(closing);
    await Promise.allSettled([...this.#dialsInFlight.values()]);
  }

  /** "host:port" where this node listens, or null. */
  get listenAddress(): string | null {
    return this.#c.transport.listenAddress;
  }

  /** Connected peers. */
  list(): PeerInfo[] {
    return [...this.#peers.values()].map((p) => p.info(this.score(p.nodeId)));
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Most connected peers (the `maxPeers` option). */
  get maxPeers(): number {
    return this.#maxPeers;
  }

  /** The agent and display name this node gives in its Hello. */
  get helloIdentity(): { agent: string; name: string | null } {
    return { agent: this.#agent, name: this.#name };
  }

  /** A connected peer by node ID. */
  get(nodeId: string): Peer | undefined {
    return this.#peers.get(nodeId);
  }

  /** All connected peers (for capabilities that broadcast). */
  all(): Peer[] {
    return [...this.#peers.values()];
  }

  score(nodeId: string): number {
    return this.#scores.get(nodeId) ?? 0;
  }

  /**
   * Connect to "host:port" now (resetting its backoff) and resolve with the peer once the
   * handshake is done; on success the address joins the address book for auto-dial.
   * @throws InvalidAddressError, SelfDialError, DialError, HandshakeError, AbortedError
   */
  async connect(address: string): Promise<PeerInfo> {
    const normalised = parseAddress(address).address;
    if (normalised === this.#c.transport.listenAddress) throw new SelfDialError(normalised);
    const existing = this.#peerAt(normalised);
    if (existing) {
      // "connect" means keep connected: undo an earlier disconnect's auto-dial off.
      this.#c.peersRepo.add(normalised, true, Date.now());
      return existing.info(this.score(existing.nodeId));
    }
    // The address joins the address book (for redialing) once a handshake succeeded there.
    clearTimeout(this.#dialTimers.get(normalised));
    this.#dialTimers.delete(normalised);
    const peer = await this.#dial(normalised);
    return peer.info(this.score(peer.nodeId));
  }

  /**
   * Dial an auto-dial address-book entry now, as auto-dial would (used by peer exchange to
   * keep a connection target). Nothing happens, and null is returned, when the node is
   * stopped, the address is this node's own, not in the book, switched off (operator's "do
   * not dial" or given up), already connected, being dialed, or waiting out a backoff. A
   * failure counts like any auto-dial failure (backoff, the unconfirmed give-up rule). The
   * promise resolves when this attempt ended, either way; it never rejects.
   */
  dialNow(address: string): Promise<void> | null {
    if (!this.#started || address === this.#c.transport.listenAddress) return null;
    if (this.#peerAt(address) || this.#dialsInFlight.has(address) || this.#dialTimers.has(address)) return null;
    if (!this.#c.peersRepo.get(address)?.autoDial) return null;
    return this.#autoDial(address).catch(() => undefined);
  }

  /** Close the connection to a peer and stop auto-dialing its address. @throws PeerNotFoundError */
  disconnect(nodeId: string): void {
    const peer = this.#peers.get(nodeId);
    if (!peer) throw new PeerNotFoundError(nodeId);
    for (const address of [peer.listenAddress, peer.dialedAddress]) {
      if (address) this.#c.peersRepo.setAutoDial(address, false);
    }
    peer.closedByOperator = true;
    peer.connection.close(CloseCode.DISCONNECT_REQUESTED, 'disconnect requested');
  }

  /**
   * Remove a peer from the active set at once because it stopped answering (called by the
   * heartbeat). Emits `peer:dead` then `peer:disconnect`, drops the socket, and schedules a
   * redial of its address.
   */
  declareDead(nodeId: string, reason: DeathReason): void {
    const peer = this.#peers.get(nodeId);
    if (!peer || peer.deadReason) return;
    peer.deadReason = reason;
    // Tell it why if it can still hear us, but do not wait for a close handshake.
    peer.connection.close(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    peer.connection.terminate(CloseCode.HEARTBEAT_TIMEOUT);
  }

  /**
   * Ban a node ID for `durationMs` and drop it if connected (close code 4004, or 4009 when
   * the ban is for misbehaviour). Its score starts again from 0 when the ban ends.
   */
  ban(nodeId: string, durationMs: number = this.#banDurationMs, reason = 'banned by operator', closeCode: number = CloseCode.BANNED): BanRecord {
    const now = Date.now();
    const ban: BanRecord = { nodeId, until: now + durationMs, reason, bannedAt: now };
    this.#c.bansRepo.put(ban);
    this.#scores.delete(nodeId);
    this.#c.events.emit('peer:ban', { nodeId, until: ban.until, reason });
    const peer = this.#peers.get(nodeId);
    if (peer) {
      peer.closedByOperator = closeCode !== CloseCode.MISBEHAVIOUR;
      peer.connection.close(closeCode, `banned: ${reason}`);
    }
    return ban;
  }

  /** Lift a ban; returns whether one was active. */
  unban(nodeId: string): boolean {
    const had = this.#c.bansRepo.remove(nodeId, Date.now());
    this.#scores.delete(nodeId);
    if (had) this.#c.events.emit('peer:unban', { nodeId });
    return had;
  }

  /**
   * Take points from a peer's score; at or below -banScoreThreshold it is banned for
   * banDurationMs and disconnected with 4009.
   */
  penalize(nodeId: string, points: number, code: string, message: string): void {
    if (points <= 0) return;
    const score = this.score(nodeId) - points;
    this.#scores.set(nodeId, score);
    this.#c.events.emit('peer:penalty', { nodeId, code, message, points, score });
    if (score <= -this.#banThreshold && !this.#c.bansRepo.active(nodeId, Date.now())) {
      this.ban(nodeId, this.#banDurationMs, `misbehaviour (score ${score}, last: ${code})`, CloseCode.MISBEHAVIOUR);
    }
  }

  // --- connections --------------------------------------------------------------------

  readonly #onConnection = (conn: Connection): void => {
    if (conn.direction !== 'inbound') return;
    void this.#runHandshake(conn, null).catch(() => undefined);
  };

  #peerAt(address: string): Peer | undefined {
    for (const peer of this.#peers.values()) {
      if (peer.listenAddress === address || peer.dialedAddress === address) return peer;
    }
    return undefined;
  }

  #dial(address: string): Promise<Peer> {
    let inFlight = this.#dialsInFlight.get(address);
    if (!inFlight) {
      inFlight = (async () => {
        const conn = await this.#c.transport.dial(address, this.#abort.signal);
        try {
          return await this.#runHandshake(conn, address);
        } catch (err) {
          // The peer kept the other connection between us (simultaneous dial); it reaches
          // us within one handshake time.
          if (err instanceof HandshakeError && err.closeCode === CloseCode.DUPLICATE_CONNECTION) {
            const survivor = await this.#awaitPeerAt(address, this.#handshakeTimeoutMs);
            if (survivor) return survivor;
          }
          throw err;
        }
      })().finally(() => this.#dialsInFlight.delete(address));
      this.#dialsInFlight.set(address, inFlight);
    }
    return inFlight;
  }

  #awaitPeerAt(address: string, timeoutMs: number): Promise<Peer | undefined> {
    const found = this.#peerAt(address);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onConnect = (): void => {
        const peer = this.#peerAt(address);
        if (peer) finish(peer);
      };
      const finish = (peer: Peer | undefined): void => {
        clearTimeout(timer);
        this.#c.events.off('peer:connect', onConnect);
        resolve(peer);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.#c.events.on('peer:connect', onConnect);
    });
  }

  async #runHandshake(conn: Connection, dialedAddress: string | null): Promise<Peer> {
    this.#handshaking.add(conn);
    // Violations during the handshake close the socket; after it they cost score.
    try {
      const hello = await handshake(conn, {
        identity: this.#c.identity,
        listenAddress: this.#c.transport.listenAddress,
        agent: this.#agent,
        name: this.#name,
        timeoutMs: this.#handshakeTimeoutMs,
        admit: (h, c) => this.#admit(h, c),
      });
      return this.#establish(conn, hello, dialedAddress);
    } finally {
      this.#handshaking.delete(conn);
    }
  }

  #admit(hello: HelloBody, conn: Connection): Refusal | null {
    const ban = this.#c.bansRepo.active(hello.nodeId, Date.now());
    if (ban) return { closeCode: CloseCode.BANNED, code: 'BANNED', reason: `banned until ${new Date(ban.until).toISOString()}` };
    if (!this.#started) return { closeCode: CloseCode.GOING_AWAY, code: 'GOING_AWAY', reason: 'node shutting down' };
    const duplicate = this.#peers.has(hello.nodeId);
    if (!duplicate && this.#peers.size >= this.#maxPeers && conn.direction === 'inbound') {
      return { closeCode: CloseCode.TOO_MANY_PEERS, code: 'TOO_MANY_PEERS', reason: `peer limit ${this.#maxPeers} reached` };
    }
    return null;
  }

  #establish(conn: Connection, hello: HelloBody, dialedAddress: string | null): Peer {
    // A ban issued while the handshake was finishing still applies.
    const ban = this.#c.bansRepo.active(hello.nodeId, Date.now());
    if (ban || !this.#started) {
      const [closeCode, code, reason] = ban
        ? [CloseCode.BANNED, 'BANNED', `banned: ${ban.reason}`]
        : [CloseCode.GOING_AWAY, 'GOING_AWAY', 'node shutting down'];
      conn.close(closeCode, reason);
      throw new HandshakeError(code, closeCode, reason, false);
    }
    const existing = this.#peers.get(hello.nodeId);
    if (existing) {
      const keepNew = this.#prefers(conn, existing.connection, hello.nodeId);
      const loser = keepNew ? existing.connection : conn;
      if (keepNew) {
        existing.connection = conn;
        existing.dialedAddress ??= dialedAddress;
        this.#wire(existing, conn);
        conn.resume();
      }
      loser.close(CloseCode.DUPLICATE_CONNECTION, 'duplicate connection');
      return existing;
    }
    const peer = new Peer({
      nodeId: hello.nodeId,
      publicKey: hello.publicKey,
      name: hello.name,
      agent: hello.agent,
      listenAddress: hello.listenAddress,
      dialedAddress,
      connection: conn,
    });
    this.#peers.set(peer.nodeId, peer);
    this.#wire(peer, conn);
    // We dialed it: the address is confirmed. It dialed us: its signed listen address is
    // only a claim, added for redialing but given up after repeated failures.
    const bookAddress = dialedAddress ?? hello.listenAddress;
    if (bookAddress) {
      clearTimeout(this.#dialTimers.get(bookAddress));
      this.#dialTimers.delete(bookAddress);
      this.#c.peersRepo.markConnected(bookAddress, peer.nodeId, peer.name, Date.now(), dialedAddress !== null);
    }
    this.#runHooks((h) => h.onConnect?.(peer), peer.nodeId);
    this.#c.events.emit('peer:connect', peer.info(this.score(peer.nodeId)));
    // Hooks and listeners know the peer now; deliver what it sent right after its Ready.
    conn.resume();
    return peer;
  }

  /** Whether `candidate` should replace `current` as the connection to `remoteId`. */
  #prefers(candidate: Connection, current: Connection, remoteId: string): boolean {
    if (candidate.direction === current.direction) return true; // same dialer: the newer one
    const lowerIsUs = this.#c.identity.nodeId < remoteId;
    const keptDirection = lowerIsUs ? 'outbound' : 'inbound';
    return candidate.direction === keptDirection;
  }

  #wire(peer: Peer, conn: Connection): void {
    conn.on('message', (envelope) => {
      if (peer.connection === conn) void this.#dispatch(peer, envelope);
    });
    if (this.#binaryHandlers.size > 0) {
      conn.acceptBinary = true;
      conn.on('binary', (frame) => {
        if (peer.connection === conn) this.#dispatchBinary(peer, frame);
      });
    }
    conn.on('violation', (v: Violation) => {
      const points = (v.type !== undefined ? this.#c.codec.penaltyOf(v.type) : undefined) ?? PENALTY_POINTS[v.code] ?? DEFAULT_PENALTY_POINTS;
      this.penalize(peer.nodeId, points, v.code, v.message);
    });
    conn.on('close', ({ code, reason }) => {
      if (peer.connection === conn) this.#onPeerClosed(peer, code, reason);
    });
  }

  #dispatchBinary(peer: Peer, frame: Buffer): void {
    const handler = frame.length > 0 ? this.#binaryHandlers.get(frame[0]!) : undefined;
    if (!handler) {
      const message = frame.length === 0 ? 'empty binary frame' : `binary frame of unknown kind 0x${frame[0]!.toString(16).padStart(2, '0')}`;
      peer.connection.replyError(undefined, ErrorCode.UNEXPECTED_BINARY, message);
      this.penalize(peer.nodeId, PENALTY_POINTS.UNEXPECTED_BINARY ?? DEFAULT_PENALTY_POINTS, ErrorCode.UNEXPECTED_BINARY, message);
      return;
    }
    try {
      handler(frame, peer);
    } catch (err) {
      this.#c.events.emit('warning', { code: 'HANDLER_FAILED', message: `binary frame 0x${frame[0]!.toString(16).padStart(2, '0')}: ${(err as Error).message}`, nodeId: peer.nodeId });
    }
  }

  async #dispatch(peer: Peer, envelope: Envelope): Promise<void> {
    if (envelope.type === 'Error') {
      const body = envelope.body as { code: string; message: string };
      this.#c.events.emit('warning', { code: 'PEER_REPORTED_ERROR', message: `${body.code}: ${body.message}`, nodeId: peer.nodeId });
      return;
    }
    const handler = this.#handlers.get(envelope.type);
    if (!handler || HANDSHAKE_TYPES.has(envelope.type)) {
      const message = `${envelope.type} is not expected here`;
      peer.connection.replyError(envelope, ErrorCode.UNEXPECTED_MESSAGE, message);
      this.penalize(peer.nodeId, PENALTY_POINTS.UNEXPECTED_MESSAGE ?? DEFAULT_PENALTY_POINTS, ErrorCode.UNEXPECTED_MESSAGE, message);
      return;
    }
    try {
      await handler(envelope, peer);
    } catch (err) {
      const code = err instanceof PlexusError ? err.code : ErrorCode.INTERNAL_ERROR;
      peer.connection.replyError(envelope, code, (err as Error).message);
      this.#c.events.emit('warning', { code: 'HANDLER_FAILED', message: `${envelope.type}: ${(err as Error).message}`, nodeId: peer.nodeId });
    }
  }

  #onPeerClosed(peer: Peer, code: number, reason: string): void {
    if (this.#peers.get(peer.nodeId) !== peer) return;
    this.#peers.delete(peer.nodeId);
    const address = peer.address;
    const silentForMs = Date.now() - peer.connection.lastReceivedAt;
    // 1006: the socket ended without a close frame (process killed, cable pulled). When we
    // closed it ourselves the connection reports the code we sent instead.
    const death: DeathReason | null = (peer.deadReason as DeathReason | null) ?? (code === 1006 ? 'connection-lost' : null);
    if (death) this.#c.events.emit('peer:dead', { nodeId: peer.nodeId, address, reason: death, silentForMs });
    const gone = { nodeId: peer.nodeId, address, code, reason: death === 'heartbeat-timeout' ? 'heartbeat timeout' : reason, operator: peer.closedByOperator };
    this.#runHooks((h) => h.onDisconnect?.(gone), peer.nodeId);
    this.#c.events.emit('peer:disconnect', gone);
    const redial = peer.dialedAddress ?? peer.listenAddress;
    if (redial && this.#c.peersRepo.get(redial)) this.#c.peersRepo.markSeen(redial, peer.connection.lastReceivedAt);
    if (redial && this.#started && this.#c.peersRepo.get(redial)?.autoDial) {
      this.#scheduleDial(redial, backoffDelay(1, this.#backoffBaseMs, this.#backoffMaxMs));
    }
  }

  // --- auto-dial ----------------------------------------------------------------------

  #scheduleDial(address: string, delayMs: number): void {
    if (!this.#started || this.#dialTimers.has(address)) return;
    const timer = setTimeout(() => {
      this.#dialTimers.delete(address);
      void this.#autoDial(address);
    }, delayMs);
    timer.unref();
    this.#dialTimers.set(address, timer);
  }

  async #autoDial(address: string): Promise<void> {
    if (!this.#started || this.#peerAt(address) || address === this.#c.transport.listenAddress) return;
    const record = this.#c.peersRepo.get(address);
    if (!record?.autoDial) return;
    if (record.nodeId && this.#peers.has(record.nodeId)) return;
    if (this.#peers.size >= this.#maxPeers) {
      this.#scheduleDial(address, this.#backoffMaxMs);
      return;
    }
    try {
      await this.#dial(address);
    } catch (err) {
      if (!this.#started || err instanceof AbortedError) return;
      const failures = this.#c.peersRepo.markFailed(address);
      const code = err instanceof PlexusError ? err.code : 'DIAL_FAILED';
      // Being refused as banned or reaching ourselves will not change by retrying.
      const permanent =
        err instanceof HandshakeError && (err.closeCode === CloseCode.BANNED || err.closeCode === CloseCode.SELF_CONNECTION);
      // An address that never answered as claimed is given up after enough tries.
      const unconfirmed = record.lastConnected === null && failures >= this.#maxUnconfirmedFailures && !this.#bootstrap.includes(address);
      if (permanent || unconfirmed) this.#c.peersRepo.setAutoDial(address, false);
      const retryInMs = permanent || unconfirmed ? null : backoffDelay(failures, this.#backoffBaseMs, this.#backoffMaxMs);
      this.#c.events.emit('peer:dial-failed', { address, code, message: (err as Error).message, failures, retryInMs });
      if (retryInMs !== null) this.#scheduleDial(address, retryInMs);
    }
  }
}


import type { EventBus } from '../events.js';
import { verifySignature } from '../identity/index.js';
import type { Peer, PeerManager } from '../peers/index.js';
import type { Envelope } from '../transport/index.js';
import {
  DISCOVERY_CHECK_INTERVAL_MS,
  DISCOVERY_EXPIRY_MS,
  DISCOVERY_HEARTBEAT_MS,
  DISCOVERY_MAX_CLOCK_SKEW_MS,
  DISCOVERY_MAX_ENTRIES,
  DISCOVERY_MAX_LIST,
  DISCOVERY_MAX_PER_ADDRESS,
  DiscoveryErrorCode,
} from './constants.js';
import { type DiscoveryEntry, type DiscoveryPeersBody, type DiscoveryRegisteredBody, type DiscoveryRegisterBody, registerSigningPayload } from './messages.js';

/** Why a registration ended. */
export type LeaveReason = 'unregistered' | 'expired' | 'disconnected';

/** The events of a discovery server. */
export interface DiscoveryServerEvents {
  'discovery:join': { nodeId: string; address: string | null; name: string | null; ip: string; entries: number };
  'discovery:leave': { nodeId: string; reason: LeaveReason; entries: number };
  'discovery:refused': { nodeId: string; ip: string; code: string; message: string };
}

export interface DiscoveryServerComponents {
  peers: PeerManager;
  events: EventBus<DiscoveryServerEvents>;
}

export interface DiscoveryServerInit {
  /** Interval the server asks registered nodes to heartbeat at (ms). Default DISCOVERY_HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Drop a registration with no frame for this long (ms). Default DISCOVERY_EXPIRY_MS. */
  expiryMs?: number;
  /** How often expired registrations are looked for (ms). Default DISCOVERY_CHECK_INTERVAL_MS. */
  checkIntervalMs?: number;
  /** Most registrations. Default DISCOVERY_MAX_ENTRIES. */
  maxEntries?: number;
  /** Most registrations per IP address. Default DISCOVERY_MAX_PER_ADDRESS. */
  maxPerAddress?: number;
  /** Most entries in a DiscoveryRegistered list. Default DISCOVERY_MAX_LIST. */
  maxList?: number;
  /** Accepted distance of a Register timestamp from this clock (ms). Default DISCOVERY_MAX_CLOCK_SKEW_MS. */
  maxClockSkewMs?: number;
  /** Clock (ms since epoch). Default Date.now. */
  now?: () => number;
}

/** A registration as the server keeps it. */
export interface Registration {
  nodeId: string;
  /** The signed listen address, or null for a node that does not listen (never listed). */
  address: string | null;
  name: string | null;
  /** IP address of the registering connection (the per-address cap counts these). */
  ip: string;
  registeredAt: number;
  /** Last frame of any type from the node (ms since epoch). */
  lastSeen: number;
  peer: Peer;
}

/** What `node.discoveryServer` exposes. */
export interface DiscoveryServerApi {
  /** The registrations, oldest first. */
  entries(): Array<Omit<Registration, 'peer'>>;
  readonly size: number;
  readonly heartbeatMs: number;
  readonly expiryMs: number;
  readonly checkIntervalMs: number;
  readonly maxEntries: number;
  readonly maxPerAddress: number;
  /**
   * Node IDs whose last accepted Register timestamp is kept to refuse a replayed or reordered
   * Register. Each is forgotten once that timestamp is maxClockSkewMs old: a replay is then
   * refused by the clock check anyway, so the guard stays bounded however many identities come.
   */
  readonly remembered: number;
}

/** "1.2.3.4:5678" or "[::1]:5678" -> "1.2.3.4" / "::1"; IPv4-mapped IPv6 unmapped. */
export function ipOf(remoteAddress: string): string {
  const host = remoteAddress.startsWith('[') ? remoteAddress.slice(1, remoteAddress.indexOf(']')) : remoteAddress.replace(/:\d+$/, '');
  return host.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/**
 * The registry of a discovery server (a bootstrap server in the Kademlia/BitTorrent-tracker
 * sense, over the Plexus protocol): nodes register their signed listen address, receive a
 * sample of the others, keep their registration alive with heartbeats, and are told of every
 * join and leave. A registration lives as long as its connection and its heartbeats.
 */
export class DiscoveryRegistry implements DiscoveryServerApi {
  readonly #c: DiscoveryServerComponents;
  readonly heartbeatMs: number;
  readonly expiryMs: number;
  readonly checkIntervalMs: number;
  readonly maxEntries: number;
  readonly maxPerAddress: number;
  readonly #maxList: number;
  readonly #maxSkewMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Registration>();
  /** Last accepted Register timestamp per node ID (a replayed or reordered Register is refused). */
  readonly #lastTimestamp = new Map<string, number>();
  /** Connected peers that have not registered yet, and since when (ms). */
  readonly #unregistered = new Map<string, number>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(components: DiscoveryServerComponents, init: DiscoveryServerInit = {}) {
    this.#c = components;
    this.heartbeatMs = init.heartbeatMs ?? DISCOVERY_HEARTBEAT_MS;
    this.expiryMs = init.expiryMs ?? DISCOVERY_EXPIRY_MS;
    this.checkIntervalMs = init.checkIntervalMs ?? DISCOVERY_CHECK_INTERVAL_MS;
    this.maxEntries = init.maxEntries ?? DISCOVERY_MAX_ENTRIES;
    this.maxPerAddress = init.maxPerAddress ?? DISCOVERY_MAX_PER_ADDRESS;
    this.#maxList = init.maxList ?? DISCOVERY_MAX_LIST;
    this.#maxSkewMs = init.maxClockSkewMs ?? DISCOVERY_MAX_CLOCK_SKEW_MS;
    this.#now = init.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get remembered(): number {
    return this.#lastTimestamp.size;
  }

  entries(): Array<Omit<Registration, 'peer'>> {
    return [...this.#entries.values()].map(({ peer: _peer, ...rest }) => rest);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#scheduleSweep();
  }

  stop(): void {
    this.#started = false;
    clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#entries.clear();
    this.#unregistered.clear();
  }

  onPeerConnect(peer: Peer): void {
    this.#unregistered.set(peer.nodeId, this.#now());
  }

  onPeerDisconnect(nodeId: string): void {
    this.#unregistered.delete(nodeId);
    if (this.#entries.has(nodeId)) this.#remove(nodeId, 'disconnected');
  }

  /** DiscoveryRegister: check, record, answer with a sample of the others, tell the others. */
  register(envelope: Envelope<DiscoveryRegisterBody>, peer: Peer): void {
    const body = envelope.body;
    const ip = ipOf(peer.connection.remoteAddress);
    const refuse = (code: string, message: string): void => {
      peer.connection.replyError(envelope, code, message);
      this.#c.events.emit('discovery:refused', { nodeId: peer.nodeId, ip, code, message });
    };
    if (body.nodeId !== peer.nodeId) {
      return refuse(DiscoveryErrorCode.DISCOVERY_NODE_ID_MISMATCH, `this connection is authenticated as ${peer.nodeId}; a node registers only itself`);
    }
    if (!verifySignature(peer.publicKey, registerSigningPayload(body), body.signature)) {
      return refuse(DiscoveryErrorCode.DISCOVERY_BAD_SIGNATURE, 'signature does not verify against the node key of this connection');
    }
    const now = this.#now();
    const last = this.#lastTimestamp.get(peer.nodeId);
    if (Math.abs(body.timestamp - now) > this.#maxSkewMs || (last !== undefined && body.timestamp <= last)) {
      return refuse(DiscoveryErrorCode.DISCOVERY_STALE_TIMESTAMP, `timestamp ${body.timestamp} must be within ${this.#maxSkewMs} ms of ${now} and after ${last ?? 'none'}`);
    }
    const existing = this.#entries.get(peer.nodeId);
    if (!existing) {
      if (this.#entries.size >= this.maxEntries) {
        return refuse(DiscoveryErrorCode.DISCOVERY_FULL, `the server holds ${this.maxEntries} registrations`);
      }
      let fromIp = 0;
      for (const e of this.#entries.values()) if (e.ip === ip) fromIp++;
      if (fromIp >= this.maxPerAddress) {
        return refuse(DiscoveryErrorCode.DISCOVERY_ADDRESS_LIMIT, `${fromIp} registrations come from ${ip} already (limit ${this.maxPerAddress})`);
      }
    }
    this.#lastTimestamp.set(peer.nodeId, body.timestamp);
    this.#unregistered.delete(peer.nodeId);
    const entry: Registration = { nodeId: peer.nodeId, address: body.listenAddress, name: peer.name, ip, registeredAt: existing?.registeredAt ?? now, lastSeen: now, peer };
    this.#entries.set(peer.nodeId, entry);
    const listed = this.#listable().filter((e) => e.nodeId !== peer.nodeId);
    const reply: DiscoveryRegisteredBody = { peers: sample(listed, this.#maxList).map(toWire), total: listed.length, heartbeatMs: this.heartbeatMs, expiryMs: this.expiryMs };
    peer.connection.reply(envelope, 'DiscoveryRegistered', reply);
    const addressChanged = existing !== undefined && existing.address !== entry.address;
    if (!existing || addressChanged) {
      this.#c.events.emit('discovery:join', { nodeId: entry.nodeId, address: entry.address, name: entry.name, ip, entries: this.#entries.size });
      if (entry.address !== null) this.#push({ joined: [toWire(entry as Registration & { address: string })], left: [] }, entry.nodeId);
      else if (addressChanged) this.#push({ joined: [], left: [entry.nodeId] }, entry.nodeId);
    }
  }

  /** DiscoveryHeartbeat: refresh, or DISCOVERY_NOT_REGISTERED (the node registers again). */
  heartbeat(envelope: Envelope<unknown>, peer: Peer): void {
    const entry = this.#entries.get(peer.nodeId);
    if (!entry) {
      peer.connection.replyError(envelope, DiscoveryErrorCode.DISCOVERY_NOT_REGISTERED, 'register first');
      return;
    }
    entry.lastSeen = this.#now();
    peer.connection.reply(envelope, 'DiscoveryHeartbeatAck', {});
  }

  /** DiscoveryUnregister: remove and tell the others. */
  unregister(peer: Peer): void {
    if (this.#entries.has(peer.nodeId)) this.#remove(peer.nodeId, 'unregistered');
  }

  #remove(nodeId: string, reason: LeaveReason): void {
    const entry = this.#entries.get(nodeId);
    if (!entry) return;
    this.#entries.delete(nodeId);
    this.#c.events.emit('discovery:leave', { nodeId, reason, entries: this.#entries.size });
    if (entry.address !== null) this.#push({ joined: [], left: [nodeId] }, nodeId);
  }

  /** Send a DiscoveryPeers notice to every registered node but `except`. */
  #push(body: DiscoveryPeersBody, except: string): void {
    for (const e of this.#entries.values()) {
      if (e.nodeId === except || e.peer.connection.isClosed) continue;
      try {
        e.peer.connection.send('DiscoveryPeers', body);
      } catch {
        // closing: its close handler removes it
      }
    }
  }

  #listable(): Array<Registration & { address: string }> {
    return [...this.#entries.values()].filter((e): e is Registration & { address: string } => e.address !== null);
  }

  #scheduleSweep(): void {
    if (!this.#started) return;
    this.#sweepTimer = setTimeout(() => {
      this.#sweep();
      this.#scheduleSweep();
    }, this.checkIntervalMs);
    this.#sweepTimer.unref();
  }

  /**
   * Drop registrations silent for expiryMs, and connections that never registered within it;
   * forget Register timestamps older than maxClockSkewMs (see `remembered`).
   */
  #sweep(): void {
    const now = this.#now();
    for (const [nodeId, last] of [...this.#lastTimestamp]) if (last < now - this.#maxSkewMs) this.#lastTimestamp.delete(nodeId);
    for (const e of [...this.#entries.values()]) {
      // Any frame counts as life (as for the heartbeat capability, docs/protocol.md §10).
      const seen = Math.max(e.lastSeen, e.peer.connection.lastReceivedAt);
      if (now - seen < this.expiryMs) continue;
      this.#remove(e.nodeId, 'expired');
      this.#c.peers.declareDead(e.nodeId, 'heartbeat-timeout');
    }
    for (const [nodeId, since] of [...this.#unregistered]) {
      if (now - since < this.expiryMs) continue;
      this.#unregistered.delete(nodeId);
      this.#c.peers.declareDead(nodeId, 'heartbeat-timeout');
    }
  }
}

function toWire(e: { nodeId: string; address: string; name: string | null }): DiscoveryEntry {
  return { nodeId: e.nodeId, address: e.address, name: e.name };
}

/** Up to `n` items, a uniform random sample (partial Fisher-Yates). */
export function sample<T>(items: T[], n: number): T[] {
  const copy = [...items];
  const k = Math.min(n, copy.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, k);
}

import type { EventBus } from '../events.js';
import type { Identity } from '../identity/index.js';
import { type BansRepository, parseAddress, type Peer, type PeerManager, type PeerRecord, type PeersRepository } from '../peers/index.js';
import type { Store } from '../store/index.js';
import type { Envelope } from '../transport/index.js';
import {
  ADDR_FUTURE_TOLERANCE_MS,
  ADDR_RECENT_MS,
  GETADDR_BURST,
  GETADDR_MIN_INTERVAL_MS,
  GETADDR_TIMEOUT_MS,
  MAX_ADDR_ENTRIES,
  MAX_KNOWN_ADDRESSES,
  PEX_INTERVAL_MS,
  PEX_PENALTY,
  TARGET_PEERS,
} from './constants.js';
import type { AddrBody, AddrEntry, GetAddrBody } from './messages.js';
import type { HeardRecord, HeardRepository } from './repository.js';

/** Events of peer exchange. */
export interface PexEvents {
  /** An Addr from `from` was merged: `received` entries, `added` of them new to the address book. */
  'pex:addresses': { from: string; received: number; added: number };
}

/** How an address-book entry stands: what `GET /network/known` lists. */
export type KnownState = 'connected' | 'candidate' | 'off' | 'banned';

/** An address-book entry with its state and what peer exchange heard of it. */
export interface KnownAddress extends PeerRecord {
  /**
   * `connected`: a peer is connected at it; `banned`: its node ID (confirmed or heard) is
   * banned; `candidate`: auto-dial is on, so it is (re)dialed to keep the connection target;
   * `off`: auto-dial is off (an operator's disconnect, or given up after failures).
   */
  state: KnownState;
  /** The newest Addr entry heard for it, or null when it was never heard of by peer exchange. */
  heard: HeardRecord | null;
}

export interface PeerExchangeComponents {
  identity: Identity;
  peers: PeerManager;
  store: Store;
  peersRepo: PeersRepository;
  bansRepo: BansRepository;
  heardRepo: HeardRepository;
  events: EventBus<PexEvents>;
}

export interface PeerExchangeInit {
  /** Pause between exchange rounds (ms). Default PEX_INTERVAL_MS. */
  intervalMs?: number;
  /**
   * Outbound connections to dial and keep from the address book. Inbound ones do not count
   * (the peer limit, maxPeers, bounds them) and none is closed to get back to it. Default TARGET_PEERS.
   */
  targetPeers?: number;
  /** Pass on only nodes heard from within this window (ms). Default ADDR_RECENT_MS. */
  recentMs?: number;
  /** Most entries sent in one Addr (1 to 1000). Default MAX_ADDR_ENTRIES. */
  maxAddrEntries?: number;
  /**
   * Ask one peer at most once per this (ms), and allow a peer GETADDR_BURST asks then one per
   * this. Default GETADDR_MIN_INTERVAL_MS (the protocol's figure; shrink only in tests).
   */
  getAddrMinIntervalMs?: number;
  /** How long a GetAddr waits for its Addr (ms). Default GETADDR_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Address-book size beyond which learned addresses are dropped. Default MAX_KNOWN_ADDRESSES. */
  maxKnown?: number;
}

/** The result of one exchange: what the peer's Addr held and what was new. */
export interface ExchangeResult {
  from: string;
  received: number;
  added: number;
}

/** A per-peer token bucket: `tokens` left at time `at` (ms). */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Peer exchange (Bitcoin's getaddr/addr, BEP 11's idea): every `intervalMs` this node asks one
 * random connected peer `GetAddr` and merges the `Addr` it answers into the address book as
 * candidates; it answers peers' `GetAddr` with the nodes it heard from recently. It also keeps
 * `targetPeers` outbound connections, dialing candidates through PeerManager.dialNow (random
 * among the most recently seen), after each round, each merge and each lost peer; inbound
 * connections do not count, and none is closed when the node has more than the target.
 *
 * Rules (docs/protocol.md §19): only nodes this node had a handshake with and heard from within
 * `recentMs` are passed on, never addresses merely heard of, banned node IDs, the asker itself
 * or this node; GetAddr per peer is a token bucket (GETADDR_BURST, one per
 * `getAddrMinIntervalMs`), beyond it `Error RATE_LIMITED` and 10 points; an Addr with any entry
 * that is not a usable address is refused whole (INVALID_ADDR, 20 points).
 */
export class PeerExchange {
  readonly #c: PeerExchangeComponents;
  readonly intervalMs: number;
  readonly targetPeers: number;
  readonly recentMs: number;
  readonly #maxEntries: number;
  readonly #minAskMs: number;
  readonly #timeoutMs: number;
  readonly #maxKnown: number;
  /** When this node last sent GetAddr to each peer (ms, monotonic). */
  readonly #asked = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  /** Addresses this node is dialing to keep its target. */
  readonly #dialing = new Set<string>();
  #roundTimer: NodeJS.Timeout | undefined;
  #targetTimer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(components: PeerExchangeComponents, init: PeerExchangeInit = {}) {
    this.#c = components;
    this.intervalMs = init.intervalMs ?? PEX_INTERVAL_MS;
    this.targetPeers = init.targetPeers ?? TARGET_PEERS;
    this.recentMs = init.recentMs ?? ADDR_RECENT_MS;
    this.#maxEntries = Math.max(1, Math.min(MAX_ADDR_ENTRIES, init.maxAddrEntries ?? MAX_ADDR_ENTRIES));
    this.#minAskMs = init.getAddrMinIntervalMs ?? GETADDR_MIN_INTERVAL_MS;
    this.#timeoutMs = init.requestTimeoutMs ?? GETADDR_TIMEOUT_MS;
    this.#maxKnown = init.maxKnown ?? MAX_KNOWN_ADDRESSES;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#scheduleRound();
  }

  stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#roundTimer);
    clearTimeout(this.#targetTimer);
    this.#roundTimer = this.#targetTimer = undefined;
    this.#asked.clear();
    this.#buckets.clear();
    return Promise.resolve();
  }

  /** Peer hook: ask a peer we dialed at once (as Bitcoin does on an outbound connection). */
  onPeerConnect(peer: Peer): void {
    if (this.#started && peer.connection.direction === 'outbound') void this.exchange(peer.nodeId);
  }

  /** Peer hook: forget its rate state; refill the connection target once the manager settled. */
  onPeerDisconnect({ nodeId }: { nodeId: string }): void {
    this.#asked.delete(nodeId);
    this.#buckets.delete(nodeId);
    this.#scheduleTargetCheck();
  }

  // --- GetAddr -> Addr -------------------------------------------------------------------

  /**
   * Ask a peer (a random one not asked within the minimum interval, when `nodeId` is left out)
   * for its addresses and merge them. Resolves with null when there was no one to ask, the
   * peer did not answer with a usable Addr, or it refused; never rejects.
   */
  async exchange(nodeId?: string): Promise<ExchangeResult | null> {
    const peer = nodeId ? this.#c.peers.get(nodeId) : this.#pickPeer();
    if (!peer || !this.#started) return null;
    this.#asked.set(peer.nodeId, performance.now());
    let reply: Envelope<AddrBody>;
    try {
      reply = await peer.connection.request<GetAddrBody, AddrBody>('GetAddr', {}, { timeoutMs: this.#timeoutMs });
    } catch {
      // Timeout, closed, stopped, or an Error reply (a node without peer exchange says
      // UNKNOWN_TYPE): nothing learned this round.
      return null;
    }
    if (reply.type !== 'Addr' || !this.#started) return null;
    return this.#merge(reply.body.addresses, peer);
  }

  /** Answer a peer's GetAddr with an Addr, or refuse it when the peer asks too often. */
  onGetAddr(envelope: Envelope<GetAddrBody>, peer: Peer): void {
    if (!this.#take(peer.nodeId)) {
      const message = `GetAddr more often than ${GETADDR_BURST} at once then one per ${this.#minAskMs} ms`;
      peer.connection.replyError(envelope, 'RATE_LIMITED', message);
      this.#c.peers.penalize(peer.nodeId, PEX_PENALTY.RATE_LIMITED, 'RATE_LIMITED', message);
      return;
    }
    peer.connection.reply<AddrBody>(envelope, 'Addr', { addresses: this.addressesFor(peer.nodeId) });
  }

  /**
   * The entries an Addr to `recipient` carries: nodes this node had a handshake with (the book
   * holds their node ID) and heard from within `recentMs` (connected ones: their last frame),
   * newest first, at most `maxAddrEntries`; never the recipient, this node, or a banned node ID.
   */
  addressesFor(recipient: string): AddrEntry[] {
    const now = Date.now();
    const self = this.#c.identity.nodeId;
    const ownAddress = this.#c.peers.listenAddress;
    const live = new Map(this.#c.peers.all().map((p) => [p.nodeId, p.connection.lastReceivedAt]));
    const out: AddrEntry[] = [];
    for (const r of this.#c.peersRepo.list()) {
      if (!r.nodeId || r.nodeId === recipient || r.nodeId === self || r.address === ownAddress) continue;
      const lastSeen = live.get(r.nodeId) ?? r.lastSeen;
      if (lastSeen === null || lastSeen < now - this.recentMs) continue;
      if (this.#c.bansRepo.active(r.nodeId, now)) continue;
      out.push({ nodeId: r.nodeId, address: r.address, lastSeen: Math.min(lastSeen, now) });
    }
    out.sort((a, b) => b.lastSeen - a.lastSeen);
    return out.slice(0, this.#maxEntries);
  }

  /** A token from the peer's GetAddr bucket, if it has one. */
  #take(nodeId: string): boolean {
    const now = performance.now();
    const b = this.#buckets.get(nodeId) ?? { tokens: GETADDR_BURST, at: now };
    b.tokens = Math.min(GETADDR_BURST, b.tokens + (now - b.at) / Math.max(1, this.#minAskMs));
    b.at = now;
    this.#buckets.set(nodeId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * Check and merge an Addr. One entry that is not "host:port" (port 1-65535), or whose
   * lastSeen is more than ADDR_FUTURE_TOLERANCE_MS ahead, refuses the whole list and costs the
   * sender INVALID_ADDR. New addresses join the address book with auto-dial on (candidates,
   * given up like any unconfirmed address); an address already in the book is left as it is.
   * The claim itself (node ID, lastSeen) goes to `pex_heard`, newest kept.
   */
  #merge(entries: AddrEntry[], peer: Peer): ExchangeResult {
    const now = Date.now();
    const checked: AddrEntry[] = [];
    for (const [i, e] of entries.entries()) {
      let address: string;
      try {
        address = parseAddress(e.address).address;
      } catch {
        return this.#refuse(peer, entries.length, `Addr entry ${i}: "${e.address.slice(0, 64)}" is not HOST:PORT (port 1-65535)`);
      }
      if (e.lastSeen > now + ADDR_FUTURE_TOLERANCE_MS) return this.#refuse(peer, entries.length, `Addr entry ${i}: lastSeen ${e.lastSeen} is in the future`);
      checked.push({ nodeId: e.nodeId, address, lastSeen: e.lastSeen });
    }
    const self = this.#c.identity.nodeId;
    const ownAddress = this.#c.peers.listenAddress;
    let added = 0;
    this.#c.store.transaction(() => {
      let room = this.#maxKnown - this.#c.peersRepo.count();
      for (const e of checked) {
        if (e.nodeId === self || e.address === ownAddress) continue;
        if (this.#c.bansRepo.active(e.nodeId, now)) continue;
        this.#c.heardRepo.put({ address: e.address, nodeId: e.nodeId, lastSeen: Math.min(e.lastSeen, now), heardFrom: peer.nodeId, heardAt: now });
        if (room > 0 && !this.#c.peersRepo.get(e.address)) {
          this.#c.peersRepo.add(e.address, true, now);
          added++;
          room--;
        }
      }
    });
    const result = { from: peer.nodeId, received: entries.length, added };
    this.#c.events.emit('pex:addresses', result);
    if (added > 0) this.#scheduleTargetCheck();
    return result;
  }

  #refuse(peer: Peer, received: number, message: string): ExchangeResult {
    this.#c.peers.penalize(peer.nodeId, PEX_PENALTY.INVALID_ADDR, 'INVALID_ADDR', message);
    return { from: peer.nodeId, received, added: 0 };
  }

  #pickPeer(): Peer | undefined {
    const now = performance.now();
    const eligible = this.#c.peers.all().filter((p) => now - (this.#asked.get(p.nodeId) ?? -Infinity) >= this.#minAskMs);
    return eligible[Math.floor(Math.random() * eligible.length)];
  }

  // --- rounds and the connection target --------------------------------------------------

  #scheduleRound(): void {
    if (!this.#started) return;
    this.#roundTimer = setTimeout(() => {
      void this.exchange()
        .catch(() => null)
        .finally(() => {
          this.keepTarget();
          this.#scheduleRound();
        });
    }, this.intervalMs);
    this.#roundTimer.unref();
  }

  #scheduleTargetCheck(): void {
    if (!this.#started || this.#targetTimer) return;
    // A timer, not a direct call: a lost peer's own redial is scheduled by the peer manager
    // right after the hooks run, and keepTarget must see it as pending.
    this.#targetTimer = setTimeout(() => {
      this.#targetTimer = undefined;
      this.keepTarget();
    }, 0);
    this.#targetTimer.unref();
  }

  /**
   * Dial candidates while outbound connections (plus dials in flight) are below
   * `targetPeers`: auto-dial entries not connected, not banned, not this node, chosen at
   * random among the 2 x wanted most recently seen. The peer manager refuses to go past
   * maxPeers and applies backoff and the give-up rule.
   *
   * The target bounds this node's own dials, not its connections (Bitcoin Core's outbound
   * slots): inbound peers never count towards it and are bounded by maxPeers alone, and above
   * the target nothing is closed. Unlike Bitcoin Core no slot is reserved for outbound
   * connections: when inbound peers fill maxPeers, nothing is dialed until one goes
   * (docs/protocol.md §19.5).
   */
  keepTarget(): void {
    if (!this.#started) return;
    const connected = this.#c.peers.all();
    const outbound = connected.filter((p) => p.connection.direction === 'outbound').length;
    const wanted = this.targetPeers - outbound - this.#dialing.size;
    if (wanted <= 0) return;
    const now = Date.now();
    const ownAddress = this.#c.peers.listenAddress;
    const connectedIds = new Set(connected.map((p) => p.nodeId));
    const connectedAt = new Set(connected.flatMap((p) => [p.listenAddress, p.dialedAddress]).filter((a): a is string => a !== null));
    const heard = this.#c.heardRepo.all();
    const candidates: Array<{ address: string; seen: number }> = [];
    for (const r of this.#c.peersRepo.list()) {
      if (!r.autoDial || r.address === ownAddress || connectedAt.has(r.address) || this.#dialing.has(r.address)) continue;
      const h = heard.get(r.address);
      const ids = [r.nodeId, h?.nodeId].filter((id): id is string => !!id);
      if (ids.some((id) => connectedIds.has(id) || this.#c.bansRepo.active(id, now))) continue;
      candidates.push({ address: r.address, seen: Math.max(r.lastSeen ?? 0, r.lastConnected ?? 0, h?.lastSeen ?? 0) });
    }
    candidates.sort((a, b) => b.seen - a.seen);
    const pool = candidates.slice(0, 2 * wanted);
    shuffle(pool);
    let started = 0;
    for (const { address } of pool) {
      if (started >= wanted) break;
      const attempt = this.#c.peers.dialNow(address);
      if (!attempt) continue;
      started++;
      this.#dialing.add(address);
      void attempt.finally(() => this.#dialing.delete(address));
    }
  }

  /** The address book with each entry's state and what was heard of it. */
  known(): KnownAddress[] {
    const now = Date.now();
    const peers = this.#c.peers.all();
    const connectedAt = new Set(peers.flatMap((p) => [p.listenAddress, p.dialedAddress]).filter((a): a is string => a !== null));
    const heard = this.#c.heardRepo.all();
    return this.#c.peersRepo.list().map((r) => {
      const h = heard.get(r.address) ?? null;
      const banned = [r.nodeId, h?.nodeId].some((id) => !!id && this.#c.bansRepo.active(id, now) !== undefined);
      const state: KnownState = connectedAt.has(r.address) ? 'connected' : banned ? 'banned' : r.autoDial ? 'candidate' : 'off';
      return { ...r, state, heard: h };
    });
  }
}

/** Fisher-Yates, in place. */
function shuffle<T>(list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}

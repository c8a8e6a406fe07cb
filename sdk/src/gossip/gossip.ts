import { createHash } from 'node:crypto';
import type { EventBus } from '../events.js';
import type { Peer, PeerManager } from '../peers/index.js';
import type { Envelope } from '../transport/index.js';
import { canonicalBytes } from '../util/canonical.js';
import {
  GOSSIP_BAD_ID_PENALTY,
  GOSSIP_FANOUT,
  GOSSIP_FLOOD_PENALTY,
  GOSSIP_GRAFT_RTT_MULTIPLIER,
  GOSSIP_GRAFT_TIMEOUT_MIN_MS,
  GOSSIP_GRAFT_TIMEOUT_MS,
  GOSSIP_IHAVE_DELAY_MS,
  GOSSIP_INVALID_PENALTY,
  GOSSIP_MAX_HOPS,
  GOSSIP_MAX_IDS,
  GOSSIP_MAX_PAYLOAD_BYTES,
  GOSSIP_MAX_SEEN,
  GOSSIP_OPTIMIZATION_THRESHOLD,
  GOSSIP_PEER_BURST,
  GOSSIP_PEER_RATE,
  GOSSIP_SEEN_TTL_MS,
} from './constants.js';
import { InvalidGossipError, TopicTakenError } from './errors.js';
import { type GossipBody, type GraftBody, type IHaveBody, TOPIC_PATTERN } from './messages.js';

/** A message as a topic's `deliver` sees it. */
export interface GossipMessage {
  /** Hex SHA-256 of the canonical JSON of `{"payload":...,"topic":...}` (docs/protocol.md §17.2). */
  id: string;
  topic: string;
  payload: unknown;
  /** Node ID of the peer the first copy came from. */
  from: string;
  /** Links the first copy travelled (1: straight from its publisher). */
  hops: number;
  /** When the first copy arrived (ms since epoch). */
  receivedAt: number;
}

/**
 * What a topic's validator says: `true` accept (deliver and forward); `false` refuse and take
 * GOSSIP_INVALID_PENALTY points from the sender; `{ penalty, reason }` refuse with that many
 * points (0: drop without blame, e.g. a message that is merely stale).
 */
export type GossipVerdict = boolean | { penalty: number; reason?: string };

export interface TopicHandler {
  /** Called once per message ID, after the duplicate check; may be slow or async. */
  validate?(payload: unknown, from: string): GossipVerdict | Promise<GossipVerdict>;
  /** Called once per valid message ID (never for this node's own publications). */
  deliver(message: GossipMessage): void;
}

export interface GossipEvents {
  /** A valid message arrived for the first time and was delivered to its topic. */
  'gossip:message': { id: string; topic: string; from: string; hops: number; receivedAt: number; firstCopyMs: number };
}

export interface GossipComponents {
  peers: PeerManager;
  events: EventBus<GossipEvents & { warning: { code: string; message: string } }>;
}

export interface GossipInit {
  /**
   * `plumtree` (default): eager push to at most `fanout` peers, IHave to the rest, Prune on a
   * duplicate, Graft for a missing message. `flood`: every new message to every peer but its
   * sender, no announcements (the naive reference the benchmark compares with).
   */
  mode?: 'plumtree' | 'flood';
  fanout?: number;
  maxHops?: number;
  seenTtlMs?: number;
  maxSeen?: number;
  maxPayloadBytes?: number;
  /**
   * Lazy timer (ms) for an announcer with no measured round-trip time, and the most the timer
   * derived from one may be. Default GOSSIP_GRAFT_TIMEOUT_MS (500).
   */
  graftTimeoutMs?: number;
  /** Lazy timer = this many times the announcer's smoothed heartbeat RTT (bounded). Default GOSSIP_GRAFT_RTT_MULTIPLIER (4). */
  graftRttMultiplier?: number;
  /** Least lazy timer derived from an RTT (ms). Default GOSSIP_GRAFT_TIMEOUT_MIN_MS (50). */
  graftTimeoutMinMs?: number;
  /**
   * Hops an IHave must save over the eager copy for the node to graft the announcer's link (Plumtree's
   * optimisation; the longer link is pruned by its next duplicate); 0: never. Default GOSSIP_OPTIMIZATION_THRESHOLD (2).
   */
  optimizationThreshold?: number;
  /**
   * How long announcements wait before they go out (ms): IHaves queued meanwhile leave together,
   * several IDs per frame, after the eager pushes, and an ID a peer announced to this node
   * meanwhile is not announced back to it. Default GOSSIP_IHAVE_DELAY_MS.
   */
  ihaveDelayMs?: number;
  /** Gossip frames per second one peer may send (token bucket) and the burst. */
  peerRate?: number;
  peerBurst?: number;
}

/** Totals, as `GET /api/v1/gossip` returns them. */
export interface GossipStats {
  mode: 'plumtree' | 'flood';
  published: number;
  /** Distinct valid messages received from peers (delivered or not: a topic nobody here handles is not delivered). */
  messagesSeen: number;
  delivered: number;
  /** Copies of a message already seen (dropped before validation). */
  duplicates: number;
  /** Gossip frames received in all (first copies and duplicates). */
  copiesReceived: number;
  /** copiesReceived / messages received (first copies of any state). 1.0 is the ideal. */
  copiesPerMessage: number;
  meanHops: number;
  /** Mean of (arrival of the first copy - publisher's sentAt), ms; clocks of different hosts skew it. */
  meanFirstCopyMs: number;
  invalid: number;
  unknownTopic: number;
  rateLimited: number;
  ihaveSent: number;
  ihaveReceived: number;
  graftsSent: number;
  graftsReceived: number;
  prunesSent: number;
  eagerPeers: number;
  lazyPeers: number;
  seenCacheSize: number;
}

/** Per message: what this node saw of it. */
export interface MessageStats {
  id: string;
  topic: string;
  /** Copies received (0 for this node's own publication). */
  copies: number;
  hops: number;
  firstCopyMs: number | null;
  state: 'published' | 'pending' | 'valid' | 'invalid' | 'unknown-topic';
}

interface SeenEntry extends MessageStats {
  expiresAt: number;
  /** The eager link the message came by, and the hops of that path (the optimisation compares IHaves with it). */
  parent: string | null;
  parentHops: number;
  /** The frame as forwarded (hops + 1, ttl - 1), kept to answer Grafts; null when not forwarded. */
  forward: GossipBody | null;
}

/** Compute a message ID: hex SHA-256 of the canonical JSON (RFC 8785) of {topic, payload}. */
export function gossipId(topic: string, payload: unknown): { id: string; size: number } {
  const payloadBytes = canonicalBytes(payload).length;
  return { id: createHash('sha256').update(canonicalBytes({ topic, payload })).digest('hex'), size: payloadBytes };
}

const TOPIC_RE = new RegExp(TOPIC_PATTERN);

/**
 * Gossip: one message to every node of the network, with few copies.
 *
 * Plumtree (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007) with the eager
 * set bounded by `fanout` (GossipSub's D): a new message goes in full (`Gossip`) to the eager
 * peers and as an ID (`IHave`) to the lazy ones. A copy of a message already seen is dropped
 * before validation and its sender is told `Prune` (the link becomes lazy): the eager links
 * shrink to a spanning tree. An announced ID whose message has not come within the lazy timer
 * (a few round-trip times of the announcer's link, see graftTimeout()) is asked for with
 * `Graft` (the link becomes eager again: the tree heals). An IHave that comes by a path at
 * least `optimizationThreshold` hops shorter than the eager copy's grafts its link (the
 * paper's optimisation; the longer link is pruned by the next duplicate it brings), so the
 * tree keeps to short paths. IHaves are sent `ihaveDelayMs` after the eager pushes, batched.
 * Message ID = content hash; seen cache with a TTL; hop limit (`ttl`); per-peer token bucket.
 */
export class Gossip {
  readonly #c: GossipComponents;
  readonly mode: 'plumtree' | 'flood';
  readonly fanout: number;
  readonly maxHops: number;
  readonly seenTtlMs: number;
  readonly maxSeen: number;
  readonly maxPayloadBytes: number;
  readonly graftTimeoutMs: number;
  readonly graftRttMultiplier: number;
  readonly graftTimeoutMinMs: number;
  readonly optimizationThreshold: number;
  readonly ihaveDelayMs: number;
  readonly peerRate: number;
  readonly peerBurst: number;
  readonly #topics = new Map<string, TopicHandler>();
  readonly #seen = new Map<string, SeenEntry>();
  readonly #eager = new Set<string>();
  readonly #lazy = new Set<string>();
  /** Announced but not received: who announced it (with the hops of its path), and the lazy timer. */
  readonly #missing = new Map<string, { announcers: Array<{ nodeId: string; hops: number }>; timer: NodeJS.Timeout | null }>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Announcements waiting for the IHave timer: peer -> message ID -> hops it would arrive with. */
  readonly #pendingIHave = new Map<string, Map<string, number>>();
  #ihaveTimer: NodeJS.Timeout | null = null;
  #started = false;
  #n = { published: 0, received: 0, delivered: 0, duplicates: 0, copies: 0, hopsSum: 0, firstCopySum: 0, invalid: 0, unknownTopic: 0, rateLimited: 0, ihaveSent: 0, ihaveReceived: 0, graftsSent: 0, graftsReceived: 0, prunesSent: 0 };

  constructor(components: GossipComponents, init: GossipInit = {}) {
    this.#c = components;
    this.mode = init.mode ?? 'plumtree';
    this.fanout = this.mode === 'flood' ? Infinity : (init.fanout ?? GOSSIP_FANOUT);
    this.maxHops = init.maxHops ?? GOSSIP_MAX_HOPS;
    this.seenTtlMs = init.seenTtlMs ?? GOSSIP_SEEN_TTL_MS;
    this.maxSeen = init.maxSeen ?? GOSSIP_MAX_SEEN;
    this.maxPayloadBytes = init.maxPayloadBytes ?? GOSSIP_MAX_PAYLOAD_BYTES;
    this.graftTimeoutMs = init.graftTimeoutMs ?? GOSSIP_GRAFT_TIMEOUT_MS;
    this.graftRttMultiplier = init.graftRttMultiplier ?? GOSSIP_GRAFT_RTT_MULTIPLIER;
    this.graftTimeoutMinMs = init.graftTimeoutMinMs ?? GOSSIP_GRAFT_TIMEOUT_MIN_MS;
    this.optimizationThreshold = init.optimizationThreshold ?? GOSSIP_OPTIMIZATION_THRESHOLD;
    this.ihaveDelayMs = init.ihaveDelayMs ?? GOSSIP_IHAVE_DELAY_MS;
    this.peerRate = init.peerRate ?? GOSSIP_PEER_RATE;
    this.peerBurst = init.peerBurst ?? GOSSIP_PEER_BURST;
    if (!(this.maxHops >= 1 && this.maxHops <= 255)) throw new RangeError('maxHops must be 1-255');
  }

  // --- API ------------------------------------------------------------------------------

  /** Handle a topic: its messages are validated and delivered here. @throws TopicTakenError, InvalidGossipError */
  register(topic: string, handler: TopicHandler): () => void {
    if (!TOPIC_RE.test(topic)) throw new InvalidGossipError(`topic must match ${TOPIC_PATTERN}`);
    if (this.#topics.has(topic)) throw new TopicTakenError(topic);
    this.#topics.set(topic, handler);
    return () => {
      if (this.#topics.get(topic) === handler) this.#topics.delete(topic);
    };
  }

  /**
   * Send a message to the whole network. Idempotent: publishing the same topic and payload
   * again within the seen cache's TTL sends nothing and returns the same ID.
   * @throws InvalidGossipError for a bad topic, a payload with no JSON form or over maxPayloadBytes
   */
  publish(topic: string, payload: unknown): { id: string } {
    if (!TOPIC_RE.test(topic)) throw new InvalidGossipError(`topic must match ${TOPIC_PATTERN}`);
    let computed;
    try {
      computed = gossipId(topic, payload);
    } catch (err) {
      throw new InvalidGossipError(`payload has no JSON form: ${(err as Error).message}`);
    }
    if (computed.size > this.maxPayloadBytes) throw new InvalidGossipError(`payload is ${computed.size} bytes, more than ${this.maxPayloadBytes}`);
    const { id } = computed;
    if (this.#seen.has(id)) return { id };
    this.#n.published++;
    const forward: GossipBody = { id, topic, payload, hops: 1, ttl: this.maxHops - 1, sentAt: Date.now() };
    this.#remember({ id, topic, copies: 0, hops: 0, firstCopyMs: null, state: 'published', expiresAt: 0, parent: null, parentHops: 0, forward });
    this.#forward(forward, null);
    return { id };
  }

  /** Totals since start. */
  stats(): GossipStats {
    const n = this.#n;
    const received = n.received;
    return {
      mode: this.mode,
      published: n.published,
      messagesSeen: received - n.invalid - n.unknownTopic,
      delivered: n.delivered,
      duplicates: n.duplicates,
      copiesReceived: n.copies,
      copiesPerMessage: received ? n.copies / received : 0,
      meanHops: received ? n.hopsSum / received : 0,
      meanFirstCopyMs: received ? n.firstCopySum / received : 0,
      invalid: n.invalid,
      unknownTopic: n.unknownTopic,
      rateLimited: n.rateLimited,
      ihaveSent: n.ihaveSent,
      ihaveReceived: n.ihaveReceived,
      graftsSent: n.graftsSent,
      graftsReceived: n.graftsReceived,
      prunesSent: n.prunesSent,
      eagerPeers: this.#eager.size,
      lazyPeers: this.#lazy.size,
      seenCacheSize: this.#seen.size,
    };
  }

  /** What this node saw of one message, or null once it left the seen cache. */
  message(id: string): MessageStats | null {
    const e = this.#seen.get(id);
    return e ? { id: e.id, topic: e.topic, copies: e.copies, hops: e.hops, firstCopyMs: e.firstCopyMs, state: e.state } : null;
  }

  /**
   * The lazy timer for a message announced by `nodeId` (ms): `graftRttMultiplier` x the smoothed
   * heartbeat RTT to it, within [graftTimeoutMinMs, graftTimeoutMs]; `graftTimeoutMs` while no
   * RTT is measured (or no heartbeat runs).
   */
  graftTimeout(nodeId: string): number {
    const rtt = this.#c.peers.get(nodeId)?.rttMs;
    if (rtt == null) return this.graftTimeoutMs;
    return Math.min(this.graftTimeoutMs, Math.max(this.graftTimeoutMinMs, this.graftRttMultiplier * rtt));
  }

  /** The peers messages are pushed to in full, and those that only get announcements. */
  links(): { eager: string[]; lazy: string[] } {
    return { eager: [...this.#eager], lazy: [...this.#lazy] };
  }

  start(): void {
    this.#started = true;
    for (const peer of this.#c.peers.all()) this.onPeerConnect(peer);
  }

  stop(): Promise<void> {
    this.#started = false;
    for (const m of this.#missing.values()) if (m.timer) clearTimeout(m.timer);
    this.#missing.clear();
    if (this.#ihaveTimer) clearTimeout(this.#ihaveTimer);
    this.#ihaveTimer = null;
    this.#pendingIHave.clear();
    this.#seen.clear();
    this.#eager.clear();
    this.#lazy.clear();
    this.#buckets.clear();
    return Promise.resolve();
  }

  onPeerConnect(peer: Peer): void {
    if (this.#eager.size < this.fanout) this.#eager.add(peer.nodeId);
    else this.#lazy.add(peer.nodeId);
  }

  onPeerDisconnect({ nodeId }: { nodeId: string }): void {
    this.#eager.delete(nodeId);
    this.#lazy.delete(nodeId);
    this.#buckets.delete(nodeId);
    this.#pendingIHave.delete(nodeId);
  }

  // --- inbound --------------------------------------------------------------------------

  /** Gossip: the full message. */
  async onGossip(envelope: Envelope<GossipBody>, peer: Peer): Promise<void> {
    if (!this.#admit(peer)) return;
    const body = envelope.body;
    const from = peer.nodeId;
    const known = this.#seen.get(body.id);
    if (known) {
      // A duplicate: counted, never validated again. Plumtree: this link is redundant. The
      // sender pushed to this node, so it takes the link for eager whatever this node thinks:
      // it is told Prune even if the link is already lazy here (as in the paper).
      known.copies++;
      this.#n.copies++;
      this.#n.duplicates++;
      this.#pendingIHave.get(from)?.delete(body.id);
      if (this.mode === 'plumtree') {
        this.#makeLazy(from);
        this.#send(from, 'Prune', {});
        this.#n.prunesSent++;
      }
      return;
    }
    let computed;
    try {
      computed = gossipId(body.topic, body.payload);
    } catch {
      computed = null;
    }
    if (!computed || computed.size > this.maxPayloadBytes || computed.id !== body.id) {
      // Not remembered: a forged ID must not shadow the real message that has it.
      const why = !computed ? 'payload has no canonical JSON' : computed.size > this.maxPayloadBytes ? `payload of ${computed.size} bytes is over ${this.maxPayloadBytes}` : 'id is not the SHA-256 of the canonical {topic, payload}';
      this.#c.peers.penalize(from, GOSSIP_BAD_ID_PENALTY, 'INVALID_GOSSIP', `Gossip ${body.id}: ${why}`);
      return;
    }
    const receivedAt = Date.now();
    const firstCopyMs = Math.max(0, receivedAt - body.sentAt);
    const entry: SeenEntry = { id: body.id, topic: body.topic, copies: 1, hops: body.hops, firstCopyMs, state: 'pending', expiresAt: 0, parent: from, parentHops: body.hops, forward: null };
    this.#remember(entry);
    const offer = this.#received(entry.id);
    this.#n.received++;
    this.#n.copies++;
    this.#n.hopsSum += body.hops;
    this.#n.firstCopySum += firstCopyMs;
    if (this.mode === 'plumtree' && !this.#eager.has(from) && this.#eager.size < this.fanout) this.#makeEager(from);
    const handler = this.#topics.get(body.topic);
    if (!handler) {
      // A topic nobody here handles: not validated, so not forwarded; no blame (nodes run different capabilities).
      entry.state = 'unknown-topic';
      this.#n.unknownTopic++;
      return;
    }
    let verdict: GossipVerdict;
    try {
      verdict = handler.validate ? await handler.validate(body.payload, from) : true;
    } catch (err) {
      verdict = { penalty: 0, reason: `validator threw: ${(err as Error).message}` };
    }
    if (verdict !== true) {
      entry.state = 'invalid';
      this.#n.invalid++;
      const points = verdict === false ? GOSSIP_INVALID_PENALTY : verdict.penalty;
      const reason = verdict === false ? 'refused by its topic' : (verdict.reason ?? 'refused by its topic');
      this.#c.peers.penalize(from, points, 'INVALID_GOSSIP', `Gossip ${body.id} (${body.topic}): ${reason}`);
      return;
    }
    entry.state = 'valid';
    if (body.ttl > 0) {
      entry.forward = { ...body, hops: body.hops + 1, ttl: body.ttl - 1 };
      if (this.#started) this.#forward(entry.forward, from);
    }
    // After forwarding: swapped first, the announcer would get this message pushed as a duplicate and prune the new link.
    if (offer) this.#optimize(entry, offer.nodeId, offer.hops);
    this.#n.delivered++;
    try {
      handler.deliver({ id: body.id, topic: body.topic, payload: body.payload, from, hops: body.hops, receivedAt });
    } catch (err) {
      this.#c.events.emit('warning', { code: 'GOSSIP_DELIVER_THREW', message: `deliver of topic ${body.topic} threw: ${(err as Error).message}` });
    }
    this.#c.events.emit('gossip:message', { id: body.id, topic: body.topic, from, hops: body.hops, receivedAt, firstCopyMs });
  }

  /**
   * IHave: IDs the peer has, each `hops` links away through it. Missing ones are waited for,
   * then grafted; for one already received by a path longer by the threshold, the announcer's
   * link is grafted (the optimisation).
   */
  onIHave(envelope: Envelope<IHaveBody>, peer: Peer): void {
    if (!this.#admit(peer)) return;
    this.#n.ihaveReceived++;
    // Without `hops` (a sender before protocol.md §17 had it) the path length is unknown: never offered to the optimisation.
    const hops = envelope.body.hops ?? Infinity;
    const pending = this.#pendingIHave.get(peer.nodeId);
    for (const id of envelope.body.ids) {
      const seen = this.#seen.get(id);
      if (seen) {
        pending?.delete(id); // it has the message: no need to announce it there
        this.#optimize(seen, peer.nodeId, hops);
        continue;
      }
      let m = this.#missing.get(id);
      if (!m) {
        m = { announcers: [], timer: null };
        this.#missing.set(id, m);
      }
      if (m.announcers.length < 16 && !m.announcers.some((a) => a.nodeId === peer.nodeId)) m.announcers.push({ nodeId: peer.nodeId, hops });
      if (!m.timer) m.timer = this.#lazyTimer(id, this.graftTimeout(peer.nodeId));
    }
  }

  /**
   * Graft: the peer wants these messages and eager pushes from now on. Unknown IDs: nothing is
   * sent; no IDs: only the link changes (the optimisation's Graft).
   */
  onGraft(envelope: Envelope<GraftBody>, peer: Peer): void {
    if (!this.#admit(peer)) return;
    this.#n.graftsReceived++;
    if (this.mode === 'plumtree') this.#makeEager(peer.nodeId);
    for (const id of envelope.body.ids) {
      const forward = this.#seen.get(id)?.forward;
      if (forward) this.#send(peer.nodeId, 'Gossip', forward);
    }
  }

  /** Prune: the peer had that message already; announce to it from now on. */
  onPrune(_envelope: Envelope<unknown>, peer: Peer): void {
    if (!this.#admit(peer)) return;
    if (this.mode === 'plumtree') this.#makeLazy(peer.nodeId);
  }

  // --- internals ------------------------------------------------------------------------

  #forward(body: GossipBody, except: string | null): void {
    const lazy: string[] = [];
    for (const peer of this.#c.peers.all()) {
      const id = peer.nodeId;
      if (id === except) continue;
      if (this.mode === 'flood' || this.#eager.has(id)) this.#send(id, 'Gossip', body);
      else lazy.push(id);
    }
    for (const id of lazy) this.#announce(id, body.id, body.hops);
  }

  /** Queue an IHave of `id` to `nodeId`; all queued ones go out when the IHave timer fires. */
  #announce(nodeId: string, id: string, hops: number): void {
    let queue = this.#pendingIHave.get(nodeId);
    if (!queue) {
      queue = new Map();
      this.#pendingIHave.set(nodeId, queue);
    }
    queue.set(id, hops);
    if (this.ihaveDelayMs <= 0) return this.#flushIHaves();
    if (!this.#ihaveTimer) {
      this.#ihaveTimer = setTimeout(() => this.#flushIHaves(), this.ihaveDelayMs);
      this.#ihaveTimer.unref();
    }
  }

  /** Send the queued announcements: per peer, one IHave per hop count and per GOSSIP_MAX_IDS IDs. */
  #flushIHaves(): void {
    if (this.#ihaveTimer) clearTimeout(this.#ihaveTimer);
    this.#ihaveTimer = null;
    for (const [nodeId, queue] of this.#pendingIHave) {
      const byHops = new Map<number, string[]>();
      for (const [id, hops] of queue) {
        const ids = byHops.get(hops);
        if (ids) ids.push(id);
        else byHops.set(hops, [id]);
      }
      for (const [hops, ids] of byHops) {
        for (let i = 0; i < ids.length; i += GOSSIP_MAX_IDS) {
          this.#send(nodeId, 'IHave', { ids: ids.slice(i, i + GOSSIP_MAX_IDS), hops });
          this.#n.ihaveSent++;
        }
      }
    }
    this.#pendingIHave.clear();
  }

  #lazyTimer(id: string, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#graft(id), delayMs);
    timer.unref();
    return timer;
  }

  /** The lazy timer of a missing message fired: ask the next announcer for it. */
  #graft(id: string): void {
    const m = this.#missing.get(id);
    if (!m) return;
    m.timer = null;
    if (!this.#started || this.#seen.has(id)) return void this.#missing.delete(id);
    let target: string | undefined;
    while ((target = m.announcers.shift()?.nodeId) !== undefined && !this.#c.peers.get(target));
    if (target === undefined) return void this.#missing.delete(id);
    if (this.mode === 'plumtree') this.#makeEager(target);
    this.#send(target, 'Graft', { ids: [id] });
    this.#n.graftsSent++;
    m.timer = this.#lazyTimer(id, this.graftTimeout(target));
  }

  /** The first copy of a message arrived: stop its lazy timer. Returns the announcer with the shortest path, if any (for the optimisation). */
  #received(id: string): { nodeId: string; hops: number } | null {
    const m = this.#missing.get(id);
    if (!m) return null;
    if (m.timer) clearTimeout(m.timer);
    this.#missing.delete(id);
    return m.announcers.reduce<{ nodeId: string; hops: number } | null>((b, a) => (b && b.hops <= a.hops ? b : a), null);
  }

  /**
   * Plumtree's optimisation of the tree (Leitão et al. 2007): `announcer` offers, by IHave, a path of
   * `hops` links to a message that came by a path `optimizationThreshold` or more links longer.
   * Graft the announcer with no IDs (push to me from now on; the message itself is not asked
   * for again). Unlike the paper, the old link is not pruned at once: the next message comes
   * over both, and the later copy is a duplicate that prunes the slower link (make before
   * break). A Prune sent at once races the Graft: a message published meanwhile can find the
   * node on no eager link, and it would be grafted only after the lazy timer.
   */
  #optimize(entry: SeenEntry, announcer: string, hops: number): void {
    const parent = entry.parent;
    if (!Number.isFinite(hops)) return;
    if (this.mode !== 'plumtree' || this.optimizationThreshold <= 0 || entry.state !== 'valid' || parent === null || parent === announcer) return;
    if (entry.parentHops - hops < this.optimizationThreshold || !this.#eager.has(parent) || !this.#c.peers.get(announcer)) return;
    this.#makeEager(announcer);
    this.#send(announcer, 'Graft', { ids: [] });
    this.#n.graftsSent++;
    entry.parent = announcer;
    entry.parentHops = hops;
  }

  #remember(entry: SeenEntry): void {
    const now = Date.now();
    entry.expiresAt = now + this.seenTtlMs;
    this.#seen.set(entry.id, entry);
    // Entries are in arrival order and share one TTL: the oldest is first.
    for (const [id, e] of this.#seen) {
      if (this.#seen.size <= this.maxSeen && e.expiresAt > now) break;
      this.#seen.delete(id);
    }
  }

  /** The per-peer token bucket: false (and points off) for a frame over the rate. */
  #admit(peer: Peer): boolean {
    const now = performance.now();
    let b = this.#buckets.get(peer.nodeId);
    if (!b) {
      b = { tokens: this.peerBurst, at: now };
      this.#buckets.set(peer.nodeId, b);
    }
    b.tokens = Math.min(this.peerBurst, b.tokens + ((now - b.at) * this.peerRate) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.#n.rateLimited++;
    this.#c.peers.penalize(peer.nodeId, GOSSIP_FLOOD_PENALTY, 'GOSSIP_FLOOD', `more than ${this.peerRate} gossip frames per second`);
    return false;
  }

  #makeEager(nodeId: string): void {
    this.#lazy.delete(nodeId);
    this.#eager.add(nodeId);
  }

  #makeLazy(nodeId: string): void {
    this.#eager.delete(nodeId);
    if (this.#c.peers.get(nodeId)) this.#lazy.add(nodeId);
  }

  #send(nodeId: string, type: string, body: unknown): void {
    const connection = this.#c.peers.get(nodeId)?.connection;
    if (!connection?.isOpen) return;
    try {
      connection.send(type, body);
    } catch {
      // closing: the peer manager removes the peer
    }
  }
}


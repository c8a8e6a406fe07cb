import type { EventBus } from '../events.js';
import type { Peer, PeerEvents, PeerManager } from '../peers/index.js';
import type { Store } from '../store/index.js';
import type { PeersRepository } from '../peers/index.js';
import { ACK_TIMEOUT_MS, MAX_IN_FLIGHT_PER_PEER, MAX_RETRIES, RETRY_INTERVAL_MS } from './constants.js';
import { type OutboxEntry, OutboxRepository, type OutboxTable, SHARED_OUTBOX_TABLE } from './repository.js';

/** Outbox events (times ms since epoch). `contractAddress` is set for the contract kind (as before kinds existed). */
export interface OutboxEvents extends PeerEvents {
  /** A peer acknowledged a pending broadcast; its row is gone. */
  'outbox:delivered': { id: number; kind: string; key: string; peerAddress: string; contractAddress?: string; attempts: number };
  /** A pending broadcast reached the retry limit and was dropped. */
  'outbox:dropped': { id: number; kind: string; key: string; peerAddress: string; contractAddress?: string; retryCount: number; lastError: string };
}

export interface OutboxComponents {
  /** The node's own ID, never a target. */
  nodeId: string;
  peers: PeerManager;
  peersRepo: PeersRepository;
  store: Store;
  events: EventBus<OutboxEvents>;
}

export interface OutboxInit {
  /** Failed deliveries after which an entry is dropped. Default MAX_RETRIES (10). */
  maxRetries?: number;
  /** Pause between retry rounds for connected peers with entries (ms). Default RETRY_INTERVAL_MS. */
  retryIntervalMs?: number;
  /** How long a delivery waits for its acknowledgement (ms). Default ACK_TIMEOUT_MS. */
  ackTimeoutMs?: number;
  /** Deliveries in flight per peer. Default MAX_IN_FLIGHT_PER_PEER. */
  maxInFlightPerPeer?: number;
}

/**
 * How one entry is sent: a request whose reply is the acknowledgement. Rejects when the
 * peer does not acknowledge (timeout, error reply, connection closed).
 */
export type DeliverFn = (peer: Peer, entry: OutboxEntry) => Promise<void>;

/** What a capability tells the outbox about one kind of broadcast. */
export interface OutboxKind {
  deliver: DeliverFn;
  /** Where its rows live. Default: the shared `pending_broadcasts` table. */
  table?: OutboxTable;
  /** Extra fields for the API's listing of an entry (`GET /outbox`), from its payload. */
  describe?: (entry: OutboxEntry) => Record<string, unknown>;
}

interface Kind extends OutboxKind {
  repo: OutboxRepository;
}

/** The prefix of the address recorded for a target that does not listen (reached only while connected). */
export const NODE_ADDRESS_PREFIX = 'node:';

/**
 * The durable outbox of pending broadcasts, for any kind of payload (contract records today).
 *
 * A broadcast is one row per known peer (address book entries with a node ID, and connected
 * peers, including those that do not listen: their row is keyed `node:<nodeId>`) in the
 * kind's table, mirrored in memory. The caller awaits `store.durable()` after `enqueue`
 * before it reports success, so a broadcast survives a crash. Rows are delivered to connected
 * peers at once, to a peer when it (re)connects, and again every `retryIntervalMs` while
 * unacknowledged. Only the peer's acknowledgement removes a row; a failed attempt (timeout,
 * error reply, closed connection) raises its retry count, and at `maxRetries` the row is
 * dropped with `outbox:dropped` and a warning. A newer payload for the same peer, kind and
 * key supersedes the pending one. Rows for a peer the operator disconnected or banned are
 * dropped (it is no longer a target).
 */
export class Outbox {
  readonly #c: OutboxComponents;
  readonly #maxRetries: number;
  readonly #retryIntervalMs: number;
  readonly ackTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #kinds = new Map<string, Kind>();
  /** Keyed `${kind}:${id}`: ids are unique per table only. */
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #inFlight = new Set<string>();
  readonly #flushing = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(components: OutboxComponents, init: OutboxInit = {}) {
    this.#c = components;
    this.#maxRetries = init.maxRetries ?? MAX_RETRIES;
    this.#retryIntervalMs = init.retryIntervalMs ?? RETRY_INTERVAL_MS;
    this.ackTimeoutMs = init.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.#maxInFlight = init.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER;
  }

  /**
   * Declare a kind of broadcast and how its entries are delivered (capabilities do, before
   * the node starts). @throws Error if the kind is already registered
   */
  register(kind: string, spec: OutboxKind): void {
    if (this.#kinds.has(kind)) throw new Error(`outbox kind ${kind} is already registered`);
    const repo = new OutboxRepository(this.#c.store, kind, spec.table ?? SHARED_OUTBOX_TABLE);
    this.#kinds.set(kind, { ...spec, repo });
    if (this.#started) for (const entry of repo.list()) this.#entries.set(keyOf(entry), entry);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const kind of this.#kinds.values()) for (const entry of kind.repo.list()) this.#entries.set(keyOf(entry), entry);
    this.#c.events.on('peer:ban', this.#onBan);
    this.#schedule();
  }

  /** A banned node is no target, connected or not: its rows go. */
  readonly #onBan = ({ nodeId }: { nodeId: string }): void => {
    this.forget(nodeId, 'the peer was banned');
  };

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#timer);
    this.#c.events.off('peer:ban', this.#onBan);
    // Deliveries in flight end when the peer manager closes their connections.
    await Promise.allSettled([...this.#flushing.values()]);
  }

  /** Pending entries of every kind (in memory, same as on disk), oldest first per kind. */
  list(): OutboxEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }

  /** An entry with its kind's extra fields, as the API lists it. */
  describe(entry: OutboxEntry): Record<string, unknown> {
    const { payload: _payload, ...rest } = entry;
    return { ...rest, ...(this.#kinds.get(entry.kind)?.describe?.(entry) ?? {}) };
  }

  /**
   * Queue `payload` (the JSON text of the message body to deliver) about `key` for every
   * known peer. Returns the new entries; the caller must await `store.durable()` before
   * reporting success. @throws Error for an unregistered kind
   */
  enqueue(kind: string, key: string, payload: string): OutboxEntry[] {
    const k = this.#kinds.get(kind);
    if (!k) throw new Error(`outbox kind ${kind} is not registered`);
    const targets = new Map<string, string | null>(); // address -> node ID
    const nodes = new Set<string>();
    for (const record of this.#c.peersRepo.list()) {
      if (!record.nodeId || record.nodeId === this.#c.nodeId || nodes.has(record.nodeId) || !record.autoDial) continue;
      targets.set(record.address, record.nodeId);
      nodes.add(record.nodeId);
    }
    for (const peer of this.#c.peers.all()) {
      if (nodes.has(peer.nodeId)) continue;
      // A peer that does not listen is still reached on its live connection.
      targets.set(peer.listenAddress ?? peer.dialedAddress ?? `${NODE_ADDRESS_PREFIX}${peer.nodeId}`, peer.nodeId);
      nodes.add(peer.nodeId);
    }
    const now = Date.now();
    const created: OutboxEntry[] = [];
    for (const [address, nodeId] of targets) {
      for (const [id, old] of this.#entries) {
        if (old.kind === kind && old.peerAddress === address && old.key === key) this.#entries.delete(id);
      }
      const entry = k.repo.enqueue(address, nodeId, key, payload, now);
      this.#entries.set(keyOf(entry), entry);
      created.push(entry);
    }
    return created;
  }

  /**
   * Queue `payload` about `key` for one node only (a direct message): at the address the
   * address book or a live connection gives for it, else `node:<nodeId>`, delivered when that
   * node connects. Supersedes a pending entry of the same kind, key and node. The caller
   * awaits `store.durable()`, then calls `flushTo(nodeId)` to deliver at once to a live peer
   * (else the retry round or the node's next connection delivers it).
   * @throws Error for an unregistered kind or this node itself
   */
  enqueueTo(kind: string, key: string, nodeId: string, payload: string): OutboxEntry {
    const k = this.#kinds.get(kind);
    if (!k) throw new Error(`outbox kind ${kind} is not registered`);
    if (nodeId === this.#c.nodeId) throw new Error('this node is not an outbox target');
    const live = this.#c.peers.get(nodeId);
    const address =
      this.#c.peersRepo.list().find((r) => r.nodeId === nodeId && r.autoDial)?.address ??
      live?.listenAddress ??
      live?.dialedAddress ??
      `${NODE_ADDRESS_PREFIX}${nodeId}`;
    for (const [id, old] of this.#entries) {
      if (old.kind === kind && old.peerNodeId === nodeId && old.key === key) {
        this.#entries.delete(id);
        k.repo.remove(old.id);
      }
    }
    const entry = k.repo.enqueue(address, nodeId, key, payload, Date.now());
    this.#entries.set(keyOf(entry), entry);
    return entry;
  }

  /** Deliver now what waits for `nodeId`, if it is connected. */
  flushTo(nodeId: string): void {
    const peer = this.#c.peers.get(nodeId);
    if (peer) this.#flush(peer);
  }

  /**
   * Remove the pending entries of `kind` about `key` (for every peer): what they carry was
   * acknowledged another way (a direct message's receipt that came by gossip). Returns how
   * many went; no event.
   */
  settle(kind: string, key: string): number {
    const k = this.#kinds.get(kind);
    if (!k) return 0;
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.kind !== kind || entry.key !== key) continue;
      this.#entries.delete(id);
      if (k.repo.remove(entry.id)) removed++;
    }
    return removed;
  }

  /** Try to deliver everything pending to every connected peer now. */
  deliverNow(): void {
    for (const peer of this.#c.peers.all()) this.#flush(peer);
  }

  /** Peer hook: deliver what waits for a peer that just connected. */
  onPeerConnect(peer: Peer): void {
    this.#flush(peer);
  }

  /**
   * Peer hook: a peer the operator disconnected or banned is no longer a target; its rows
   * go. Rows of a peer that merely went away stay for its return.
   */
  onPeerDisconnect(gone: { nodeId: string; operator?: boolean }): void {
    if (!gone.operator) return;
    this.forget(gone.nodeId, 'the operator disconnected the peer');
  }

  /**
   * Drop every pending entry for a node, each with `outbox:dropped` (`lastError` = `why`).
   * Returns how many went.
   */
  forget(nodeId: string, why = 'forgotten'): number {
    let dropped = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.peerNodeId !== nodeId) continue;
      this.#entries.delete(id);
      if (!this.#kinds.get(entry.kind)?.repo.remove(entry.id)) continue;
      dropped++;
      const contractAddress = entry.kind === 'contract' ? entry.key : undefined;
      this.#c.events.emit('outbox:dropped', { id: entry.id, kind: entry.kind, key: entry.key, peerAddress: entry.peerAddress, contractAddress, retryCount: entry.retryCount, lastError: why });
    }
    return dropped;
  }

  #schedule(): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.deliverNow();
      this.#schedule();
    }, this.#retryIntervalMs);
    this.#timer.unref();
  }

  #entriesFor(peer: Peer): OutboxEntry[] {
    const addresses = [peer.listenAddress, peer.dialedAddress];
    return this.list().filter((e) => !this.#inFlight.has(keyOf(e)) && (e.peerNodeId === peer.nodeId || addresses.includes(e.peerAddress)));
  }

  /** Deliver a peer's pending entries, `maxInFlightPerPeer` at a time; one flush per peer at once. */
  #flush(peer: Peer): void {
    if (!this.#started || this.#flushing.has(peer.nodeId)) return;
    const pending = this.#entriesFor(peer);
    if (pending.length === 0) return;
    const run = (async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pending.length && this.#started && this.#c.peers.get(peer.nodeId) === peer) {
          const entry = pending[next++]!;
          if (!this.#entries.has(keyOf(entry))) continue; // superseded meanwhile
          await this.#attempt(peer, entry);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#maxInFlight, pending.length) }, worker));
    })().finally(() => this.#flushing.delete(peer.nodeId));
    this.#flushing.set(peer.nodeId, run);
  }

  async #attempt(peer: Peer, entry: OutboxEntry): Promise<void> {
    const id = keyOf(entry);
    const kind = this.#kinds.get(entry.kind)!;
    const contractAddress = entry.kind === 'contract' ? entry.key : undefined;
    this.#inFlight.add(id);
    try {
      await kind.deliver(peer, entry);
      this.#entries.delete(id);
      if (this.#started && kind.repo.remove(entry.id)) {
        this.#c.events.emit('outbox:delivered', {
          id: entry.id,
          kind: entry.kind,
          key: entry.key,
          peerAddress: entry.peerAddress,
          contractAddress,
          attempts: entry.retryCount + 1,
        });
      }
    } catch (err) {
      if (!this.#started || !this.#entries.has(id)) return;
      const retryCount = kind.repo.recordFailure(entry.id);
      const current = this.#entries.get(id);
      if (current) current.retryCount = retryCount;
      if (retryCount >= this.#maxRetries) {
        this.#entries.delete(id);
        kind.repo.remove(entry.id);
        const lastError = (err as Error).message;
        this.#c.events.emit('outbox:dropped', { id: entry.id, kind: entry.kind, key: entry.key, peerAddress: entry.peerAddress, contractAddress, retryCount, lastError });
        this.#c.events.emit('warning', {
          code: 'OUTBOX_DROPPED',
          message: `gave up delivering ${entry.kind} ${entry.key.slice(0, 12)} to ${entry.peerAddress} after ${retryCount} attempts: ${lastError}`,
          nodeId: peer.nodeId,
        });
      }
    } finally {
      this.#inFlight.delete(id);
    }
  }
}

function keyOf(entry: OutboxEntry): string {
  return `${entry.kind}:${entry.id}`;
}

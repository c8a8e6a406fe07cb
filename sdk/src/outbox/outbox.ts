import type { EventBus } from '../events.js';
import type { Peer, PeerEvents, PeerInfo, PeerManager } from '../peers/index.js';
import type { OutboxEntry, OutboxRepository, PeersRepository, Store } from '../store/index.js';
import { ACK_TIMEOUT_MS, MAX_IN_FLIGHT_PER_PEER, MAX_RETRIES, RETRY_INTERVAL_MS } from './constants.js';

/** Outbox events (times ms since epoch). */
export interface OutboxEvents extends PeerEvents {
  /** A peer acknowledged a pending broadcast; its row is gone. */
  'outbox:delivered': { id: number; peerAddress: string; contractAddress: string; attempts: number };
  /** A pending broadcast reached the retry limit and was dropped. */
  'outbox:dropped': { id: number; peerAddress: string; contractAddress: string; retryCount: number; lastError: string };
}

export interface OutboxComponents {
  /** The node's own ID, never a target. */
  nodeId: string;
  peers: PeerManager;
  peersRepo: PeersRepository;
  outboxRepo: OutboxRepository;
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

/**
 * The durable outbox of pending broadcasts.
 *
 * A broadcast is one row per known peer (address book entries with a node ID, and connected
 * peers) in `pending_contract_broadcasts`, mirrored in memory. The caller awaits
 * `store.durable()` after `enqueue` before it reports success, so a broadcast survives a
 * crash. Rows are delivered to connected peers at once, to a peer when it (re)connects, and
 * again every `retryIntervalMs` while unacknowledged. Only the peer's acknowledgement
 * removes a row; a failed attempt (timeout, error reply, closed connection) raises its
 * retry count, and at `maxRetries` the row is dropped with `outbox:dropped` and a warning.
 * A newer record for the same peer and contract supersedes the pending one.
 */
export class Outbox {
  readonly #c: OutboxComponents;
  readonly #maxRetries: number;
  readonly #retryIntervalMs: number;
  readonly ackTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #entries = new Map<number, OutboxEntry>();
  readonly #inFlight = new Set<number>();
  readonly #flushing = new Map<string, Promise<void>>();
  #deliver: DeliverFn | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(components: OutboxComponents, init: OutboxInit = {}) {
    this.#c = components;
    this.#maxRetries = init.maxRetries ?? MAX_RETRIES;
    this.#retryIntervalMs = init.retryIntervalMs ?? RETRY_INTERVAL_MS;
    this.ackTimeoutMs = init.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.#maxInFlight = init.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER;
  }

  /** Set how entries are sent (the contracts capability does, before start). */
  setDeliver(deliver: DeliverFn): void {
    this.#deliver = deliver;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const entry of this.#c.outboxRepo.list()) this.#entries.set(entry.id, entry);
    this.#c.events.on('peer:connect', this.#onConnect);
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#timer);
    this.#c.events.off('peer:connect', this.#onConnect);
    // Deliveries in flight end when the peer manager closes their connections.
    await Promise.allSettled([...this.#flushing.values()]);
  }

  /** Pending entries (in memory, same as on disk). */
  list(): OutboxEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Queue `data` (a signed record, JSON) about `contractAddress` for every known peer.
   * Returns the new entries; the caller must await `store.durable()` before reporting success.
   */
  enqueue(contractAddress: string, data: string): OutboxEntry[] {
    const targets = new Map<string, string | null>(); // address -> node ID
    for (const record of this.#c.peersRepo.list()) {
      if (record.nodeId && record.nodeId !== this.#c.nodeId) targets.set(record.address, record.nodeId);
    }
    for (const peer of this.#c.peers.all()) {
      const address = peer.listenAddress ?? peer.dialedAddress;
      if (address && ![...targets.values()].includes(peer.nodeId)) targets.set(address, peer.nodeId);
    }
    // One row per node: a node known at two addresses gets one.
    const seen = new Set<string>();
    const now = Date.now();
    const created: OutboxEntry[] = [];
    for (const [address, nodeId] of targets) {
      if (nodeId && seen.has(nodeId)) continue;
      if (nodeId) seen.add(nodeId);
      for (const old of this.#entries.values()) {
        if (old.peerAddress === address && old.contractAddress === contractAddress) this.#entries.delete(old.id);
      }
      const entry = this.#c.outboxRepo.enqueue(address, nodeId, contractAddress, data, now);
      this.#entries.set(entry.id, entry);
      created.push(entry);
    }
    return created;
  }

  /** Try to deliver everything pending to every connected peer now. */
  deliverNow(): void {
    for (const peer of this.#c.peers.all()) this.#flush(peer);
  }

  readonly #onConnect = (info: PeerInfo): void => {
    const peer = this.#c.peers.get(info.nodeId);
    if (peer) this.#flush(peer);
  };

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
    return this.list().filter((e) => !this.#inFlight.has(e.id) && (e.peerNodeId === peer.nodeId || addresses.includes(e.peerAddress)));
  }

  /** Deliver a peer's pending entries, `maxInFlightPerPeer` at a time; one flush per peer at once. */
  #flush(peer: Peer): void {
    if (!this.#started || !this.#deliver || this.#flushing.has(peer.nodeId)) return;
    const pending = this.#entriesFor(peer);
    if (pending.length === 0) return;
    const run = (async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pending.length && this.#started && this.#c.peers.get(peer.nodeId) === peer) {
          const entry = pending[next++]!;
          if (!this.#entries.has(entry.id)) continue; // superseded meanwhile
          await this.#attempt(peer, entry);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#maxInFlight, pending.length) }, worker));
    })().finally(() => this.#flushing.delete(peer.nodeId));
    this.#flushing.set(peer.nodeId, run);
  }

  async #attempt(peer: Peer, entry: OutboxEntry): Promise<void> {
    this.#inFlight.add(entry.id);
    try {
      await this.#deliver!(peer, entry);
      this.#entries.delete(entry.id);
      if (this.#started && this.#c.outboxRepo.remove(entry.id)) {
        this.#c.events.emit('outbox:delivered', {
          id: entry.id,
          peerAddress: entry.peerAddress,
          contractAddress: entry.contractAddress,
          attempts: entry.retryCount + 1,
        });
      }
    } catch (err) {
      if (!this.#started || !this.#entries.has(entry.id)) return;
      const retryCount = this.#c.outboxRepo.recordFailure(entry.id);
      const current = this.#entries.get(entry.id);
      if (current) current.retryCount = retryCount;
      if (retryCount >= this.#maxRetries) {
        this.#entries.delete(entry.id);
        this.#c.outboxRepo.remove(entry.id);
        const lastError = (err as Error).message;
        this.#c.events.emit('outbox:dropped', { id: entry.id, peerAddress: entry.peerAddress, contractAddress: entry.contractAddress, retryCount, lastError });
        this.#c.events.emit('warning', {
          code: 'OUTBOX_DROPPED',
          message: `gave up delivering contract ${entry.contractAddress.slice(0, 12)} to ${entry.peerAddress} after ${retryCount} attempts: ${lastError}`,
          nodeId: peer.nodeId,
        });
      }
    } finally {
      this.#inFlight.delete(entry.id);
    }
  }
}

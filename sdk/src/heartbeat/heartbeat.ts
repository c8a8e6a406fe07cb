import { randomBytes } from 'node:crypto';
import type { Peer, PeerManager } from '../peers/index.js';
import { AbortedError } from '../errors.js';
import { ConnectionClosedError, type Envelope, type PingBody, RequestTimeoutError } from '../transport/index.js';
import { base64url } from '../util/encoding.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from './constants.js';

export interface HeartbeatComponents {
  peers: PeerManager;
}

export interface HeartbeatInit {
  /** Pause between one ping's end and the next ping (ms). Default HEARTBEAT_INTERVAL_MS. */
  intervalMs?: number;
  /** How long a ping waits for its pong before the peer is declared dead (ms). Default HEARTBEAT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * Heartbeat: `Ping {nonce}` / `Pong {nonce}` on every connection.
 *
 * Each peer gets a ping as soon as it connects, then one `intervalMs` after each pong. A pong
 * gives a round-trip sample (smoothed as in RFC 6298). A ping unanswered after `timeoutMs`
 * declares the peer dead, unless other frames arrived from it meanwhile (a busy link is a
 * live link), in which case it is pinged again at once. A closed socket needs no heartbeat:
 * the peer manager notices it at once. Worst case from silence to removal:
 * max(intervalMs + timeoutMs, 2 x timeoutMs), see detectionBoundMs().

 */
export class Heartbeat {
  readonly #c: HeartbeatComponents;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #started = false;

  constructor(components: HeartbeatComponents, init: HeartbeatInit = {}) {
    this.#c = components;
    this.intervalMs = init.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.timeoutMs = init.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
  }

  /** Answer a peer's Ping with a Pong carrying its nonce. */
  pong(envelope: Envelope<PingBody>, peer: Peer): void {
    peer.connection.reply<PingBody>(envelope, 'Pong', { nonce: envelope.body.nonce });
  }

  /**
   * Upper bound from a peer's silence to its removal (ms): interval + timeout when the
   * silence begins right after a pong; 2 x timeout when it begins while a ping is out and a
   * last frame excuses that ping (it is re-sent at once). The larger of the two.
   */
  get detectionBoundMs(): number {
    return detectionBoundMs(this.intervalMs, this.timeoutMs);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const peer of this.#c.peers.all()) this.#schedule(peer.nodeId, 0);
  }

  stop(): Promise<void> {
    this.#started = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    return Promise.resolve();
  }

  /** Peer hook: the first ping goes out at once. */
  onPeerConnect(peer: Peer): void {
    this.#schedule(peer.nodeId, 0);
  }

  /** Peer hook: no more pings. */
  onPeerDisconnect({ nodeId }: { nodeId: string }): void {
    clearTimeout(this.#timers.get(nodeId));
    this.#timers.delete(nodeId);
  };

  #schedule(nodeId: string, delayMs: number): void {
    if (!this.#started) return;
    clearTimeout(this.#timers.get(nodeId));
    const timer = setTimeout(() => void this.#ping(nodeId), delayMs);
    timer.unref();
    this.#timers.set(nodeId, timer);
  }

  async #ping(nodeId: string): Promise<void> {
    const peer = this.#c.peers.get(nodeId);
    if (!peer || !this.#started) return;
    const connection = peer.connection;
    const nonce = base64url(randomBytes(8));
    const sentAt = performance.now();
    const framesBefore = connection.framesIn;
    try {
      const reply = await connection.request<PingBody, PingBody>('Ping', { nonce }, { timeoutMs: this.timeoutMs });
      if (reply.body.nonce !== nonce) {
        this.#c.peers.penalize(nodeId, 10, 'INVALID_MESSAGE', 'Pong nonce does not match the Ping');
      } else {
        peer.recordRtt(performance.now() - sentAt);
      }
    } catch (err) {
      // Closed or stopped: the peer manager has already removed the peer, unless a duplicate
      // connection replaced this one (docs/protocol.md §11.1): then ping it there, at once.
      if (err instanceof ConnectionClosedError || err instanceof AbortedError) {
        const now = this.#c.peers.get(nodeId);
        if (err instanceof ConnectionClosedError && now && now.connection !== connection) this.#schedule(nodeId, 0);
        return;
      }
      if (err instanceof RequestTimeoutError) {
        if (connection.framesIn === framesBefore && this.#c.peers.get(nodeId)?.connection === connection) {
          this.#timers.delete(nodeId);
          this.#c.peers.declareDead(nodeId, 'heartbeat-timeout');
          return;
        }
        // Other frames arrived meanwhile: alive a moment ago. Ask again at once rather than
        // after a full interval, so a peer that falls silent right now is still caught in time.
        if (this.#c.peers.get(nodeId)) this.#schedule(nodeId, 0);
        return;
      }
      // An Error reply instead of a Pong is no pong: keep pinging, the timeout rule decides.
    }
    if (this.#c.peers.get(nodeId)) this.#schedule(nodeId, this.intervalMs);
  }
}

/** max(interval + timeout, 2 x timeout): see Heartbeat.detectionBoundMs. */
export function detectionBoundMs(intervalMs: number, timeoutMs: number): number {
  return Math.max(intervalMs + timeoutMs, 2 * timeoutMs);
}

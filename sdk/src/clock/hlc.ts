import { PlexusError } from '../errors.js';

/**
 * A hybrid logical clock timestamp (Kulkarni, Demirbas et al., "Logical Physical Clocks and
 * Consistent Snapshots in Globally Distributed Databases", 2014): `time` is the largest
 * physical time (ms since epoch) seen, `counter` orders events within that ms, `nodeId`
 * breaks ties deterministically. Compared as the tuple (time, counter, nodeId).
 */
export interface HlcTimestamp {
  time: number;
  counter: number;
  nodeId: string;
}

/** Largest clock value a remote timestamp may be ahead of our physical clock by (ms). */
export const MAX_CLOCK_DRIFT_MS = 60 * 60 * 1000;

/** A remote timestamp is too far in the future to accept. */
export class ClockDriftError extends PlexusError {
  constructor(remoteTime: number, localTime: number, maxDriftMs: number) {
    super('CLOCK_DRIFT', `timestamp ${new Date(remoteTime).toISOString()} is more than ${maxDriftMs} ms ahead of our clock (${new Date(localTime).toISOString()})`);
  }
}

/** Order two timestamps: negative if a < b, positive if a > b, 0 if equal. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

export interface HybridClockInit {
  /** Physical clock (ms since epoch). Default Date.now; tests inject skewed clocks. */
  now?: () => number;
  maxDriftMs?: number;
}

/**
 * The node's hybrid logical clock. `tick()` stamps a local event; `receive()` merges a
 * remote timestamp so that every later local event orders after it, whatever the two
 * physical clocks say. Timestamps stay close to physical time (never behind the largest
 * physical time seen) and never go backwards.
 */
export class HybridClock {
  readonly nodeId: string;
  readonly #now: () => number;
  readonly #maxDriftMs: number;
  #time = 0;
  #counter = 0;

  constructor(nodeId: string, init: HybridClockInit = {}) {
    this.nodeId = nodeId;
    this.#now = init.now ?? Date.now;
    this.#maxDriftMs = init.maxDriftMs ?? MAX_CLOCK_DRIFT_MS;
  }

  /** The physical clock's reading (ms). */
  physical(): number {
    return this.#now();
  }

  /**
   * Advance past a timestamp we already hold (a stored version at start-up), without the
   * drift check: our own past must never be stamped over.
   */
  observe(ts: HlcTimestamp): void {
    if (ts.time > this.#time || (ts.time === this.#time && ts.counter > this.#counter)) {
      this.#time = ts.time;
      this.#counter = ts.counter;
    }
  }

  /** A new timestamp for a local event, after every timestamp seen so far. */
  tick(): HlcTimestamp {
    const pt = this.#now();
    if (pt > this.#time) {
      this.#time = pt;
      this.#counter = 0;
    } else {
      this.#counter++;
    }
    return { time: this.#time, counter: this.#counter, nodeId: this.nodeId };
  }

  /**
   * Merge a timestamp received from another node.
   * @throws ClockDriftError when it is more than maxDriftMs ahead of our physical clock
   */
  receive(remote: HlcTimestamp): void {
    const pt = this.#now();
    if (remote.time > pt + this.#maxDriftMs) throw new ClockDriftError(remote.time, pt, this.#maxDriftMs);
    const time = Math.max(this.#time, remote.time, pt);
    if (time === this.#time && time === remote.time) this.#counter = Math.max(this.#counter, remote.counter) + 1;
    else if (time === this.#time) this.#counter++;
    else if (time === remote.time) this.#counter = remote.counter + 1;
    else this.#counter = 0;
    this.#time = time;
  }
}

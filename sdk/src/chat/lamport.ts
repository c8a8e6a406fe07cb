import { CHAT_FLOOD_PENALTY } from './constants.js';
import { InvalidChatMessageError } from './errors.js';

/**
 * A Lamport clock kept near wall time (Lamport, "Time, Clocks, and the Ordering of Events in
 * a Distributed System", CACM 1978): sending takes max(wall ms, last + 1); accepting a
 * timestamp raises `last` to it. Rooms and direct messages share one.
 */
export class LamportClock {
  #last: number;

  constructor(last = 0) {
    this.#last = last;
  }

  /** The largest timestamp sent or seen. */
  get last(): number {
    return this.#last;
  }

  /** The timestamp of a message sent now (`now`: wall clock, ms). */
  tick(now: number): number {
    this.#last = Math.max(now, this.#last + 1);
    return this.#last;
  }

  /** A timestamp seen in an accepted message. */
  observe(t: number): void {
    if (t > this.#last) this.#last = t;
  }
}

/**
 * A token bucket per author: `rate` messages per second, `burst` at once. Over it, `take`
 * throws (the relaying peer loses CHAT_FLOOD_PENALTY points). Buckets of idle authors are
 * forgotten once full again, so memory follows the active authors.
 */
export class AuthorRateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** @throws InvalidChatMessageError (`CHAT_FLOOD`) when `author` is over its rate */
  take(author: string): void {
    const now = this.now();
    if (this.#buckets.size > 10_000) {
      for (const [a, b] of this.#buckets) if (b.tokens + ((now - b.at) * this.rate) / 1000 >= this.burst) this.#buckets.delete(a);
    }
    const b = this.#buckets.get(author) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.rate) / 1000);
    b.at = now;
    this.#buckets.set(author, b);
    if (b.tokens < 1) throw new InvalidChatMessageError(`author ${author.slice(0, 12)} is over ${this.rate} messages/s (burst ${this.burst})`, CHAT_FLOOD_PENALTY, 'CHAT_FLOOD');
    b.tokens -= 1;
  }
}

import { EventEmitter } from 'node:events';

/**
 * The narrow view of an emitter that components receive: emit, listen, stop listening.
 * The node passes itself; a component only sees the events of its own map.
 */
export interface EventBus<Events> {
  emit<K extends keyof Events & string>(event: K, payload: Events[K]): boolean;
  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): unknown;
  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): unknown;
}

/** Listener for every event of a map, as `(name, payload)`. */
export type AnyListener<Events> = <K extends keyof Events & string>(event: K, payload: Events[K]) => void;

/**
 * An event emitter whose names and payloads are checked against an event map
 * `{ 'peer:connect': PeerInfo, ... }`. Every listener receives exactly one payload.
 * `onAny` serves consumers that forward every event (the SSE stream, the CLI log).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #emitter = new EventEmitter();
  readonly #any = new Set<AnyListener<Events>>();

  constructor() {
    // API streams and the extension may listen at once.
    this.#emitter.setMaxListeners(100);
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.on(event, listener as (payload: unknown) => void);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.once(event, listener as (payload: unknown) => void);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.off(event, listener as (payload: unknown) => void);
    return this;
  }

  /** Listen to every event; returns a function that removes the listener. */
  onAny(listener: AnyListener<Events>): () => void {
    this.#any.add(listener);
    return () => {
      this.#any.delete(listener);
    };
  }

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): boolean {
    for (const listener of this.#any) listener(event, payload);
    return this.#emitter.emit(event, payload) || this.#any.size > 0;
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event);
  }
}

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

/** Told about a listener that threw; the other listeners still run and `emit` returns normally. */
export type ListenerErrorHandler = (event: string, error: unknown) => void;

/**
 * An event emitter whose names and payloads are checked against an event map
 * `{ 'peer:connect': PeerInfo, ... }`. Every listener receives exactly one payload.
 * `onAny` serves consumers that forward every event (the SSE stream, the CLI log).
 *
 * A listener that throws never breaks the emitter's caller (a handshake, a sync): the error
 * goes to `onListenerError` (default: `process.emitWarning`) and the remaining listeners run.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #emitter = new EventEmitter();
  readonly #any = new Set<AnyListener<Events>>();
  #onListenerError: ListenerErrorHandler;

  constructor(onListenerError?: ListenerErrorHandler) {
    // API streams and the extension may listen at once.
    this.#emitter.setMaxListeners(100);
    this.#onListenerError = onListenerError ?? defaultListenerError;
  }

  /** Where exceptions thrown by listeners go. */
  protected setListenerErrorHandler(handler: ListenerErrorHandler): void {
    this.#onListenerError = handler;
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
    for (const listener of [...this.#any]) {
      try {
        listener(event, payload);
      } catch (err) {
        this.#report(event, err);
      }
    }
    // rawListeners: calling a once() wrapper removes it, as EventEmitter#emit would.
    const listeners = this.#emitter.rawListeners(event) as Array<(payload: unknown) => void>;
    for (const listener of listeners) {
      try {
        listener.call(this, payload);
      } catch (err) {
        this.#report(event, err);
      }
    }
    return listeners.length > 0 || this.#any.size > 0;
  }

  #report(event: string, err: unknown): void {
    try {
      this.#onListenerError(event, err);
    } catch {
      // A failing error handler must not break the emitter either.
    }
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event);
  }
}

function defaultListenerError(event: string, error: unknown): void {
  process.emitWarning(`a listener of ${event} threw: ${(error as Error)?.stack ?? String(error)}`, { code: 'PLEXUS_LISTENER_THREW' });
}

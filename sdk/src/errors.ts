/**
 * Base class of every error the SDK throws. `code` is stable and is what callers,
 * tests and the HTTP API match on; `message` is for people and may change.
 */
export class PlexusError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Raised when an operation was cancelled through an AbortSignal or by `stop()`. */
export class AbortedError extends PlexusError {
  constructor(message = 'operation aborted') {
    super('ABORTED', message);
  }
}

/** Raised by anything used after its owner was stopped. */
export class NotStartedError extends PlexusError {
  constructor(what: string) {
    super('NOT_STARTED', `${what} is not running`);
  }
}

/** Narrow an unknown thrown value to an Error. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

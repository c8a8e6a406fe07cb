import { PlexusError } from '../errors.js';

/** A chat message that fails a check (schema, id, key, signature, clock). Code `INVALID_CHAT_MESSAGE` or `CLOCK_DRIFT`. */
export class InvalidChatMessageError extends PlexusError {
  /** Score points its sender loses. */
  readonly penalty: number;
  constructor(message: string, penalty: number, code = 'INVALID_CHAT_MESSAGE') {
    super(code, message);
    this.penalty = penalty;
  }
}

/**
 * Run a topic's check as a gossip validator: true when it passes, the error's penalty and
 * reason when it throws InvalidChatMessageError (other errors propagate).
 */
export function gossipVerdict(check: () => unknown): true | { penalty: number; reason: string } {
  try {
    check();
    return true;
  } catch (err) {
    if (err instanceof InvalidChatMessageError) return { penalty: err.penalty, reason: `${err.code}: ${err.message}` };
    throw err;
  }
}

/**
 * A bad room name, an empty or too long text, leaving the default room, a bad node ID. Code
 * `INVALID_CHAT_REQUEST`, or `NO_CHAT_KEY` for a direct message to a node whose ChatKey is
 * not known yet.
 */
export class ChatRequestError extends PlexusError {
  constructor(message: string, code: 'INVALID_CHAT_REQUEST' | 'NO_CHAT_KEY' = 'INVALID_CHAT_REQUEST') {
    super(code, message);
  }
}

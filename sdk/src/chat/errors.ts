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

/** A bad room name, an empty or too long text, or leaving the default room. Code `INVALID_CHAT_REQUEST`. */
export class ChatRequestError extends PlexusError {
  constructor(message: string) {
    super('INVALID_CHAT_REQUEST', message);
  }
}

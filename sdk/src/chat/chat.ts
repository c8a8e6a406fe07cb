import type { CapabilityContext } from '../capability/index.js';
import type { GossipApi, GossipMessage, GossipVerdict } from '../gossip/index.js';
import {
  CHAT_DRIFT_PENALTY,
  CHAT_MAX_DRIFT_MS,
  CHAT_TOPIC,
  DEFAULT_ROOM,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_NAME_CHARS,
  MAX_TEXT_CHARS,
} from './constants.js';
import { ChatRequestError, InvalidChatMessageError } from './errors.js';
import { type ChatMessage, codePoints, isRoomName, signChatMessage, verifyChatMessage } from './message.js';
import { ChatRepository, type ChatRoom } from './repository.js';

export interface ChatInit {
  /** Display name put in this node's messages. Default: the node's `name` option. */
  name?: string | null;
  /** Largest lead of a message's Lamport timestamp over our physical clock (ms). Default CHAT_MAX_DRIFT_MS. */
  maxDriftMs?: number;
}

/** A `chat:message` payload: the message and the peer it came from (null: sent by this node). */
export type ChatMessageEvent = ChatMessage & { from: string | null };

export interface ChatEvents {
  /** A message of a joined room was stored for the first time (sent here or received). */
  'chat:message': ChatMessageEvent;
}

export interface HistoryOptions {
  /** Most messages (default 100, at most 1000): the newest ones before `before`. */
  limit?: number;
  /** A message ID: only messages ordered before it. */
  before?: string;
}

/**
 * Chat rooms over gossip. Sending: Lamport timestamp -> signed message -> stored -> published
 * on topic `chat`. Receiving: the topic's validator (schema, id, key, signature, clock; a
 * refusal costs the sender points) -> Lamport clock raised -> stored if this node is in the
 * room (relayed by gossip either way) -> `chat:message`.
 */
export class Chat {
  readonly #ctx: CapabilityContext;
  readonly #repo: ChatRepository;
  readonly #name: string | null;
  readonly #maxDriftMs: number;
  #gossip: GossipApi | null = null;
  #unregister: (() => void) | null = null;
  /** The Lamport clock: the largest timestamp sent or seen. */
  #last = 0;

  constructor(ctx: CapabilityContext, init: ChatInit = {}) {
    this.#ctx = ctx;
    this.#repo = new ChatRepository(ctx.store);
    const name = init.name !== undefined ? init.name : (ctx.name ?? null);
    this.#name = name == null || name === '' ? null : [...name].slice(0, MAX_NAME_CHARS).join('');
    this.#maxDriftMs = init.maxDriftMs ?? CHAT_MAX_DRIFT_MS;
  }

  start(): void {
    this.#last = this.#repo.maxLamport();
    this.#gossip = this.#ctx.use<GossipApi>('gossip');
    this.#unregister = this.#gossip.register(CHAT_TOPIC, {
      validate: (payload, from) => this.#validate(payload, from),
      deliver: (m) => this.#deliver(m),
    });
  }

  stop(): void {
    this.#unregister?.();
    this.#unregister = null;
  }

  /** The Lamport clock's current value (the largest timestamp sent or seen). */
  lamport(): number {
    return this.#last;
  }

  /** Send `text` to `room` (joining it if needed): signed, stored, gossiped to every node. */
  async send(room: string, text: string): Promise<ChatMessage> {
    checkRoom(room);
    if (typeof text !== 'string' || codePoints(text) < 1 || codePoints(text) > MAX_TEXT_CHARS) throw new ChatRequestError(`text must be 1..${MAX_TEXT_CHARS} characters`);
    if (!this.#gossip) throw new ChatRequestError('chat is not started');
    this.#repo.join(room, this.#ctx.clock.physical());
    const lamport = Math.max(this.#ctx.clock.physical(), this.#last + 1);
    this.#last = lamport;
    const message = signChatMessage(this.#ctx.identity, { room, name: this.#name, text, lamport });
    this.#repo.insert(message, null, this.#ctx.clock.physical());
    this.#gossip.publish(CHAT_TOPIC, message);
    this.#ctx.events.emit('chat:message', { ...message, from: null });
    return message;
  }

  /** Stored messages of `room`, oldest first, ordered by (lamport, id). */
  history(room: string, options: HistoryOptions = {}): ChatMessage[] {
    checkRoom(room);
    const limit = options.limit ?? HISTORY_DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) throw new ChatRequestError(`limit must be 1..${HISTORY_MAX_LIMIT}`);
    let before: ChatMessage | undefined;
    if (options.before !== undefined) {
      before = this.#repo.get(options.before);
      if (!before) throw new ChatRequestError(`no stored message ${options.before}`);
    }
    return this.#repo.history(room, limit, before);
  }

  /** The rooms this node is in (the default room always). */
  rooms(): ChatRoom[] {
    return this.#repo.rooms();
  }

  /** Join a room: its messages are stored from now on. True when newly joined. */
  join(room: string): boolean {
    checkRoom(room);
    return this.#repo.join(room, this.#ctx.clock.physical());
  }

  /** Leave a room: its messages are no longer stored (those stored stay). True when it was a member. */
  leave(room: string): boolean {
    checkRoom(room);
    if (room === DEFAULT_ROOM) throw new ChatRequestError(`every node is in ${DEFAULT_ROOM}; it cannot be left`);
    return this.#repo.leave(room);
  }

  /**
   * Take in a message from elsewhere (gossip, later a sync): verify it, raise the clock, store
   * it if this node is in its room. Idempotent by id.
   * @returns whether it was stored now (false: a room not joined, or already stored)
   * @throws InvalidChatMessageError
   */
  accept(value: unknown, from: string | null): { message: ChatMessage; stored: boolean } {
    const message = this.#check(value);
    return { message, stored: this.#store(message, from) };
  }

  #check(value: unknown): ChatMessage {
    const message = verifyChatMessage(value);
    const now = this.#ctx.clock.physical();
    if (message.lamport > now + this.#maxDriftMs) {
      throw new InvalidChatMessageError(`lamport ${message.lamport} is more than ${this.#maxDriftMs} ms ahead of our clock (${now})`, CHAT_DRIFT_PENALTY, 'CLOCK_DRIFT');
    }
    return message;
  }

  #store(message: ChatMessage, from: string | null): boolean {
    this.#last = Math.max(this.#last, message.lamport);
    if (!this.#repo.isMember(message.room)) return false;
    if (!this.#repo.insert(message, from, this.#ctx.clock.physical())) return false;
    this.#ctx.events.emit('chat:message', { ...message, from });
    return true;
  }

  #validate(payload: unknown, _from: string): GossipVerdict {
    try {
      this.#check(payload);
      return true;
    } catch (err) {
      if (err instanceof InvalidChatMessageError) return { penalty: err.penalty, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  }

  #deliver(m: GossipMessage): void {
    // Validated already; the payload is a ChatMessage.
    this.#store(m.payload as ChatMessage, m.from);
  }
}

function checkRoom(room: string): void {
  if (!isRoomName(room)) throw new ChatRequestError(`"${room}" is not a room name (lowercase letters, digits, - and _, 1..64 characters)`);
}

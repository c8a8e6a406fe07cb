import type { CapabilityContext } from '../capability/index.js';
import { gossipId, type GossipApi, type GossipMessage } from '../gossip/index.js';
import type { Outbox } from '../outbox/index.js';
import type { Peer } from '../peers/index.js';
import type { Envelope } from '../transport/index.js';
import { canonicalBytes } from '../util/canonical.js';
import {
  CHAT_AUTHOR_BURST,
  CHAT_AUTHOR_RATE,
  CHAT_DRIFT_PENALTY,
  CHAT_INVALID_PENALTY,
  CHAT_MAX_DRIFT_MS,
  CHAT_TOPIC,
  DEFAULT_ROOM,
  HISTORY_MAX_LIMIT,
  MAX_NAME_CHARS,
  MAX_TEXT_CHARS,
  SYNC_MAX_AGE_MS,
  SYNC_MAX_KEYS,
  SYNC_MAX_MESSAGES,
  SYNC_OVERLAP_MS,
} from './constants.js';
import { type ChatMarkEvent, DirectChat, type DirectChatInit } from './direct-chat.js';
import { type ChatKey, verifyChatKey } from './direct.js';
import { ChatRequestError, gossipVerdict, InvalidChatMessageError } from './errors.js';
import { AuthorRateLimit, LamportClock } from './lamport.js';
import { type ChatMessage, codePoints, isRoomName, signChatMessage, verifyChatMessage } from './message.js';
import type { ChatHistoryBody, ChatKeysBody, ChatSyncBody } from './messages.js';
import { type HistoryOptions, pageOf } from './page.js';
import { ChatRepository, type ChatRoom, type Conversation, type DirectMessage } from './repository.js';

/** Most bytes of messages one ChatHistory carries (the frame limit is 1 MiB). */
const SYNC_REPLY_BYTES = 768 * 1024;

export interface ChatInit extends DirectChatInit {
  /** Display name put in this node's messages. Default: the node's `name` option. */
  name?: string | null;
  /** Largest lead of a message's Lamport timestamp over our physical clock (ms). Default CHAT_MAX_DRIFT_MS. */
  maxDriftMs?: number;
  /** Catch-up bounds per room and sync: most messages, oldest age (ms). Defaults SYNC_MAX_MESSAGES, SYNC_MAX_AGE_MS. */
  syncMaxMessages?: number;
  syncMaxAgeMs?: number;
  /** Messages one author may have accepted per second through gossip, and the burst. Defaults CHAT_AUTHOR_RATE, CHAT_AUTHOR_BURST. */
  authorRate?: number;
  authorBurst?: number;
}

/**
 * A `chat:message` payload: a room message or a direct message, and the peer it came from
 * (null: sent by this node). Room messages have `room`; direct messages have `to`.
 */
export type ChatMessageEvent = (ChatMessage & { from: string | null }) | (DirectMessage & { from: string | null });

/** A catch-up with one peer ended (`chat:sync`). */
export interface ChatSyncEvent {
  nodeId: string;
  /** Messages received in all, and stored as new. */
  received: number;
  stored: number;
  keys: number;
  ms: number;
}

export interface ChatEvents {
  /** A message of a joined room, or a direct message, was stored for the first time (sent here or received). */
  'chat:message': ChatMessageEvent;
  /** A direct message this node sent got its recipient's delivered or read receipt. */
  'chat:mark': ChatMarkEvent;
  /** A catch-up with a peer that connected ended. */
  'chat:sync': ChatSyncEvent;
}

export type { HistoryOptions } from './page.js';

/**
 * Chat: rooms and direct messages over gossip, with catch-up.
 *
 * Rooms. Sending: Lamport timestamp -> signed message -> stored -> published on topic
 * `chat`. Receiving: the topic's validator (schema, id, key, signature, clock, author rate;
 * a refusal costs the sender points) -> Lamport clock raised -> stored if this node is in the
 * room (relayed by gossip either way) -> `chat:message`.
 *
 * Catch-up: when a peer connects, this node asks it for its ChatKeys (`GetChatKeys`) and, per
 * joined room, for the messages since its newest one (`ChatSync`, bounded by count and age),
 * checks every signature and stores what is new (docs/protocol.md §20.10).
 *
 * Direct messages: see DirectChat (end to end encrypted, receipts, outbox).
 */
export class Chat {
  readonly #ctx: CapabilityContext;
  readonly #repo: ChatRepository;
  readonly #name: string | null;
  readonly #maxDriftMs: number;
  readonly #syncMaxMessages: number;
  readonly #syncMaxAgeMs: number;
  readonly #clock = new LamportClock();
  readonly #authorRate: AuthorRateLimit;
  /** ChatSync and GetChatKeys requests a peer may make: a burst, then one per second. */
  readonly #syncRate = new AuthorRateLimit(1, 8);
  readonly #direct: DirectChat;
  #gossip: GossipApi | null = null;
  #unregister: (() => void) | null = null;

  constructor(ctx: CapabilityContext, init: ChatInit = {}) {
    this.#ctx = ctx;
    this.#repo = new ChatRepository(ctx.store);
    const name = init.name !== undefined ? init.name : (ctx.name ?? null);
    this.#name = name == null || name === '' ? null : [...name].slice(0, MAX_NAME_CHARS).join('');
    this.#maxDriftMs = init.maxDriftMs ?? CHAT_MAX_DRIFT_MS;
    this.#syncMaxMessages = init.syncMaxMessages ?? SYNC_MAX_MESSAGES;
    this.#syncMaxAgeMs = init.syncMaxAgeMs ?? SYNC_MAX_AGE_MS;
    this.#authorRate = new AuthorRateLimit(init.authorRate ?? CHAT_AUTHOR_RATE, init.authorBurst ?? CHAT_AUTHOR_BURST);
    this.#direct = new DirectChat(ctx, { name: this.#name, clock: this.#clock, rate: this.#authorRate, check: (l) => this.#checkDrift(l) }, init);
  }

  /** Before start: the outbox kinds of direct messages and receipts. */
  register(): void {
    this.#direct.register(this.#ctx.use<Outbox>('outbox'));
  }

  async start(): Promise<void> {
    this.#clock.observe(Math.max(this.#repo.maxLamport(), this.#direct.maxLamport()));
    this.#gossip = this.#ctx.use<GossipApi>('gossip');
    this.#unregister = this.#gossip.register(CHAT_TOPIC, {
      validate: (payload) => gossipVerdict(() => this.#authorRate.take(this.#check(payload).author)),
      deliver: (m) => this.#deliver(m),
    });
    await this.#direct.start(this.#gossip);
  }

  stop(): void {
    this.#direct.stop();
    this.#unregister?.();
    this.#unregister = null;
  }

  /** The Lamport clock's current value (the largest timestamp sent or seen). */
  lamport(): number {
    return this.#clock.last;
  }

  /** The DirectChat behind the direct-message methods (wire handlers use it). */
  get direct(): DirectChat {
    return this.#direct;
  }

  /**
   * Send `text` to node `to`, end to end encrypted (docs/protocol.md §20.7). Resolves when
   * it is stored durably and queued for delivery; `chat:mark` tells when it is delivered
   * and read. @throws ChatRequestError (`NO_CHAT_KEY` when the recipient's key is not known)
   */
  sendDirect(to: string, text: string): Promise<DirectMessage> {
    return this.#direct.send(to, text);
  }

  /** The direct messages with node `peer`, oldest first (default the newest 100). */
  conversation(peer: string, options: HistoryOptions = {}): DirectMessage[] {
    return this.#direct.conversation(peer, options);
  }

  /** Every conversation, the most recent first, with unread counts. */
  conversations(): Conversation[] {
    return this.#direct.conversations();
  }

  /** Mark the messages received from `peer` read (their authors get read receipts). Returns how many. */
  read(peer: string): Promise<number> {
    return this.#direct.read(peer);
  }

  /** The ChatKey known for `node` (undefined: a direct message to it fails with NO_CHAT_KEY). */
  keyOf(node: string): ChatKey | undefined {
    return this.#direct.keyOf(node);
  }

  /** This node's ChatKey: its X25519 key for direct messages, signed by its node key. */
  chatKey(): ChatKey {
    return this.#direct.ownKey();
  }

  /** Send `text` to `room` (joining it if needed): signed, stored, gossiped to every node. */
  async send(room: string, text: string): Promise<ChatMessage> {
    checkRoom(room);
    if (typeof text !== 'string' || codePoints(text) < 1 || codePoints(text) > MAX_TEXT_CHARS) throw new ChatRequestError(`text must be 1..${MAX_TEXT_CHARS} characters`);
    if (!this.#gossip) throw new ChatRequestError('chat is not started');
    this.#repo.join(room, this.#ctx.clock.physical());
    const lamport = this.#clock.tick(this.#ctx.clock.physical());
    const message = signChatMessage(this.#ctx.identity, { room, name: this.#name, text, lamport });
    this.#repo.insert(message, null, this.#ctx.clock.physical());
    this.#gossip.publish(CHAT_TOPIC, message);
    this.#ctx.events.emit('chat:message', { ...message, from: null });
    return message;
  }

  /** Stored messages of `room`, oldest first, ordered by (lamport, id). */
  history(room: string, options: HistoryOptions = {}): ChatMessage[] {
    checkRoom(room);
    const page = pageOf(options, (id) => this.#repo.get(id));
    return this.#repo.history(room, page.limit, page.before);
  }

  /**
   * "Seen by": how many of this node's peers are known to hold room message `m` (they sent
   * it here, announced it, or were sent it), while gossip still remembers it (its seen-cache
   * TTL, 2 minutes); null after that, or for a message gossip never carried here.
   */
  seenBy(m: ChatMessage): number | null {
    return this.#gossip?.message(gossipId(CHAT_TOPIC, m).id)?.seenBy ?? null;
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
    this.#checkDrift(message.lamport);
    return message;
  }

  #checkDrift(lamport: number): void {
    const now = this.#ctx.clock.physical();
    if (lamport > now + this.#maxDriftMs) {
      throw new InvalidChatMessageError(`lamport ${lamport} is more than ${this.#maxDriftMs} ms ahead of our clock (${now})`, CHAT_DRIFT_PENALTY, 'CLOCK_DRIFT');
    }
  }

  #store(message: ChatMessage, from: string | null): boolean {
    this.#clock.observe(message.lamport);
    if (!this.#repo.isMember(message.room)) return false;
    if (!this.#repo.insert(message, from, this.#ctx.clock.physical())) return false;
    this.#ctx.events.emit('chat:message', { ...message, from });
    return true;
  }

  #deliver(m: GossipMessage): void {
    // Validated already; the payload is a ChatMessage.
    this.#store(m.payload as ChatMessage, m.from);
  }

  // Catch-up (docs/protocol.md §20.10)

  /** Peer hook: catch up with a peer that connected (keys, then each joined room). */
  onPeerConnect(peer: Peer): void {
    this.#direct.onPeerConnect();
    void this.#sync(peer).catch(() => {
      // A peer without chat, one that went away, or a bad reply (penalised in #syncRoom): nothing to do.
    });
  }

  /**
   * Ask `peer` for its ChatKeys and, per joined room, the messages since this node's newest
   * (minus SYNC_OVERLAP_MS, at most `syncMaxAgeMs` old, at most `syncMaxMessages`); verify and
   * store what is new. Emits `chat:sync`. Runs by itself when a peer connects.
   * @throws ChatRequestError when `nodeId` is not connected; the transport's errors when it does not answer
   */
  syncWith(nodeId: string): Promise<ChatSyncEvent> {
    const peer = this.#ctx.peers.get(nodeId);
    if (!peer) return Promise.reject(new ChatRequestError(`node ${nodeId.slice(0, 12)} is not connected`));
    return this.#sync(peer);
  }

  async #sync(peer: Peer): Promise<ChatSyncEvent> {
    const t0 = Date.now();
    const result: ChatSyncEvent = { nodeId: peer.nodeId, received: 0, stored: 0, keys: 0, ms: 0 };
    const keys = await peer.connection.request<Record<string, never>, ChatKeysBody>('GetChatKeys', {});
    if (keys.type === 'ChatKeys') {
      for (const k of keys.body.keys) {
        try {
          if (this.#direct.learnKey(verifyChatKey(k))) result.keys++;
        } catch (err) {
          if (!(err instanceof InvalidChatMessageError)) throw err;
          this.#ctx.peers.penalize(peer.nodeId, err.penalty, 'INVALID_CHAT_SYNC', `ChatKeys: ${err.message}`);
          break;
        }
      }
    }
    for (const { room, lastLamport } of this.#repo.rooms()) {
      const floor = this.#ctx.clock.physical() - this.#syncMaxAgeMs;
      const since = Math.max(0, floor, lastLamport == null ? 0 : lastLamport - SYNC_OVERLAP_MS);
      const r = await this.#syncRoom(peer, room, since);
      result.received += r.received;
      result.stored += r.stored;
    }
    result.ms = Date.now() - t0;
    this.#ctx.events.emit('chat:sync', result);
    return result;
  }

  async #syncRoom(peer: Peer, room: string, since: number): Promise<{ received: number; stored: number }> {
    let received = 0;
    let stored = 0;
    for (;;) {
      const limit = Math.min(HISTORY_MAX_LIMIT, this.#syncMaxMessages - received);
      if (limit < 1) break;
      const reply = await peer.connection.request<ChatSyncBody, ChatHistoryBody>('ChatSync', { room, since, limit });
      if (reply.type !== 'ChatHistory' || reply.body.room !== room) break;
      const { messages, more } = reply.body;
      let newest = since;
      for (const value of messages) {
        let m: ChatMessage;
        try {
          m = this.#check(value);
          if (m.room !== room || m.lamport < since) throw new InvalidChatMessageError(`message ${m.id.slice(0, 12)} is not of ${room} since ${since}`, CHAT_INVALID_PENALTY);
        } catch (err) {
          if (!(err instanceof InvalidChatMessageError)) throw err;
          if (err.penalty > 0) this.#ctx.peers.penalize(peer.nodeId, err.penalty, 'INVALID_CHAT_SYNC', `ChatHistory: ${err.message}`);
          return { received, stored };
        }
        received++;
        newest = Math.max(newest, m.lamport);
        if (this.#store(m, peer.nodeId)) stored++;
      }
      // Pages overlap by one timestamp (`since` is inclusive); stop when nothing moved.
      if (!more || newest === since) break;
      since = newest;
    }
    return { received, stored };
  }

  /** `GetChatKeys`: the newest ChatKeys this node knows. */
  onGetChatKeys(envelope: Envelope<unknown>, peer: Peer): void {
    if (!this.#allowSync(envelope, peer)) return;
    peer.connection.reply<ChatKeysBody>(envelope, 'ChatKeys', { keys: this.#direct.keys(SYNC_MAX_KEYS) as unknown as ChatKeysBody['keys'] });
  }

  /** `ChatSync`: a room's stored messages since a timestamp, oldest first, within the frame budget. */
  onChatSync(envelope: Envelope<ChatSyncBody>, peer: Peer): void {
    if (!this.#allowSync(envelope, peer)) return;
    const { room, since, limit } = envelope.body;
    const page = this.#repo.since(room, since, limit + 1);
    const messages: ChatMessage[] = [];
    let bytes = 0;
    for (const m of page.slice(0, limit)) {
      bytes += canonicalBytes(m).length;
      if (bytes > SYNC_REPLY_BYTES && messages.length > 0) break;
      messages.push(m);
    }
    peer.connection.reply<ChatHistoryBody>(envelope, 'ChatHistory', { room, messages: messages as unknown as ChatHistoryBody['messages'], more: messages.length < page.length });
  }

  #allowSync(envelope: Envelope<unknown>, peer: Peer): boolean {
    try {
      this.#syncRate.take(peer.nodeId);
      return true;
    } catch (err) {
      if (!(err instanceof InvalidChatMessageError)) throw err;
      this.#ctx.peers.penalize(peer.nodeId, err.penalty, 'RATE_LIMITED', `chat catch-up: ${err.message}`);
      peer.connection.replyError(envelope, 'RATE_LIMITED', err.message);
      return false;
    }
  }
}

function checkRoom(room: string): void {
  if (!isRoomName(room)) throw new ChatRequestError(`"${room}" is not a room name (lowercase letters, digits, - and _, 1..64 characters)`);
}

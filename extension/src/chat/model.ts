/**
 * What this window knows about chat: the rooms the node is in, its direct-message
 * conversations, the loaded part of each history, and what is unread.
 *
 * Data flow: when the node model connects (NodeModel.onDidChangeNode with a client), load()
 * reads the rooms (GET /chat/rooms, plus the newest message of each for its preview) and the
 * conversations (GET /chat/conversations; a 404 means the node has no direct messages, and the
 * view shows rooms only). Messages that a catch-up with a peer stores (`chat:sync`) arrive as
 * `chat:message` events too. A history is read when a conversation is first shown (GET
 * /chat/messages, newest PAGE_SIZE) and paged back with `before`. From then on only events
 * change it: `chat:message` (a room message or a direct message, deduplicated by id, kept in
 * (lamport, id) order) and `chat:mark` (delivered / read of a message this node sent), both
 * forwarded by NodeModel from the node's event stream. Nothing polls. Events that arrive while
 * load() runs are applied after it.
 *
 * Unread: a message from another node counts as unread unless its conversation is the one the
 * user is looking at (setVisible). Direct messages keep their unread count on the node (POST
 * /chat/read clears it and sends read receipts); rooms have no such route, so their counts live
 * in this window only.
 */
import * as vscode from 'vscode';
import type { ApiEvent, ChatMarkEvent, ChatMessage, ChatMessageEvent, DirectMessage, NodeInfo, TypedApiClient } from '@plexus/sdk';
import type { ChatConversation, ChatEntry, ConversationKey } from '../../../webview/src/protocol';
import { chatLabel } from '../views/format';
import { conversationsOrNull, isDirectMessage } from './direct';

/** Messages read per history request (the newest first, then pages back). */
export const PAGE_SIZE = 50;
/** Most code points in a message (docs/api.md §6.28). */
export const MAX_TEXT_CODE_POINTS = 4000;
/** The room every node is in; it cannot be left. */
export const GENERAL = 'general';
const ROOM = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NODE_ID = /^[0-9a-f]{64}$/;
/** Messages whose marks are kept while their `chat:message` has not come yet. */
const EARLY_MARKS_KEPT = 256;

/** One message of either kind, as kept here. */
interface Stored {
  id: string;
  author: string;
  name: string | null;
  text: string;
  lamport: number;
  time: number;
  own: boolean;
  marks: { sent: number | null; delivered: number | null; read: number | null } | null;
}

interface History {
  entries: Stored[];
  /** More messages may be stored before the first entry. */
  hasMore: boolean;
}

interface Dm {
  name: string | null;
  last: Stored | null;
  unread: number;
}

/** Thrown for a request the chat view should not have made (a bad room name, an empty text). */
export class ChatInputError extends Error {
  readonly code = 'INVALID_CHAT_INPUT';
}

export const roomKey = (room: string): ConversationKey => `room:${room}`;
export const dmKey = (nodeId: string): ConversationKey => `dm:${nodeId}`;

/** `{kind, id}` of a key: a room name or a node ID. @throws ChatInputError for a malformed key */
export function parseKey(key: string): { kind: 'room' | 'dm'; id: string } {
  const [kind, id = ''] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'room' && ROOM.test(id)) return { kind, id };
  if (kind === 'dm' && NODE_ID.test(id)) return { kind, id };
  throw new ChatInputError(`not a conversation: ${key}`);
}

const codePoints = (s: string): number => [...s].length;

/** Set a mark on a message this node sent; false for a message without marks. */
function setMark(s: Stored, e: ChatMarkEvent): boolean {
  if (!s.marks) return false;
  s.marks = { ...s.marks, [e.mark]: e.at };
  // Read implies delivered (a read receipt may overtake the delivered one).
  if (e.mark === 'read' && s.marks.delivered === null) s.marks.delivered = e.at;
  return true;
}
const order = (a: Stored, b: Stored): number => a.lamport - b.lamport || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class ChatModel implements vscode.Disposable {
  #client: TypedApiClient | null = null;
  #self: NodeInfo | null = null;
  #directMessages = false;
  /** Joined rooms -> newest message known (null: none). */
  readonly #rooms = new Map<string, Stored | null>();
  readonly #roomUnread = new Map<string, number>();
  readonly #dms = new Map<string, Dm>();
  readonly #histories = new Map<ConversationKey, History>();
  readonly #loadingHistory = new Map<ConversationKey, Promise<void>>();
  /**
   * Marks that came before their message: the node may report a delivery (`chat:mark`) before
   * the `chat:message` of the send, as the outbox can deliver while the message is still being
   * made durable. Applied when the message arrives; at most EARLY_MARKS_KEPT messages.
   */
  readonly #earlyMarks = new Map<string, ChatMarkEvent[]>();
  /** Events held while load() runs. */
  #held: Array<{ name: string; payload: unknown }> | null = null;
  #visible: ConversationKey | null = null;
  /** Names of peers (from the Network), for conversations whose messages carry none yet. */
  #peerName: (nodeId: string) => string | null = () => null;

  readonly #onDidChange = new vscode.EventEmitter<ConversationKey | null>();
  /** The conversation list changed (null) or one conversation's history did (its key). */
  readonly onDidChange = this.#onDidChange.event;

  get connected(): boolean {
    return this.#client !== null;
  }
  /** The client of the node followed, or null. */
  get client(): TypedApiClient | null {
    return this.#client;
  }
  /** Whether the node serves direct messages. */
  get directMessages(): boolean {
    return this.#directMessages;
  }
  get self(): NodeInfo | null {
    return this.#self;
  }

  /** Where titles of conversations without a name look one up (the connected peers). */
  setPeerNames(lookup: (nodeId: string) => string | null): void {
    this.#peerName = lookup;
  }

  #loading: Promise<void> = Promise.resolve();

  /** Resolves when the load in progress, if any, has ended (whether it succeeded or not). */
  whenLoaded(): Promise<void> {
    return this.#loading.catch(() => undefined);
  }

  /** Follow `client`'s node: read rooms and conversations; events meanwhile are applied after. */
  load(client: TypedApiClient, self: NodeInfo): Promise<void> {
    this.#loading = this.#load(client, self);
    return this.#loading;
  }

  async #load(client: TypedApiClient, self: NodeInfo): Promise<void> {
    this.clear();
    this.#client = client;
    this.#self = self;
    this.#held = [];
    try {
      const [rooms, convs] = await Promise.all([client.chatRooms(), conversationsOrNull(client).catch(() => null)]);
      if (client !== this.#client) return;
      const lasts = await Promise.all(rooms.map((r) => (r.messages > 0 ? client.chatHistory(r.room, { limit: 1 }).catch(() => []) : Promise.resolve([]))));
      if (client !== this.#client) return;
      rooms.forEach((r, i) => this.#rooms.set(r.room, lasts[i]![0] ? this.#fromRoom(lasts[i]![0]!) : null));
      this.#directMessages = convs !== null;
      for (const c of convs ?? []) this.#dms.set(c.with, { name: c.name, last: c.last ? this.#fromDirect(c.last) : null, unread: c.unread });
    } finally {
      const held = this.#held ?? [];
      this.#held = null;
      if (client === this.#client) for (const e of held) this.#apply(e.name, e.payload);
    }
    this.#onDidChange.fire(null);
  }

  /** Forget the node (it stopped or the window detached). */
  clear(): void {
    const had = this.#client !== null;
    this.#client = null;
    this.#self = null;
    this.#held = null;
    this.#directMessages = false;
    this.#rooms.clear();
    this.#roomUnread.clear();
    this.#dms.clear();
    this.#histories.clear();
    this.#loadingHistory.clear();
    this.#earlyMarks.clear();
    if (had) this.#onDidChange.fire(null);
  }

  /** An event of the node's stream (NodeModel forwards `chat:*`). */
  onEvent(event: ApiEvent | { name: string; payload: unknown }): void {
    if (!this.#client) return;
    if (this.#held) this.#held.push(event);
    else this.#apply(event.name, event.payload);
  }

  /** The conversation list: rooms (general first, then by name), then direct messages, newest first. */
  list(): ChatConversation[] {
    const rooms = [...this.#rooms.keys()].sort((a, b) => (a === GENERAL ? -1 : b === GENERAL ? 1 : a.localeCompare(b)));
    const out: ChatConversation[] = rooms.map((room) => {
      const last = this.#rooms.get(room) ?? null;
      return { key: roomKey(room), kind: 'room', title: `#${room}`, preview: this.#preview(last), lastTime: last?.time ?? null, unread: this.#roomUnread.get(room) ?? 0, leavable: room !== GENERAL };
    });
    const dms = [...this.#dms.entries()].sort(([, a], [, b]) => (b.last?.time ?? Infinity) - (a.last?.time ?? Infinity));
    for (const [nodeId, dm] of dms) {
      out.push({ key: dmKey(nodeId), kind: 'dm', title: chatLabel(dm.name ?? this.#peerName(nodeId), nodeId), preview: this.#preview(dm.last), lastTime: dm.last?.time ?? null, unread: dm.unread, leavable: false });
    }
    return out;
  }

  /** Unread messages in every conversation (the view's badge). */
  unreadTotal(): number {
    let n = 0;
    for (const u of this.#roomUnread.values()) n += u;
    for (const dm of this.#dms.values()) n += dm.unread;
    return n;
  }

  /** Whether `key` names a conversation this window lists. */
  has(key: ConversationKey): boolean {
    const { kind, id } = parseKey(key);
    return kind === 'room' ? this.#rooms.has(id) : this.#dms.has(id);
  }

  /** The loaded messages of a conversation as the view shows them, or null before they are read. */
  history(key: ConversationKey): { entries: ChatEntry[]; hasMore: boolean } | null {
    const h = this.#histories.get(key);
    if (!h) return null;
    return { entries: h.entries.map((s) => ({ id: s.id, author: s.author, label: chatLabel(s.name, s.author), text: s.text, time: s.time, own: s.own, marks: s.marks })), hasMore: h.hasMore };
  }

  /** Read the newest page of a conversation unless it is loaded (concurrent calls share one read). */
  ensureHistory(key: ConversationKey): Promise<void> {
    if (this.#histories.has(key)) return Promise.resolve();
    let loading = this.#loadingHistory.get(key);
    if (!loading) {
      loading = this.#page(key, undefined).finally(() => this.#loadingHistory.delete(key));
      this.#loadingHistory.set(key, loading);
    }
    return loading;
  }

  /** Read the page before the oldest loaded message; resolves with how many were added. */
  async more(key: ConversationKey): Promise<number> {
    await this.ensureHistory(key);
    const h = this.#histories.get(key);
    if (!h || !h.hasMore || h.entries.length === 0) return 0;
    const before = h.entries.length;
    await this.#page(key, h.entries[0]!.id);
    return (this.#histories.get(key)?.entries.length ?? before) - before;
  }

  async #page(key: ConversationKey, before: string | undefined): Promise<void> {
    const client = this.#requireClient();
    const { kind, id } = parseKey(key);
    let page: Stored[];
    if (kind === 'room') page = (await client.chatHistory(id, { limit: PAGE_SIZE, before })).map((m) => this.#fromRoom(m));
    else page = this.#directMessages ? (await client.chatConversation(id, { limit: PAGE_SIZE, before })).map((m) => this.#fromDirect(m)) : [];
    if (client !== this.#client) return;
    const h = this.#histories.get(key) ?? { entries: [], hasMore: true };
    this.#merge(h, page);
    h.hasMore = page.length === PAGE_SIZE;
    this.#histories.set(key, h);
    this.#onDidChange.fire(key);
  }

  /** Send `text` to the conversation. @throws ChatInputError, ApiClientError */
  async send(key: ConversationKey, text: string): Promise<string> {
    const n = codePoints(text);
    if (n < 1 || n > MAX_TEXT_CODE_POINTS || text.trim() === '') throw new ChatInputError(`A message is 1 to ${MAX_TEXT_CODE_POINTS} characters (this one: ${n}).`);
    const client = this.#requireClient();
    const { kind, id } = parseKey(key);
    if (kind === 'room') {
      const m = await client.chatSend(id, text);
      this.#apply('chat:message', { ...m, from: null });
      return m.id;
    }
    if (!this.#directMessages) throw new ChatInputError('This node does not support direct messages.');
    const m = await client.chatSendDirect(id, text);
    this.#apply('chat:message', { ...m, from: null });
    return m.id;
  }

  /** Join `room` (the node stores its messages from now on). @throws ChatInputError, ApiClientError */
  async join(room: string): Promise<ConversationKey> {
    if (!ROOM.test(room)) throw new ChatInputError(`"${room}" is not a room name: 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit.`);
    const client = this.#requireClient();
    await client.chatJoin(room);
    if (!this.#rooms.has(room)) {
      const [last] = await client.chatHistory(room, { limit: 1 }).catch(() => []);
      this.#rooms.set(room, last ? this.#fromRoom(last) : null);
      this.#onDidChange.fire(null);
    }
    return roomKey(room);
  }

  /** Leave `room` (not general). @throws ChatInputError, ApiClientError */
  async leave(room: string): Promise<void> {
    if (room === GENERAL) throw new ChatInputError('Every node is in #general: it cannot be left.');
    const client = this.#requireClient();
    await client.chatLeave(room);
    this.#rooms.delete(room);
    this.#roomUnread.delete(room);
    this.#histories.delete(roomKey(room));
    if (this.#visible === roomKey(room)) this.#visible = null;
    this.#onDidChange.fire(null);
  }

  /** List a conversation with `nodeId` (no message needed yet). @throws ChatInputError */
  openDirect(nodeId: string, name: string | null = null): ConversationKey {
    if (!NODE_ID.test(nodeId)) throw new ChatInputError(`not a node ID: ${nodeId}`);
    if (!this.#directMessages) throw new ChatInputError('This node does not support direct messages.');
    if (nodeId === this.#self?.nodeId) throw new ChatInputError('That is this node: pick another node to write to.');
    const dm = this.#dms.get(nodeId);
    if (!dm) {
      this.#dms.set(nodeId, { name, last: null, unread: 0 });
      this.#onDidChange.fire(null);
    } else if (!dm.name && name) dm.name = name;
    return dmKey(nodeId);
  }

  /** The conversation the user is looking at now (null: none, or the view is hidden): its messages are read. */
  setVisible(key: ConversationKey | null): void {
    this.#visible = key;
    if (key) this.#markSeen(key);
  }

  #markSeen(key: ConversationKey): void {
    const { kind, id } = parseKey(key);
    if (kind === 'room') {
      if (!this.#roomUnread.get(id)) return;
      this.#roomUnread.delete(id);
      this.#onDidChange.fire(null);
      return;
    }
    const dm = this.#dms.get(id);
    if (!dm || dm.unread === 0) return;
    dm.unread = 0;
    this.#onDidChange.fire(null);
    const client = this.#client;
    if (client) void client.chatRead(id).catch(() => undefined);
  }

  #apply(name: string, raw: unknown): void {
    if (name === 'chat:mark') return this.#applyMark(raw as ChatMarkEvent);
    if (name !== 'chat:message') return;
    const payload = raw as ChatMessageEvent;
    if (isDirectMessage(payload)) {
      if (!this.#directMessages) this.#directMessages = true;
      const m = this.#fromDirect(payload);
      for (const early of this.#earlyMarks.get(m.id) ?? []) setMark(m, early);
      this.#earlyMarks.delete(m.id);
      const peer = payload.outgoing ? payload.to : payload.author;
      const key = dmKey(peer);
      const dm = this.#dms.get(peer) ?? { name: null, last: null, unread: 0 };
      if (!payload.outgoing && payload.name) dm.name = payload.name;
      const fresh = this.#add(key, m);
      if (!dm.last || order(dm.last, m) <= 0) dm.last = m;
      this.#dms.set(peer, dm);
      if (fresh && !m.own) {
        if (this.#visible === key) {
          const client = this.#client;
          if (client) void client.chatRead(peer).catch(() => undefined);
        } else dm.unread += 1;
      }
      this.#onDidChange.fire(null);
      return;
    }
    const m = payload as ChatMessage & { from: string | null };
    if (typeof m.room !== 'string') return;
    const stored = this.#fromRoom(m);
    const key = roomKey(m.room);
    const fresh = this.#add(key, stored);
    const last = this.#rooms.get(m.room);
    if (!last || order(last, stored) <= 0) this.#rooms.set(m.room, stored);
    if (fresh && !stored.own && this.#visible !== key) this.#roomUnread.set(m.room, (this.#roomUnread.get(m.room) ?? 0) + 1);
    this.#onDidChange.fire(null);
  }

  #applyMark(e: ChatMarkEvent): void {
    const key = dmKey(e.with);
    const set = (s: Stored | null | undefined): boolean => !!s && s.id === e.id && setMark(s, e);
    const inHistory = set(this.#histories.get(key)?.entries.find((s) => s.id === e.id));
    const dm = this.#dms.get(e.with);
    const inLast = dm?.last?.id === e.id && set(dm.last);
    if (inHistory) this.#onDidChange.fire(key);
    if (inLast) this.#onDidChange.fire(null);
    if (!inHistory && !inLast) {
      this.#earlyMarks.set(e.id, [...(this.#earlyMarks.get(e.id) ?? []), e]);
      if (this.#earlyMarks.size > EARLY_MARKS_KEPT) this.#earlyMarks.delete(this.#earlyMarks.keys().next().value!);
    }
  }

  /** Add a message to a loaded history in order; false when it was there already. */
  #add(key: ConversationKey, m: Stored): boolean {
    const h = this.#histories.get(key);
    if (!h) return true;
    const before = h.entries.length;
    this.#merge(h, [m]);
    const added = h.entries.length > before;
    if (added) this.#onDidChange.fire(key);
    return added;
  }

  #merge(h: History, page: Stored[]): void {
    const ids = new Set(h.entries.map((e) => e.id));
    const fresh = page.filter((m) => !ids.has(m.id));
    if (fresh.length === 0) return;
    h.entries.push(...fresh);
    h.entries.sort(order);
  }

  #fromRoom(m: ChatMessage): Stored {
    return { id: m.id, author: m.author, name: m.name, text: m.text, lamport: m.lamport, time: m.lamport, own: m.author === this.#self?.nodeId, marks: null };
  }

  /** A direct message's time is its Lamport timestamp: the author's clock, or just past the last message it had seen. */
  #fromDirect(m: DirectMessage): Stored {
    return { id: m.id, author: m.author, name: m.name, text: m.text, lamport: m.lamport, time: m.lamport, own: m.outgoing, marks: m.outgoing ? { ...m.marks } : null };
  }

  #preview(m: Stored | null): string {
    if (!m) return '';
    const text = m.text.replace(/\s+/g, ' ').trim();
    return `${m.own ? 'you' : m.name ?? m.author.slice(0, 8)}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
  }

  #requireClient(): TypedApiClient {
    const client = this.#client;
    if (!client) throw Object.assign(new Error('The Plexus node is not running.'), { code: 'NODE_NOT_RUNNING' });
    return client;
  }

  dispose(): void {
    this.#client = null;
    this.#onDidChange.dispose();
  }
}


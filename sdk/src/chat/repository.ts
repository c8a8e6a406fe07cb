import type { Store } from '../store/index.js';
import type { ChatKey } from './direct.js';
import type { ChatMessage } from './message.js';

interface MessageRow {
  [k: string]: unknown;
  id: string;
  room: string;
  author: string;
  author_key: string;
  name: string | null;
  text: string;
  lamport: number;
  signature: string;
}

/** One room this node is in. */
export interface ChatRoom {
  room: string;
  /** When it was joined (ms; 0 for the default room). */
  joinedAt: number;
  /** Messages stored for it. */
  messages: number;
  /** Lamport timestamp of its newest stored message, or null. */
  lastLamport: number | null;
}

const toMessage = (r: MessageRow): ChatMessage => ({
  id: r.id,
  room: r.room,
  author: r.author,
  authorKey: r.author_key,
  name: r.name,
  text: r.text,
  lamport: Number(r.lamport),
  signature: r.signature,
});

/** The `chat_messages` and `chat_rooms` tables. */
export class ChatRepository {
  constructor(private readonly store: Store) {}

  /** Store a message unless its id is there already. True when it was new. */
  insert(m: ChatMessage, fromPeer: string | null, receivedAt: number): boolean {
    if (this.store.get('SELECT 1 AS x FROM chat_messages WHERE id = ?', [m.id])) return false;
    this.store.run(
      `INSERT INTO chat_messages (id, room, author, author_key, name, text, lamport, signature, from_peer, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [m.id, m.room, m.author, m.authorKey, m.name, m.text, m.lamport, m.signature, fromPeer, receivedAt],
    );
    return true;
  }

  get(id: string): ChatMessage | undefined {
    const r = this.store.get<MessageRow>('SELECT * FROM chat_messages WHERE id = ?', [id]);
    return r && toMessage(r);
  }

  /** The newest `limit` messages of `room` ordered before `before` (lamport, id), oldest first. */
  history(room: string, limit: number, before?: { lamport: number; id: string }): ChatMessage[] {
    const rows = before
      ? this.store.all<MessageRow>(
          'SELECT * FROM chat_messages WHERE room = ? AND (lamport < ? OR (lamport = ? AND id < ?)) ORDER BY lamport DESC, id DESC LIMIT ?',
          [room, before.lamport, before.lamport, before.id, limit],
        )
      : this.store.all<MessageRow>('SELECT * FROM chat_messages WHERE room = ? ORDER BY lamport DESC, id DESC LIMIT ?', [room, limit]);
    return rows.reverse().map(toMessage);
  }

  /** Up to `limit` messages of `room` with lamport >= `since`, oldest first (a catch-up page). */
  since(room: string, since: number, limit: number): ChatMessage[] {
    return this.store.all<MessageRow>('SELECT * FROM chat_messages WHERE room = ? AND lamport >= ? ORDER BY lamport, id LIMIT ?', [room, since, limit]).map(toMessage);
  }

  maxLamport(): number {
    const r = this.store.get<{ m: number | null }>('SELECT MAX(lamport) AS m FROM chat_messages');
    return r?.m == null ? 0 : Number(r.m);
  }

  isMember(room: string): boolean {
    return this.store.get('SELECT 1 AS x FROM chat_rooms WHERE room = ?', [room]) !== undefined;
  }

  /** True when newly joined. */
  join(room: string, at: number): boolean {
    if (this.isMember(room)) return false;
    this.store.run('INSERT INTO chat_rooms (room, joined_at) VALUES (?, ?)', [room, at]);
    return true;
  }

  /** True when it was a member. Stored messages of the room are kept. */
  leave(room: string): boolean {
    if (!this.isMember(room)) return false;
    this.store.run('DELETE FROM chat_rooms WHERE room = ?', [room]);
    return true;
  }

  rooms(): ChatRoom[] {
    return this.store
      .all<{ room: string; joined_at: number; messages: number; last: number | null }>(
        `SELECT r.room, r.joined_at, COUNT(m.id) AS messages, MAX(m.lamport) AS last
         FROM chat_rooms r LEFT JOIN chat_messages m ON m.room = r.room GROUP BY r.room ORDER BY r.room`,
      )
      .map((r) => ({ room: r.room, joinedAt: Number(r.joined_at), messages: Number(r.messages), lastLamport: r.last == null ? null : Number(r.last) }));
  }
}

/** A direct message as this node keeps it (one of its two ends). */
export interface DirectMessage {
  id: string;
  author: string;
  to: string;
  /** The author's display name when it sent this, or null. A label, not an identity. */
  name: string | null;
  text: string;
  lamport: number;
  /** True when this node sent it. */
  outgoing: boolean;
  /**
   * `sent`: when this node stored it (outgoing) or received it; `delivered`: the recipient's
   * signed receipt (its clock), null until then; `read`: the recipient's read receipt, or
   * for a received message when this node marked it read. All ms since epoch.
   */
  marks: { sent: number; delivered: number | null; read: number | null };
}

/** One conversation: the other end, its last message, how many received ones are unread. */
export interface Conversation {
  with: string;
  /** The other end's display name from its newest message, or null. */
  name: string | null;
  last: DirectMessage | null;
  unread: number;
  messages: number;
}

interface DirectRow {
  [k: string]: unknown;
  id: string;
  author: string;
  recipient: string;
  outgoing: number;
  name: string | null;
  text: string;
  lamport: number;
  stored_at: number;
  delivered_at: number | null;
  read_at: number | null;
}

const num = (v: unknown): number | null => (v == null ? null : Number(v));
const toDirect = (r: DirectRow): DirectMessage => ({
  id: r.id,
  author: r.author,
  to: r.recipient,
  name: r.name,
  text: r.text,
  lamport: Number(r.lamport),
  outgoing: Number(r.outgoing) === 1,
  marks: { sent: Number(r.stored_at), delivered: num(r.delivered_at), read: num(r.read_at) },
});
const DIRECT_COLUMNS = 'id, author, recipient, outgoing, name, text, lamport, stored_at, delivered_at, read_at';

/** The `chat_direct` and `chat_keys` tables. */
export class DirectRepository {
  constructor(private readonly store: Store) {}

  /** Store a message unless its id is there already. True when it was new. */
  insert(m: DirectMessage, envelope: string | null, fromPeer: string | null): boolean {
    if (this.has(m.id)) return false;
    this.store.run(
      `INSERT INTO chat_direct (id, author, recipient, peer, outgoing, name, text, lamport, envelope, from_peer, stored_at, delivered_at, read_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [m.id, m.author, m.to, m.outgoing ? m.to : m.author, m.outgoing ? 1 : 0, m.name, m.text, m.lamport, envelope, fromPeer, m.marks.sent, m.marks.delivered, m.marks.read],
    );
    return true;
  }

  has(id: string): boolean {
    return this.store.get('SELECT 1 AS x FROM chat_direct WHERE id = ?', [id]) !== undefined;
  }

  get(id: string): DirectMessage | undefined {
    const r = this.store.get<DirectRow>(`SELECT ${DIRECT_COLUMNS} FROM chat_direct WHERE id = ?`, [id]);
    return r && toDirect(r);
  }

  /** The stored envelope of an outgoing message. */
  envelope(id: string): string | undefined {
    const r = this.store.get<{ envelope: string | null }>('SELECT envelope FROM chat_direct WHERE id = ? AND outgoing = 1', [id]);
    return r?.envelope ?? undefined;
  }

  /** Set the delivered mark of an outgoing message. False when unknown, not ours, or already delivered. */
  markDelivered(id: string, at: number): boolean {
    const r = this.store.get<{ v: number | null }>('SELECT delivered_at AS v FROM chat_direct WHERE id = ? AND outgoing = 1', [id]);
    if (!r || r.v != null) return false;
    this.store.run('UPDATE chat_direct SET delivered_at = ? WHERE id = ?', [at, id]);
    return true;
  }

  /** Mark read the outgoing messages to `peer` up to `lamport` not read yet (delivered too); returns their ids. */
  markReadUpTo(peer: string, lamport: number, at: number): string[] {
    const ids = this.store.all<{ id: string }>('SELECT id FROM chat_direct WHERE peer = ? AND outgoing = 1 AND read_at IS NULL AND lamport <= ? ORDER BY lamport, id', [peer, lamport]).map((r) => r.id);
    if (ids.length > 0) this.store.run('UPDATE chat_direct SET read_at = ?, delivered_at = COALESCE(delivered_at, ?) WHERE peer = ? AND outgoing = 1 AND read_at IS NULL AND lamport <= ?', [at, at, peer, lamport]);
    return ids;
  }

  /** Mark every unread received message from `peer` read at `at`; returns their ids and authors. */
  markReadFrom(peer: string, at: number): string[] {
    const ids = this.store.all<{ id: string }>('SELECT id FROM chat_direct WHERE peer = ? AND outgoing = 0 AND read_at IS NULL ORDER BY lamport, id', [peer]).map((r) => r.id);
    if (ids.length > 0) this.store.run('UPDATE chat_direct SET read_at = ? WHERE peer = ? AND outgoing = 0 AND read_at IS NULL', [at, peer]);
    return ids;
  }

  /** The newest `limit` messages with `peer` ordered before `before`, oldest first. */
  conversation(peer: string, limit: number, before?: { lamport: number; id: string }): DirectMessage[] {
    const rows = before
      ? this.store.all<DirectRow>(
          `SELECT ${DIRECT_COLUMNS} FROM chat_direct WHERE peer = ? AND (lamport < ? OR (lamport = ? AND id < ?)) ORDER BY lamport DESC, id DESC LIMIT ?`,
          [peer, before.lamport, before.lamport, before.id, limit],
        )
      : this.store.all<DirectRow>(`SELECT ${DIRECT_COLUMNS} FROM chat_direct WHERE peer = ? ORDER BY lamport DESC, id DESC LIMIT ?`, [peer, limit]);
    return rows.reverse().map(toDirect);
  }

  /** Every conversation, the most recent first. */
  conversations(): Conversation[] {
    const rows = this.store.all<{ peer: string; n: number; unread: number }>(
      `SELECT peer, COUNT(*) AS n, SUM(CASE WHEN outgoing = 0 AND read_at IS NULL THEN 1 ELSE 0 END) AS unread FROM chat_direct GROUP BY peer`,
    );
    const out = rows.map((r) => {
      const last = this.conversation(r.peer, 1)[0] ?? null;
      const named = this.store.get<{ name: string | null }>('SELECT name FROM chat_direct WHERE peer = ? AND outgoing = 0 ORDER BY lamport DESC LIMIT 1', [r.peer]);
      return { with: r.peer, name: named?.name ?? null, last, unread: Number(r.unread), messages: Number(r.n) };
    });
    return out.sort((a, b) => (b.last?.lamport ?? 0) - (a.last?.lamport ?? 0));
  }

  /** Outgoing messages without a delivered receipt, oldest first, with their envelopes. */
  undelivered(): { id: string; to: string; envelope: string }[] {
    return this.store
      .all<{ id: string; recipient: string; envelope: string }>('SELECT id, recipient, envelope FROM chat_direct WHERE outgoing = 1 AND delivered_at IS NULL AND envelope IS NOT NULL ORDER BY lamport, id')
      .map((r) => ({ id: r.id, to: r.recipient, envelope: r.envelope }));
  }

  maxLamport(): number {
    const r = this.store.get<{ m: number | null }>('SELECT MAX(lamport) AS m FROM chat_direct');
    return r?.m == null ? 0 : Number(r.m);
  }

  // Keys

  key(node: string): ChatKey | undefined {
    const r = this.store.get<{ node: string; node_key: string; dh: string; created: number; signature: string }>('SELECT * FROM chat_keys WHERE node = ?', [node]);
    return r && { node: r.node, nodeKey: r.node_key, dh: r.dh, created: Number(r.created), signature: r.signature };
  }

  /** Keep `k` unless a binding as new or newer is stored. True when stored. */
  putKey(k: ChatKey): boolean {
    const old = this.key(k.node);
    if (old && old.created >= k.created) return false;
    this.store.run('INSERT OR REPLACE INTO chat_keys (node, node_key, dh, created, signature) VALUES (?, ?, ?, ?, ?)', [k.node, k.nodeKey, k.dh, k.created, k.signature]);
    return true;
  }

  /** The newest `limit` bindings. */
  keys(limit: number): ChatKey[] {
    return this.store
      .all<{ node: string; node_key: string; dh: string; created: number; signature: string }>('SELECT * FROM chat_keys ORDER BY created DESC LIMIT ?', [limit])
      .map((r) => ({ node: r.node, nodeKey: r.node_key, dh: r.dh, created: Number(r.created), signature: r.signature }));
  }
}

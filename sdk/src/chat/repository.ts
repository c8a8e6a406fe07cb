import type { Store } from '../store/index.js';
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

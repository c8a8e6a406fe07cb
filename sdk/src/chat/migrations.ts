import type { Migration } from '../store/index.js';

/** The chat capability's tables. Never edit a released migration; append a new one. */
export const CHAT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'chat/1',
    sql: `
  CREATE TABLE chat_messages (
    id          TEXT PRIMARY KEY,            -- hex SHA-256 of the content: the idempotency key
    room        TEXT NOT NULL,
    author      TEXT NOT NULL,               -- node ID
    author_key  TEXT NOT NULL,               -- base64url public key
    name        TEXT,                        -- display name at sending time, or NULL
    text        TEXT NOT NULL,
    lamport     INTEGER NOT NULL,
    signature   TEXT NOT NULL,
    from_peer   TEXT,                        -- node ID of the peer it came from; NULL if sent here
    received_at INTEGER NOT NULL             -- this node's wall clock when stored (ms)
  );
  CREATE INDEX chat_messages_order ON chat_messages(room, lamport, id);
  CREATE TABLE chat_rooms (
    room      TEXT PRIMARY KEY,
    joined_at INTEGER NOT NULL
  );
  INSERT INTO chat_rooms (room, joined_at) VALUES ('general', 0);`,
  },
];

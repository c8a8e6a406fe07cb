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
  {
    id: 'chat/2',
    sql: `
  CREATE TABLE chat_direct (
    id           TEXT PRIMARY KEY,           -- hex SHA-256 of the content: the idempotency key
    author       TEXT NOT NULL,              -- node ID
    recipient    TEXT NOT NULL,              -- node ID
    peer         TEXT NOT NULL,              -- the other end: recipient when sent here, author when received
    outgoing     INTEGER NOT NULL,           -- 1: sent by this node
    name         TEXT,                       -- the author's display name, or NULL
    text         TEXT NOT NULL,              -- the decrypted text (only the two ends have it)
    lamport      INTEGER NOT NULL,
    envelope     TEXT,                       -- the sealed envelope as sent (outgoing only: resent as is)
    from_peer    TEXT,                       -- node ID of the peer it came from (received only)
    stored_at    INTEGER NOT NULL,           -- this node's wall clock when stored (ms): "sent" for outgoing
    delivered_at INTEGER,                    -- the recipient's delivered receipt (ms, its clock)
    read_at      INTEGER                     -- the recipient's read receipt, or when this node read it
  );
  CREATE INDEX chat_direct_order ON chat_direct(peer, lamport, id);
  CREATE TABLE chat_keys (
    node      TEXT PRIMARY KEY,              -- node ID
    node_key  TEXT NOT NULL,                 -- base64url Ed25519 public key
    dh        TEXT NOT NULL,                 -- base64url X25519 public key
    created   INTEGER NOT NULL,              -- ms, the node's clock: the newest binding wins
    signature TEXT NOT NULL
  );`,
  },
];

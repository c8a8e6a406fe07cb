import type { Migration } from '../store/index.js';

/** The address book and bans (was global migration 1). Never edit a released migration; append. */
export const PEER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'peers/1',
    legacyUserVersion: 1,
    sql: `
  CREATE TABLE peers (
    address        TEXT PRIMARY KEY,          -- "host:port" where the peer listens
    node_id        TEXT,                      -- hex node ID, once a handshake succeeded
    name           TEXT,
    auto_dial      INTEGER NOT NULL DEFAULT 1, -- keep (re)connecting to this address
    failures       INTEGER NOT NULL DEFAULT 0, -- consecutive failed dials
    last_seen      INTEGER,                   -- ms since epoch of the last frame received
    last_connected INTEGER,                   -- ms since epoch of the last handshake
    added_at       INTEGER NOT NULL
  );
  CREATE INDEX peers_node_id ON peers(node_id);
  CREATE TABLE bans (
    node_id   TEXT PRIMARY KEY,
    until     INTEGER NOT NULL,               -- ms since epoch
    reason    TEXT NOT NULL,
    banned_at INTEGER NOT NULL
  );`,
  },
];

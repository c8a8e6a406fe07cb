/**
 * Schema migrations, applied in order inside one transaction each. `PRAGMA user_version`
 * records how many have run. Never edit a released migration; append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: address book, bans, node metadata
  `
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
  );
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];

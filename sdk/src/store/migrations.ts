import type { Migration } from './store.js';

/**
 * The node's schema migrations, in the order they are applied (see Store.migrate): each runs
 * once, in one transaction, and is recorded by id in `schema_migrations`. `legacyUserVersion`
 * is the `PRAGMA user_version` from which a database made before ids were recorded already
 * has it. Never edit a released migration; append a new one with the next id of its owner.
 * Each owner's entries are meant to move to that capability's folder.
 */
export const MIGRATIONS: readonly Migration[] = [
  // address book, bans
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
  );
`,
  },
  // node metadata
  {
    id: 'meta/1',
    legacyUserVersion: 1,
    sql: `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  },
  // contracts, the outbox of pending contract broadcasts, per-peer sync cursors
  {
    id: 'contracts/1',
    legacyUserVersion: 2,
    sql: `
  CREATE TABLE contracts (
    address         TEXT PRIMARY KEY,
    record          TEXT NOT NULL,            -- the whole signed record, JSON
    name            TEXT NOT NULL,
    version_time    INTEGER NOT NULL,         -- hybrid logical clock of the current version
    version_counter INTEGER NOT NULL,
    version_node    TEXT NOT NULL,
    state_hash      TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    change_seq      INTEGER NOT NULL,         -- local change sequence: the sync cursor peers keep
    origin_peer     TEXT,                     -- node ID of the peer that brought it first; NULL if made here
    size_bytes      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX contracts_change_seq ON contracts(change_seq);
  CREATE INDEX contracts_origin_peer ON contracts(origin_peer);
  CREATE TABLE pending_contract_broadcasts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    peer_address     TEXT NOT NULL,           -- where the peer listens
    peer_node_id     TEXT,
    contract_address TEXT NOT NULL,
    contract_data    TEXT NOT NULL,           -- the signed record to deliver, JSON
    created_at       INTEGER NOT NULL,
    retry_count      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (peer_address, contract_address)
  );
  CREATE TABLE sync_cursors (
    peer_node_id TEXT PRIMARY KEY,
    epoch        TEXT NOT NULL,               -- the peer's store epoch the cursor belongs to
    cursor       INTEGER NOT NULL,            -- highest change_seq of the peer received
    synced_at    INTEGER NOT NULL
  );
  `,
  },
  // files shared from here, downloads in progress or done
  {
    id: 'transfer/1',
    legacyUserVersion: 3,
    sql: `
  CREATE TABLE shares (
    file_id  TEXT PRIMARY KEY,
    path     TEXT NOT NULL,                   -- absolute path of the shared file
    manifest TEXT NOT NULL,                   -- the signed manifest, JSON
    added_at INTEGER NOT NULL
  );
  CREATE TABLE downloads (
    id           TEXT PRIMARY KEY,
    file_id      TEXT NOT NULL,
    out_path     TEXT NOT NULL,               -- absolute path of the target file
    manifest     TEXT NOT NULL,
    verified     TEXT NOT NULL,               -- bitfield of verified pieces, base64 (BEP 3 bit order)
    status       TEXT NOT NULL,               -- downloading | complete | stopped
    created_at   INTEGER NOT NULL,
    completed_at INTEGER
  );
  CREATE INDEX downloads_file_id ON downloads(file_id);
  `,
  },
  // which peer the current version of a contract came from (not served back to it)
  {
    id: 'contracts/2',
    legacyUserVersion: 4,
    sql: `
  ALTER TABLE contracts ADD COLUMN source_peer TEXT;
  `,
  },
];

import type { Migration } from '../store/index.js';

/** The contracts capability's tables. Never edit a released migration; append a new one. */
export const CONTRACT_MIGRATIONS: readonly Migration[] = [
  // Was global migration 2: contracts, the outbox of pending contract broadcasts, per-peer sync cursors.
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
    peer_address     TEXT NOT NULL,           -- where the peer listens, or node:<nodeId>
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
  );`,
  },
  // Was global migration 4: which peer the current version came from (not served back to it).
  {
    id: 'contracts/2',
    legacyUserVersion: 4,
    sql: `ALTER TABLE contracts ADD COLUMN source_peer TEXT;`,
  },
  // Each source stored once by its hash (many deploys of one source are common); records keep
  // everything but the source. Sources are kept as JSON string literals, ready to splice.
  {
    id: 'contracts/3',
    sql: `
  CREATE TABLE contract_sources (
    source_hash TEXT PRIMARY KEY,            -- hex SHA-256 of the source
    source_json TEXT NOT NULL                -- the source as a JSON string literal
  );
  INSERT OR IGNORE INTO contract_sources (source_hash, source_json)
    SELECT json_extract(record, '$.sourceHash'), json_quote(json_extract(record, '$.source')) FROM contracts;
  UPDATE contracts SET record = json_remove(record, '$.source');
  ALTER TABLE contracts ADD COLUMN source_hash TEXT;
  UPDATE contracts SET source_hash = json_extract(record, '$.sourceHash');
  CREATE INDEX contracts_source_hash ON contracts(source_hash);`,
  },
];

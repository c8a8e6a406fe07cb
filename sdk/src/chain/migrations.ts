import type { Migration } from '../store/index.js';

/** The chain capability's tables. Never edit a released migration; append a new one. */
export const CHAIN_MIGRATIONS: readonly Migration[] = [
  {
    id: 'chain/1',
    sql: `
  CREATE TABLE chain_blocks (
    hash        TEXT PRIMARY KEY,            -- hex SHA-256 of the 184 header bytes
    height      INTEGER NOT NULL,
    prev        TEXT NOT NULL,
    block       TEXT NOT NULL,               -- the block's JSON as received
    work        TEXT NOT NULL,               -- cumulative work to here, 64 hex digits
    status      TEXT NOT NULL,               -- 'ok' (passed the checks it could) or 'invalid'
    reason      TEXT,                        -- the rule an invalid block broke
    from_peer   TEXT,                        -- node ID it came from; NULL if mined here
    seq         INTEGER NOT NULL             -- arrival order: first seen wins a tie
  );
  CREATE INDEX chain_blocks_prev ON chain_blocks(prev);
  CREATE INDEX chain_blocks_best ON chain_blocks(status, work);
  CREATE TABLE chain_main (
    height INTEGER PRIMARY KEY,
    hash   TEXT NOT NULL                     -- the main chain, genesis to tip
  );
  CREATE TABLE chain_accounts (
    id      TEXT PRIMARY KEY,                -- node ID
    balance INTEGER NOT NULL,
    nonce   INTEGER NOT NULL                 -- the next transaction's nonce
  );
  CREATE TABLE chain_undo (
    hash TEXT PRIMARY KEY,                   -- a main-chain block
    undo TEXT NOT NULL                       -- JSON [[id, balance, nonce] | [id, null, null]]: accounts before it
  );
  CREATE TABLE chain_txs (
    hash   TEXT PRIMARY KEY,                 -- transaction hash, main chain only
    block  TEXT NOT NULL,
    height INTEGER NOT NULL,
    idx    INTEGER NOT NULL
  );`,
  },
  {
    id: 'chain/2',
    sql: `
  CREATE TABLE chain_contracts (
    address     TEXT PRIMARY KEY,            -- the deploy transaction's hash
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    source_hash TEXT NOT NULL,               -- hex SHA-256 of the source's UTF-8 bytes
    functions   TEXT NOT NULL,               -- JSON array of its exported function names
    deployer    TEXT NOT NULL,               -- node ID
    height      INTEGER NOT NULL,            -- the block that deployed it
    state       TEXT NOT NULL,               -- JSON of its state at the head
    state_hash  TEXT NOT NULL                -- hex SHA-256 of the state's canonical JSON
  );
  ALTER TABLE chain_txs ADD COLUMN receipt TEXT;  -- JSON of the receipt (NULL: slice 1 rows, transfers)`,
  },
  {
    id: 'chain/3',
    sql: `
  CREATE TABLE chain_local_txs (
    hash  TEXT PRIMARY KEY,                  -- a transaction submitted through this node
    tx    TEXT NOT NULL,                     -- its JSON
    added INTEGER NOT NULL                   -- when (ms since the epoch)
  );`,
  },
];

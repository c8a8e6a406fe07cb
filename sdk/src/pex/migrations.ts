import type { Migration } from '../store/index.js';

/** Peer exchange's table. Never edit a released migration; append. */
export const PEX_MIGRATIONS: readonly Migration[] = [
  {
    id: 'pex/1',
    sql: `
  CREATE TABLE pex_heard (
    address    TEXT PRIMARY KEY,  -- "host:port" as an Addr entry gave it (normalised)
    node_id    TEXT NOT NULL,     -- the node ID the entry claims lives there
    last_seen  INTEGER NOT NULL,  -- the newest lastSeen heard for it (ms since epoch)
    heard_from TEXT NOT NULL,     -- node ID of the peer whose Addr gave that lastSeen
    heard_at   INTEGER NOT NULL   -- when that Addr arrived (ms since epoch)
  );`,
  },
];

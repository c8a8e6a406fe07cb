import type { Migration } from '../store/index.js';

/**
 * The shared table of pending broadcasts for outbox kinds other than contracts (which keep
 * `pending_contract_broadcasts`, created by the contracts capability).
 */
export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    id: 'outbox/1',
    sql: `
  CREATE TABLE pending_broadcasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,               -- what the payload is (chat, tx, ...)
    peer_address TEXT NOT NULL,               -- where the peer listens, or node:<nodeId>
    peer_node_id TEXT,
    key          TEXT NOT NULL,               -- what it is about; a newer payload supersedes
    payload      TEXT NOT NULL,               -- the message body to deliver, JSON
    created_at   INTEGER NOT NULL,
    retry_count  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, peer_address, key)
  );`,
  },
];

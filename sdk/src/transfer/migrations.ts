import type { Migration } from '../store/index.js';

/** The transfer capability's tables (was global migration 3). Never edit a released migration. */
export const TRANSFER_MIGRATIONS: readonly Migration[] = [
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
  CREATE INDEX downloads_file_id ON downloads(file_id);`,
  },
];

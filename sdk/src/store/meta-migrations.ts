import type { Migration } from './store.js';

/** The node's key-value metadata table (was part of global migration 1). */
export const META_MIGRATIONS: readonly Migration[] = [
  {
    id: 'meta/1',
    legacyUserVersion: 1,
    sql: `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );`,
  },
];

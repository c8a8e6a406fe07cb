import type { Migration, Store } from '../store/index.js';

/**
 * Apply the migrations not yet recorded in `schema_migrations`, in order, one transaction
 * each. A database from before per-capability migrations (PRAGMA user_version N, no record
 * table) has those with legacyUserVersion <= N marked as applied.
 * TODO(store): moves into Store.migrate with the write-ahead log.
 */
export function applyMigrations(store: Store, migrations: readonly Migration[]): void {
  const hasTable = store.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") !== undefined;
  if (!hasTable) {
    const legacy = Number(store.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0);
    store.transaction(() => {
      store.run('CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
      for (const m of migrations) {
        if (m.legacyUserVersion !== undefined && m.legacyUserVersion <= legacy) store.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
      }
    });
  }
  for (const m of migrations) {
    if (store.get('SELECT id FROM schema_migrations WHERE id = ?', [m.id])) continue;
    store.transaction(() => {
      store.run(m.sql);
      store.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
    });
  }
}

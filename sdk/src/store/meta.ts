import type { Store } from './store.js';

/** The `meta` table: small string settings of the node (first start time, ...). */
export class MetaRepository {
  constructor(private readonly store: Store) {}

  get(key: string): string | undefined {
    return this.store.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key])?.value;
  }

  set(key: string, value: string): void {
    this.store.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}

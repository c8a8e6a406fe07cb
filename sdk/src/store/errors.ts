import { PlexusError } from '../errors.js';

/** The database file exists but is not a readable SQLite database. It is left untouched. */
export class StoreCorruptError extends PlexusError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      'STORE_CORRUPT',
      `database ${path} is corrupt or unreadable (${reason}); it was not modified. ` +
        'Restore it from a backup or move it away to start with an empty store.',
      options,
    );
    this.path = path;
  }
}

/** The database was written by a newer Plexus whose schema this version does not know. */
export class StoreVersionError extends PlexusError {
  constructor(path: string, found: number, supported: number) {
    super('STORE_VERSION', `database ${path} has schema version ${found}; this Plexus supports up to ${supported}`);
  }
}

/** A SQL statement failed; the SQL is attached for diagnosis. */
export class StoreQueryError extends PlexusError {
  readonly sql: string;
  constructor(sql: string, cause: unknown) {
    super('STORE_QUERY', `query failed: ${(cause as Error)?.message ?? String(cause)} [${sql.trim().slice(0, 200)}]`, { cause });
    this.sql = sql;
  }
}

/** Saving the database to disk failed (disk full, permissions). The in-memory state is kept. */
export class StoreSaveError extends PlexusError {
  constructor(path: string, cause: unknown) {
    super('STORE_SAVE_FAILED', `saving ${path} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends PlexusError {
  constructor() {
    super('STORE_CLOSED', 'the store is closed');
  }
}

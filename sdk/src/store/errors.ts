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

/**
 * The database was written by a newer Plexus whose schema this version does not know: an
 * unknown `PRAGMA user_version`, or a recorded migration of an owner this code migrates that
 * is not in its list (see Store.migrate).
 */
export class StoreVersionError extends PlexusError {
  constructor(path: string, what: string) {
    super('STORE_VERSION', `database ${path} ${what}: it was written by a newer Plexus; upgrade Plexus to open it`);
  }
}

/**
 * The write-ahead log cannot be replayed safely: a record that fails its checksum is
 * followed by valid data (truncating there would drop acknowledged writes), the header is
 * unreadable, or a record does not replay. Neither the log nor the image was modified.
 */
export class StoreLogCorruptError extends PlexusError {
  readonly path: string;
  readonly offset: number;
  constructor(path: string, offset: number, reason: string, options?: { cause?: unknown }) {
    super(
      'STORE_LOG_CORRUPT',
      `write-ahead log ${path} is corrupt at byte ${offset} (${reason}) with data after it; nothing was modified. ` +
        'Keep a copy of the folder, then restore it from a backup, or move the log away to open the last checkpoint ' +
        '(the writes logged since then are lost).',
      options,
    );
    this.path = path;
    this.offset = offset;
  }
}

/**
 * The write-ahead log does not belong to the image beside it: its checkpoint number is newer
 * than the image's (the image was replaced by an older copy, or is missing). Replaying it
 * onto that image would build a wrong database, so nothing is replayed or modified.
 */
export class StoreLogMismatchError extends PlexusError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(
      'STORE_LOG_MISMATCH',
      `write-ahead log ${path} does not match its database (${reason}); nothing was modified. ` +
        'Put back the database file the log belongs to, or move the log away to open the image as it is.',
    );
    this.path = path;
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

/**
 * Store: the node's embedded SQLite database (sql.js, WebAssembly), one owner per node.
 *
 * Repositories (one per table) run synchronous SQL against the in-memory database; every
 * committed write is recorded (SQL + bound parameters) and a group commit appends them as
 * one checksummed record to the write-ahead log `DIR/node.db-wal`, then fsyncs it.
 * `store.durable()` awaits the append that covers all earlier writes, so its cost follows the
 * size of the change, not of the database. A checkpoint saves the image `DIR/node.db`
 * atomically (temp file, fsync, rename, fsync of the folder) in the background once the log
 * passes `checkpointBytes`, and at close. Open replays the log onto the image. Each owner
 * (capability) brings its tables through `store.migrate()`. Bulk data (file pieces) never
 * goes in here. Formats and crash rules: store.ts and wal.ts.
 */
export { Store, type Migration, type StoreInit, type StoreStats, type StoreWarning } from './store.js';
export {
  StoreClosedError,
  StoreCorruptError,
  StoreLogCorruptError,
  StoreLogMismatchError,
  StoreQueryError,
  StoreSaveError,
  StoreVersionError,
} from './errors.js';
export { CHECKPOINT_BYTES, DATABASE_FILE, GROUP_COMMIT_MS } from './constants.js';
export { writeFileAtomic } from './atomic-file.js';
export { locateSqlWasm } from './sqljs.js';
export { MetaRepository } from './meta.js';
export { META_MIGRATIONS } from './meta-migrations.js';

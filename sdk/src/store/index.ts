/**
 * Store: the node's embedded SQLite database (sql.js, WebAssembly), one owner per node.
 *
 * Repositories (one per table) run synchronous SQL against the in-memory database; every
 * write bumps a generation and schedules a group commit. A save exports the image and
 * replaces `DIR/node.db` atomically (temp file, fsync, rename, fsync of the folder), so a
 * crash leaves the previous or the next image, never a torn one. `store.durable()` awaits
 * the save that covers all earlier writes. Bulk data (file pieces) never goes in here.
 */
export { Store, type StoreInit, type StoreStats } from './store.js';
export { StoreClosedError, StoreCorruptError, StoreQueryError, StoreSaveError, StoreVersionError } from './errors.js';
export { DATABASE_FILE, GROUP_COMMIT_MS } from './constants.js';
export type { Migration } from './migrations.js';
export { writeFileAtomic } from './atomic-file.js';
export { locateSqlWasm } from './sqljs.js';
export { MetaRepository } from './meta.js';
export { META_MIGRATIONS } from './meta-migrations.js';

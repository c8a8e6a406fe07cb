/** Writes arriving within this window share one log record and one fsync (ms). */
export const GROUP_COMMIT_MS = 25;
/**
 * Log size that starts a background checkpoint (bytes). 16 MiB bounds the replay at open to
 * well under a second and, on a 40 MiB image, costs one image save per 16 MiB logged (about
 * 2.5 bytes of image written per byte logged), instead of one per group commit.
 */
export const CHECKPOINT_BYTES = 16 * 1024 * 1024;
/** The file name of the node database inside the data folder. */
export const DATABASE_FILE = 'node.db';
/** Suffix of the write-ahead log beside the image (`node.db-wal`). */
export const LOG_SUFFIX = '-wal';
/** Suffix of the log that takes new records while a checkpoint is written (`node.db-wal-next`). */
export const NEXT_LOG_SUFFIX = '-wal-next';
/** First 16 bytes of every SQLite 3 database file. */
export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/**
 * `PRAGMA user_version` of a database whose schema is tracked per migration id
 * (schema_migrations). Older Plexus versions (which know 1..4) refuse it with STORE_VERSION.
 */
export const ENGINE_USER_VERSION = 100;
/** Highest `PRAGMA user_version` written before migrations were tracked by id. */
export const LEGACY_USER_VERSION_MAX = 4;

/** Writes arriving within this window are saved together in one atomic save (ms). */
export const GROUP_COMMIT_MS = 25;
/** The file name of the node database inside the data folder. */
export const DATABASE_FILE = 'node.db';
/** First 16 bytes of every SQLite 3 database file. */
export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

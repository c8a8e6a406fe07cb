import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BindParams, Database, Statement } from 'sql.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import {
  CHECKPOINT_BYTES,
  ENGINE_USER_VERSION,
  GROUP_COMMIT_MS,
  LEGACY_USER_VERSION_MAX,
  LOG_SUFFIX,
  NEXT_LOG_SUFFIX,
  SQLITE_HEADER,
} from './constants.js';
import {
  StoreClosedError,
  StoreCorruptError,
  StoreLogCorruptError,
  StoreLogMismatchError,
  StoreQueryError,
  StoreSaveError,
  StoreVersionError,
} from './errors.js';
import { loadSqlJs } from './sqljs.js';
import { decodeRecord, encodeHeader, encodeRecord, LogFile, type LoggedStatement, type LogScan, normaliseParams, scanLog } from './wal.js';

/** A condition the store recovered from by itself, reported through `StoreInit.onWarning`. */
export interface StoreWarning {
  /** `STORE_LOG_TRUNCATED`: a torn last record of the log was cut off at open. */
  code: 'STORE_LOG_TRUNCATED';
  message: string;
}

export interface StoreInit {
  /** Writes within this window share one log record and one fsync (ms). Default GROUP_COMMIT_MS. */
  groupCommitMs?: number;
  /** Log size that starts a background checkpoint (bytes). Default CHECKPOINT_BYTES (16 MiB). */
  checkpointBytes?: number;
  /** Path of `sql-wasm.wasm`; found automatically by default. */
  wasmPath?: string;
  /** Called when a background log append or checkpoint fails (the data stays in memory and it is retried). */
  onSaveError?: (err: StoreSaveError) => void;
  /** Called for conditions recovered from, e.g. a torn log tail cut off at open. */
  onWarning?: (warning: StoreWarning) => void;
}

export interface StoreStats {
  /** Group commits made durable since open: log records appended, each followed by an fsync. */
  saves: number;
  /** Size of the last record appended, frame included (bytes). */
  lastSaveBytes: number;
  /** Duration of the last append: encode + write + fdatasync (ms). */
  lastSaveMs: number;
  /** Bytes of log not yet covered by a checkpoint (the current log, plus the previous one while a checkpoint is written). */
  logBytes: number;
  /** Records appended since open (same count as `saves`). */
  logRecords: number;
  /** Records replayed from the log at open. */
  replayedRecords: number;
  /** Checkpoints completed since open (image saved and log switched), the one at close included. */
  checkpoints: number;
  /** Size of the last checkpoint image (bytes). */
  lastCheckpointBytes: number;
  /** Duration of the last checkpoint: export + atomic image write + log switch (ms). */
  lastCheckpointMs: number;
}

/** One schema change of one owner (a capability), applied once by `Store.migrate`. */
export interface Migration {
  /** Unique, stable, `owner/number`, e.g. 'contracts/1'. */
  id: string;
  /** SQL run in one transaction; may hold several statements. Deterministic (see Store). */
  sql: string;
  /**
   * For a database made before migrations were recorded by id: the `PRAGMA user_version`
   * (1..4) from which it already has this migration, which is then recorded without running.
   */
  legacyUserVersion?: number;
}

type Row = Record<string, unknown>;
interface Waiter {
  generation: number;
  resolve: () => void;
  reject: (err: Error) => void;
}
/** A checkpoint whose image is exported but not yet installed (phase 2). */
interface PendingCheckpoint {
  number: number;
  image: Uint8Array;
  previous: LogFile;
  started: number;
}

/** Prepared statements kept per store (see #statement). */
const STATEMENT_CACHE_SIZE = 128;
const SAVE_RETRY_MS = 1000;
/** Engine tables, created at open, never logged themselves. */
const ENGINE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS store_engine (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER);
`;

/**
 * The one owner of the node's sql.js database, durable through a write-ahead log.
 *
 * Data flow: repositories call `run()` / `transaction()`, which execute synchronously on the
 * in-memory database and record the statement with its bound parameters (a `run()` outside
 * a transaction is its own commit; a transaction's statements are recorded at COMMIT, none
 * after a rollback). Writes within `groupCommitMs` are appended as ONE record to the log
 * `PATH-wal` followed by one fdatasync (group commit); `durable()` asks for that append on
 * the next turn and resolves after the fsync that covers every write made before the call.
 * The log's format is in wal.ts.
 *
 * Checkpoint: when the log passes `checkpointBytes`, a checkpoint starts in the background.
 * With checkpoint numbers C (in the image's `store_engine` table and in each log's header):
 *   1. create `PATH-wal-next` with header C+1 (temp file, fsync, rename, fsync the folder);
 *   2. synchronously: take the statements not yet logged, set the number to C+1 (unlogged)
 *      and export the image; append those statements to `PATH-wal` (they are in the image);
 *   3. later records go to `PATH-wal-next` while the image is saved atomically (temp,
 *      fsync, rename, fsync of the folder), then `PATH-wal-next` is renamed over `PATH-wal`.
 * `close()` flushes, saves an image numbered one higher than any log and removes the logs.
 *
 * Open: load the image (checkpoint I; 0 without the engine table); a file that is not a
 * valid SQLite database throws StoreCorruptError and is never overwritten. Then the logs:
 *   - `wal` at I: replayed (a crash at any point before step 3's image rename);
 *   - `wal` at I and `wal-next` at I+1: both replayed in that order (crash before the image
 *     rename), then an image numbered I+2 is saved and both logs are replaced by a new one;
 *   - `wal-next` at I: the image was renamed, the log switch was not: `wal` (< I) is
 *     stale; `wal-next` is replayed and renamed to `wal`;
 *   - a log below I is already in the image: removed without replay;
 *   - a log above that (or any log without an image): StoreLogMismatchError
 *     (STORE_LOG_MISMATCH), nothing modified.
 * So each record is replayed exactly once, in order. A torn tail (the last record incomplete
 * or failing its checksum, no valid record after it) is cut off and reported through
 * `onWarning` as STORE_LOG_TRUNCATED with the bytes dropped; a bad record followed by valid
 * data throws StoreLogCorruptError (STORE_LOG_CORRUPT) with its offset, nothing modified.
 *
 * Replay re-executes statements, so every logged write must be deterministic: no random(),
 * no datetime('now') / CURRENT_TIMESTAMP, no last_insert_rowid() in a write (bind the values
 * computed in JavaScript instead); writes go through `run()` only (never `get()`/`all()`),
 * one statement per call when parameters are bound, and no transaction control or VACUUM.
 *
 * Schema: `open()` creates only the engine tables (`store_engine`, `schema_migrations`);
 * each owner brings its tables through `migrate()`. `PRAGMA user_version` is 100
 * (ENGINE_USER_VERSION) in this format; 1..4 marks a database from before migration ids.
 */
export class Store {
  readonly path: string | null;
  readonly #db: Database;
  readonly #groupCommitMs: number;
  readonly #checkpointBytes: number;
  readonly #onSaveError?: (err: StoreSaveError) => void;
  #writeGeneration = 0;
  #durableGeneration = 0;
  /** Statements committed but not yet appended to a log, with the generation they reach. */
  #pending: LoggedStatement[] = [];
  /** Statements of the open transaction, or null outside one. */
  #txn: LoggedStatement[] | null = null;
  /** Depth of nested transaction() calls (savepoints inside the outer transaction). */
  #txnDepth = 0;
  /**
   * Prepared statements by SQL text, reused by run() (with parameters) and all(): sql.js
   * otherwise parses and plans the SQL on every call. Freed at close.
   */
  readonly #statements = new Map<string, Statement>();
  #waiters: Waiter[] = [];
  /** The scheduled flush, as the function that cancels it. */
  #flushTimer: (() => void) | undefined;
  #flushQueued = false;
  /** Appends and checkpoint starts run one at a time, in this chain (never rejects). */
  #queue: Promise<void> = Promise.resolve();
  #log: LogFile | null = null;
  /** Checkpoint number of the in-memory database (the next image will carry it). */
  #checkpoint = 0;
  #pendingCheckpoint: PendingCheckpoint | null = null;
  /** From the moment a checkpoint is queued until its image is installed (or it is given up). */
  #checkpointActive = false;
  /** The phase 2 attempt in flight, which close() waits for. */
  #installing: Promise<void> | null = null;
  #checkpointRetry: NodeJS.Timeout | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #stats: StoreStats = {
    saves: 0,
    lastSaveBytes: 0,
    lastSaveMs: 0,
    logBytes: 0,
    logRecords: 0,
    replayedRecords: 0,
    checkpoints: 0,
    lastCheckpointBytes: 0,
    lastCheckpointMs: 0,
  };

  private constructor(path: string | null, db: Database, init: StoreInit) {
    this.path = path;
    this.#db = db;
    this.#groupCommitMs = init.groupCommitMs ?? GROUP_COMMIT_MS;
    this.#checkpointBytes = init.checkpointBytes ?? CHECKPOINT_BYTES;
    this.#onSaveError = init.onSaveError;
    // Durability is the log's job; SQLite's own rollback journal only has to undo a
    // transaction, which memory does without copying pages through the wasm file system.
    db.exec('PRAGMA journal_mode = MEMORY');
  }

  /**
   * Open (or create) the database at `path` and replay its log; `null` keeps it in memory only.
   * Creates only the engine tables; call `migrate()` for the owners' tables.
   * @throws StoreCorruptError (STORE_CORRUPT) when the image is not a readable SQLite database.
   * @throws StoreLogCorruptError (STORE_LOG_CORRUPT) when the log is damaged before its end.
   * @throws StoreLogMismatchError (STORE_LOG_MISMATCH) when the log is newer than the image.
   * @throws StoreVersionError (STORE_VERSION) when its `user_version` is unknown (newer).
   */
  static async open(path: string | null, init: StoreInit = {}): Promise<Store> {
    const SQL = await loadSqlJs(init.wasmPath);
    if (path === null) {
      const store = new Store(null, new SQL.Database(), init);
      store.#db.exec(ENGINE_SCHEMA);
      store.#checkUserVersion();
      return store;
    }
    await removeStaleTemporaries(path);
    let image: Buffer | undefined;
    try {
      image = await fs.readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreCorruptError(path, String(err), { cause: err });
    }
    if (image !== undefined && (image.length < 100 || !image.subarray(0, 16).equals(SQLITE_HEADER))) {
      throw new StoreCorruptError(path, image.length === 0 ? 'the file is empty' : 'no SQLite header');
    }
    let db: Database;
    try {
      db = new SQL.Database(image);
      const check = db.exec('PRAGMA quick_check');
      const verdict = String(check[0]?.values[0]?.[0] ?? '');
      if (verdict !== 'ok') throw new Error(`quick_check: ${verdict}`);
    } catch (err) {
      throw new StoreCorruptError(path, (err as Error).message, { cause: err });
    }
    const store = new Store(path, db, init);
    try {
      await store.#recover(image !== undefined, init.onWarning);
    } catch (err) {
      await store.#log?.close();
      db.close();
      throw err;
    }
    return store;
  }

  /** Replay the logs onto the loaded image and open the log for appending (see the class doc). */
  async #recover(hadImage: boolean, onWarning: StoreInit['onWarning']): Promise<void> {
    const path = this.path!;
    const db = this.#db;
    const walPath = path + LOG_SUFFIX;
    const nextPath = path + NEXT_LOG_SUFFIX;
    const imageCheckpoint = hadImage ? readCheckpoint(db) : 0;
    db.exec(ENGINE_SCHEMA);
    this.#checkpoint = imageCheckpoint;
    const wal = await readLog(walPath);
    const next = await readLog(nextPath);

    // Decide everything before touching any file. A log whose header is unreadable cannot be
    // placed; damaged records matter only in a log that is replayed (a stale one just goes).
    for (const log of [wal, next]) {
      if (log?.scan.corrupt && log.scan.checkpoint < 0) throw new StoreLogCorruptError(log.path, log.scan.corrupt.offset, log.scan.corrupt.reason);
    }
    if (!hadImage && (wal || next)) {
      throw new StoreLogMismatchError((wal ?? next)!.path, `the database file ${basename(path)} is missing`);
    }
    const I = imageCheckpoint;
    const replay: ReadLog[] = [];
    const stale: ReadLog[] = [];
    let renameNext = false;
    let normalise = false;
    const ahead = (log: ReadLog, why = ''): StoreLogMismatchError =>
      new StoreLogMismatchError(log.path, `its checkpoint number is ${log.scan.checkpoint}, the image's ${I}${why}`);
    if (next && next.scan.checkpoint === I) {
      // The image of checkpoint I was installed, the log switch was not.
      if (wal && wal.scan.checkpoint >= I) throw ahead(wal);
      if (wal) stale.push(wal);
      replay.push(next);
      renameNext = true;
    } else if (next && next.scan.checkpoint === I + 1) {
      // The checkpoint's image never replaced the file: the old log, then the new one.
      if (!wal || wal.scan.checkpoint !== I) throw ahead(next, wal ? `, the other log's ${wal.scan.checkpoint}` : ' and the log it follows is missing');
      if (wal.scan.torn && next.scan.records.length > 0) {
        throw new StoreLogCorruptError(wal.path, wal.scan.torn.offset, `${wal.scan.torn.reason}, yet ${next.path} holds later records`);
      }
      replay.push(wal, next);
      normalise = true;
    } else {
      if (next && next.scan.checkpoint < I) stale.push(next);
      else if (next) throw ahead(next);
      if (wal && wal.scan.checkpoint === I) replay.push(wal);
      else if (wal && wal.scan.checkpoint < I) stale.push(wal);
      else if (wal) throw ahead(wal);
    }
    for (const log of replay) {
      if (log.scan.corrupt) throw new StoreLogCorruptError(log.path, log.scan.corrupt.offset, log.scan.corrupt.reason);
    }

    let replayed = 0;
    if (replay.some((l) => l.scan.records.length > 0)) {
      // Statements with parameters are prepared once per SQL text (a 4 KiB row update costs
      // about 0.3 ms prepared, 0.5 ms through db.run); those without may hold several.
      const prepared = new Map<string, Statement>();
      db.exec('BEGIN');
      try {
        for (const log of replay) {
          for (const { offset, payload } of log.scan.records) {
            try {
              for (const s of decodeRecord(payload)) {
                if (s.params === undefined) {
                  db.run(s.sql);
                  continue;
                }
                let stmt = prepared.get(s.sql);
                if (!stmt) prepared.set(s.sql, (stmt = db.prepare(s.sql)));
                stmt.run(s.params as BindParams);
              }
            } catch (err) {
              db.exec('ROLLBACK');
              throw new StoreLogCorruptError(log.path, offset, `the record does not replay: ${(err as Error).message}`, { cause: err });
            }
            replayed++;
          }
        }
      } finally {
        for (const stmt of prepared.values()) stmt.free();
      }
      db.exec('COMMIT');
    }
    this.#stats.replayedRecords = replayed;
    this.#checkUserVersion();

    // Now change files: cut torn tails, drop stale logs, put the log in place.
    for (const log of replay) {
      if (!log.scan.torn) continue;
      await fs.truncate(log.path, log.scan.validBytes);
      onWarning?.({
        code: 'STORE_LOG_TRUNCATED',
        message:
          `write-ahead log ${log.path}: dropped a torn last record of ${log.scan.torn.bytes} bytes at byte ${log.scan.torn.offset} ` +
          `(${log.scan.torn.reason}); it was never acknowledged as durable`,
      });
    }
    if (!hadImage) {
      this.#setCheckpoint(0);
      await writeFileAtomic(path, db.export());
    }
    if (normalise) {
      await this.#checkpointNow(Math.max(I, next!.scan.checkpoint) + 1);
      await this.#createLog(walPath);
      return;
    }
    for (const log of stale) await fs.rm(log.path, { force: true });
    if (renameNext) await fs.rename(nextPath, walPath);
    if (stale.length > 0 || renameNext) await fsyncDir(dirname(path));
    const current = replay[0];
    if (current) {
      this.#log = await LogFile.open(walPath, current.scan.checkpoint, current.scan.validBytes, current.scan.records.length);
    } else {
      await this.#createLog(walPath);
    }
  }

  /** Create an empty log at `path` for the current checkpoint number, atomically. */
  async #createLog(path: string): Promise<LogFile> {
    const header = encodeHeader(this.#checkpoint);
    await writeFileAtomic(path, header);
    this.#log = await LogFile.open(path, this.#checkpoint, header.length, 0);
    return this.#log;
  }

  #setCheckpoint(n: number): void {
    this.#db.run("INSERT INTO store_engine (key, value) VALUES ('checkpoint', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [n]);
    this.#checkpoint = n;
  }

  /** Check `PRAGMA user_version`, and convert a database from before migration ids (unlogged: it follows from the data). */
  #checkUserVersion(): void {
    const version = Number(this.#db.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0);
    if (version === ENGINE_USER_VERSION) return;
    if (version < 0 || (version > LEGACY_USER_VERSION_MAX && version !== ENGINE_USER_VERSION)) {
      this.#db.close();
      throw new StoreVersionError(this.path ?? ':memory:', `has schema version ${version} (this Plexus knows 1..${LEGACY_USER_VERSION_MAX} and ${ENGINE_USER_VERSION})`);
    }
    if (version > 0) this.#db.run("INSERT OR REPLACE INTO store_engine (key, value) VALUES ('legacy_user_version', ?)", [version]);
    this.#db.exec(`PRAGMA user_version = ${ENGINE_USER_VERSION}`);
  }

  /**
   * Apply, in the given order, each migration whose id is not recorded in `schema_migrations`
   * yet, each in one transaction with its record, and resolve once that is durable.
   * On a database from before migration ids (`user_version` N in 1..4), a migration with
   * `legacyUserVersion <= N` is recorded without running (on every call, so each owner may
   * migrate separately). A recorded id that is not in `migrations` but shares an owner
   * (the part before the last '/') with one that is means a newer Plexus migrated that
   * owner's tables: StoreVersionError. Recorded ids of other owners are left alone (a
   * capability that is not loaded).
   * @returns the ids applied or recorded by this call.
   * @throws StoreVersionError as above; StoreQueryError when a migration's SQL fails (rolled back, nothing recorded).
   */
  async migrate(migrations: readonly Migration[]): Promise<string[]> {
    this.#assertOpen();
    const known = new Set<string>();
    for (const m of migrations) {
      if (!m.id || known.has(m.id)) throw new TypeError(`migration id "${m.id}" is empty or repeated`);
      known.add(m.id);
    }
    const owners = new Set(migrations.map((m) => ownerOf(m.id)));
    const recorded = new Set(this.all<{ id: string }>('SELECT id FROM schema_migrations').map((r) => r.id));
    for (const id of recorded) {
      if (!known.has(id) && owners.has(ownerOf(id))) {
        throw new StoreVersionError(this.path ?? ':memory:', `has migration '${id}' that this Plexus does not know`);
      }
    }
    const legacy = Number(this.get<{ value: number }>("SELECT value FROM store_engine WHERE key = 'legacy_user_version'")?.value ?? 0);
    const done: string[] = [];
    for (const m of migrations) {
      if (recorded.has(m.id)) continue;
      this.transaction(() => {
        if (m.legacyUserVersion === undefined || m.legacyUserVersion > legacy) this.run(m.sql);
        this.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
      });
      done.push(m.id);
    }
    if (done.length > 0) await this.durable();
    return done;
  }

  /**
   * Run a statement that changes data, and record it for the log (see the class doc for
   * what must hold for replay). @throws StoreQueryError, with the SQL attached.
   */
  run(sql: string, params?: BindParams): void {
    this.#assertOpen();
    let logged: LoggedStatement | undefined;
    try {
      if (this.path !== null) logged = { sql, params: normaliseParams(params) };
      if (params === undefined) this.#db.run(sql);
      else {
        const stmt = this.#statement(sql);
        try {
          stmt.run(params);
        } finally {
          stmt.reset();
        }
      }
    } catch (err) {
      throw new StoreQueryError(sql, err);
    }
    if (logged === undefined) {
      if (this.#txn === null) this.#writeGeneration++;
      return;
    }
    if (this.#txn !== null) this.#txn.push(logged);
    else {
      this.#pending.push(logged);
      this.#markWritten();
    }
  }

  /** All rows of a query, as objects keyed by column name. Reads only (nothing is logged). */
  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    this.#assertOpen();
    let stmt: Statement | undefined;
    try {
      stmt = this.#statement(sql);
      if (params) stmt.bind(params);
      const rows: T[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject() as T);
      return rows;
    } catch (err) {
      throw new StoreQueryError(sql, err);
    } finally {
      stmt?.reset();
    }
  }

  /** The prepared statement of `sql`, from the cache (at most STATEMENT_CACHE_SIZE, oldest out). */
  #statement(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (stmt) return stmt;
    stmt = this.#db.prepare(sql);
    if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
      const [oldest, old] = this.#statements.entries().next().value!;
      old.free();
      this.#statements.delete(oldest);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  #freeStatements(): void {
    for (const stmt of this.#statements.values()) stmt.free();
    this.#statements.clear();
  }

  /** The first row of a query, or undefined. */
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  /**
   * Run `fn` in one SQL transaction; rolled back (and nothing logged) when it throws. Called
   * inside another transaction, it is a savepoint: its own writes are undone (and unlogged)
   * when it throws, and the outer transaction goes on.
   */
  transaction<T>(fn: () => T): T {
    this.#assertOpen();
    if (this.#txn !== null) {
      const name = `s${++this.#txnDepth}`;
      const mark = this.#txn.length;
      this.#db.exec(`SAVEPOINT ${name}`);
      try {
        const result = fn();
        this.#db.exec(`RELEASE ${name}`);
        return result;
      } catch (err) {
        this.#db.exec(`ROLLBACK TO ${name}`);
        this.#db.exec(`RELEASE ${name}`);
        if (this.#txn !== null) this.#txn.length = mark;
        throw err;
      } finally {
        this.#txnDepth--;
      }
    }
    this.#db.exec('BEGIN');
    this.#txn = [];
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      const statements = this.#txn;
      this.#txn = null;
      for (const s of statements) this.#pending.push(s);
      this.#markWritten();
      return result;
    } catch (err) {
      this.#txn = null;
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Resolves when every write made before this call is durable (its log record fsynced).
   * Rejects with StoreSaveError if that append fails, StoreClosedError if the store closes first.
   */
  durable(): Promise<void> {
    if (this.path === null || this.#durableGeneration >= this.#writeGeneration) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ generation: this.#writeGeneration, resolve, reject });
      this.#scheduleFlush(0);
    });
  }

  get stats(): StoreStats {
    const logBytes = (this.#log?.size ?? 0) + (this.#pendingCheckpoint?.previous.size ?? 0);
    return { ...this.#stats, logBytes };
  }

  /**
   * Flush what is pending, save a final checkpoint and remove the log, then close the
   * database. Safe to call twice. Rejects with StoreSaveError when the flush fails (what was
   * appended before stays in the log and is replayed at the next open).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#clearTimer();
      clearTimeout(this.#checkpointRetry);
      try {
        if (this.path !== null && this.#log) {
          await this.#installing;
          await this.#enqueue(() => this.#appendPending(true));
          await this.#enqueue(() => this.#closeCheckpoint());
        }
      } finally {
        this.#closed = true;
        await this.#log?.close();
        await this.#pendingCheckpoint?.previous.close();
        this.#freeStatements();
        this.#db.close();
        for (const w of this.#waiters.splice(0)) w.reject(new StoreClosedError());
      }
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  #markWritten(): void {
    this.#writeGeneration++;
    if (this.path !== null && !this.#closing) this.#scheduleFlush(this.#groupCommitMs);
  }

  #scheduleFlush(ms: number): void {
    if (this.#closing) return;
    if (this.#flushTimer) {
      if (ms > 0) return;
      this.#clearTimer();
    }
    const run = (): void => {
      this.#flushTimer = undefined;
      this.#requestFlush();
    };
    // Someone awaits durability: flush on the next turn, not after setTimeout's 1 ms minimum.
    if (ms > 0) {
      const timer = setTimeout(run, ms);
      this.#flushTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(run);
      this.#flushTimer = () => clearImmediate(immediate);
    }
  }

  #clearTimer(): void {
    this.#flushTimer?.();
    this.#flushTimer = undefined;
  }

  /** Queue one append of whatever is pending when it starts (at most one waits in the queue). */
  #requestFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    void this.#enqueue(() => {
      this.#flushQueued = false;
      return this.#appendPending(false);
    }).catch(() => undefined);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Append the pending statements as one record to the current log and fsync it; settle
   * the waiters it covers. On failure the statements go back in front of the pending ones,
   * the waiters get StoreSaveError, and (unless closing) a retry is scheduled.
   */
  async #appendPending(closing: boolean): Promise<void> {
    if (this.#pending.length === 0) {
      // Everything committed is appended already (queue order): nothing to write.
      this.#durableGeneration = this.#writeGeneration;
      this.#settle(this.#writeGeneration, null);
      return;
    }
    await this.#appendTo(this.#log!, this.#pending.splice(0), this.#writeGeneration, closing);
    if (!closing && !this.#checkpointActive && this.#log!.size >= this.#checkpointBytes) {
      this.#checkpointActive = true;
      void this.#enqueue(() => this.#beginCheckpoint());
    }
  }

  async #appendTo(log: LogFile, statements: LoggedStatement[], generation: number, closing: boolean): Promise<void> {
    const started = performance.now();
    try {
      const frame = encodeRecord(statements);
      await log.append(frame);
      this.#stats.saves++;
      this.#stats.logRecords++;
      this.#stats.lastSaveBytes = frame.byteLength;
      this.#stats.lastSaveMs = performance.now() - started;
    } catch (err) {
      this.#pending = statements.concat(this.#pending);
      const error = new StoreSaveError(log.path, err);
      this.#settle(generation, error);
      this.#onSaveError?.(error);
      if (!closing && !this.#closing) this.#scheduleFlush(SAVE_RETRY_MS);
      throw error;
    }
    this.#durableGeneration = Math.max(this.#durableGeneration, generation);
    this.#settle(generation, null);
  }

  /**
   * Phase 1 of a background checkpoint (in the queue, so no append runs meanwhile): new log
   * at C+1, export at the cut, the statements before the cut appended to the old log, then
   * records go to the new log. Phase 2 (installing the image) runs outside the queue.
   */
  async #beginCheckpoint(): Promise<void> {
    if (this.#closing || this.#pendingCheckpoint) return;
    const giveUp = (): void => {
      this.#checkpointActive = false;
    };
    const path = this.path!;
    const number = this.#checkpoint + 1;
    const started = performance.now();
    const nextPath = path + NEXT_LOG_SUFFIX;
    let next: LogFile;
    try {
      const header = encodeHeader(number);
      await writeFileAtomic(nextPath, header);
      next = await LogFile.open(nextPath, number, header.length, 0);
    } catch (err) {
      this.#onSaveError?.(new StoreSaveError(nextPath, err));
      giveUp();
      return;
    }
    // The cut: synchronous from here to export().
    const statements = this.#pending.splice(0);
    const generation = this.#writeGeneration;
    const previousNumber = this.#checkpoint;
    this.#setCheckpoint(number);
    const image = this.#db.export();
    const previous = this.#log!;
    if (statements.length > 0) {
      try {
        await this.#appendTo(previous, statements, generation, false);
      } catch {
        // Nothing went to the new log yet: undo the checkpoint as if it never began.
        this.#setCheckpoint(previousNumber);
        await next.close();
        await fs.rm(nextPath, { force: true });
        giveUp();
        return;
      }
    }
    this.#log = next;
    this.#pendingCheckpoint = { number, image, previous, started };
    void this.#installCheckpoint();
  }

  /** Phase 2: save the image atomically, then rename the new log over the old one. Retried on failure. */
  async #installCheckpoint(): Promise<void> {
    const pending = this.#pendingCheckpoint;
    if (!pending || this.#closing) return;
    const path = this.path!;
    const task = (async () => {
      await writeFileAtomic(path, pending.image);
      await fs.rename(path + NEXT_LOG_SUFFIX, path + LOG_SUFFIX);
      await fsyncDir(dirname(path));
    })();
    this.#installing = task.catch(() => undefined);
    try {
      await task;
    } catch (err) {
      this.#installing = null;
      this.#onSaveError?.(new StoreSaveError(path, err));
      if (!this.#closing) this.#checkpointRetry = setTimeout(() => void this.#installCheckpoint(), SAVE_RETRY_MS);
      return;
    }
    this.#installing = null;
    this.#checkpointActive = false;
    this.#log!.path = path + LOG_SUFFIX;
    this.#pendingCheckpoint = null;
    await pending.previous.close();
    this.#stats.checkpoints++;
    this.#stats.lastCheckpointBytes = pending.image.byteLength;
    this.#stats.lastCheckpointMs = performance.now() - pending.started;
  }

  /** At close: an image numbered above every log, then the logs removed. */
  async #closeCheckpoint(): Promise<void> {
    const pendingCheckpoint = this.#pendingCheckpoint;
    if (!pendingCheckpoint && this.#log!.records === 0) {
      // Nothing logged since the image: the log is empty and can simply go.
      await this.#log!.close();
      await fs.rm(this.#log!.path, { force: true });
      await fsyncDir(dirname(this.path!));
      return;
    }
    await this.#checkpointNow(this.#checkpoint + 1);
  }

  /** Save an image with checkpoint `number` (above every log's), then remove both logs. */
  async #checkpointNow(number: number): Promise<void> {
    const path = this.path!;
    const started = performance.now();
    this.#setCheckpoint(number);
    const image = this.#db.export();
    await writeFileAtomic(path, image).catch((err) => {
      throw new StoreSaveError(path, err);
    });
    await this.#log?.close();
    await this.#pendingCheckpoint?.previous.close();
    this.#log = null;
    this.#pendingCheckpoint = null;
    await fs.rm(path + LOG_SUFFIX, { force: true });
    await fs.rm(path + NEXT_LOG_SUFFIX, { force: true });
    await fsyncDir(dirname(path));
    this.#stats.checkpoints++;
    this.#stats.lastCheckpointBytes = image.byteLength;
    this.#stats.lastCheckpointMs = performance.now() - started;
  }

  #settle(generation: number, error: Error | null): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.generation > generation) keep.push(w);
      else if (error) w.reject(error);
      else w.resolve();
    }
    this.#waiters = keep;
  }
}

interface ReadLog {
  path: string;
  scan: LogScan;
}

async function readLog(path: string): Promise<ReadLog | undefined> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreLogCorruptError(path, 0, String(err), { cause: err });
  }
  return { path, scan: scanLog(buf) };
}

/** The checkpoint number recorded in a loaded image; 0 for an image from before the log. */
function readCheckpoint(db: Database): number {
  try {
    return Number(db.exec("SELECT value FROM store_engine WHERE key = 'checkpoint'")[0]?.values[0]?.[0] ?? 0);
  } catch {
    return 0; // no store_engine table
  }
}

function ownerOf(id: string): string {
  const slash = id.lastIndexOf('/');
  return slash === -1 ? id : id.slice(0, slash);
}

/** Remove temporaries a crash left behind (`.node.db.PID.tmp`, `.node.db-wal.PID.tmp`, ...). */
async function removeStaleTemporaries(path: string): Promise<void> {
  const base = basename(path);
  const prefixes = [`.${base}.`, `.${base}${LOG_SUFFIX}.`, `.${base}${NEXT_LOG_SUFFIX}.`];
  let names: string[];
  try {
    names = await fs.readdir(dirname(path));
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((n) => n.endsWith('.tmp') && prefixes.some((p) => n.startsWith(p)))
      .map((n) => fs.rm(join(dirname(path), n), { force: true })),
  );
}

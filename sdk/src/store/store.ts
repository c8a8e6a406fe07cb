import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { BindParams, Database } from 'sql.js';
import { writeFileAtomic } from './atomic-file.js';
import { GROUP_COMMIT_MS, SQLITE_HEADER } from './constants.js';
import { StoreClosedError, StoreCorruptError, StoreQueryError, StoreSaveError, StoreVersionError } from './errors.js';
import { MIGRATIONS } from './migrations.js';
import { loadSqlJs } from './sqljs.js';

export interface StoreInit {
  /** Writes within this window are coalesced into one save (ms). Default GROUP_COMMIT_MS. */
  groupCommitMs?: number;
  /** Path of `sql-wasm.wasm`; found automatically by default. */
  wasmPath?: string;
  /** Called when a background save fails (the data stays in memory and the save is retried). */
  onSaveError?: (err: StoreSaveError) => void;
}

export interface StoreStats {
  /** Completed saves since open. */
  saves: number;
  /** Size of the last saved image (bytes). */
  lastSaveBytes: number;
  /** Duration of the last save: export + write + fsync + rename (ms). */
  lastSaveMs: number;
}

type Row = Record<string, unknown>;
interface Waiter {
  generation: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SAVE_RETRY_MS = 1000;

/**
 * The one owner of the node's sql.js database.
 *
 * Data flow: repositories call `run()` / `transaction()` (synchronous, in memory) which bump
 * a write generation and schedule a save; writes arriving within `groupCommitMs` share one
 * save (group commit). A save exports the whole image and replaces the file atomically
 * (see writeFileAtomic). `durable()` resolves once every write made before the call is on
 * disk, which is how a caller that must not lose a write waits for it.
 *
 * A file that is not a valid SQLite database makes `open()` throw StoreCorruptError and is
 * never overwritten.
 */
export class Store {
  readonly path: string | null;
  readonly #db: Database;
  readonly #groupCommitMs: number;
  readonly #onSaveError?: (err: StoreSaveError) => void;
  #writeGeneration = 0;
  #savedGeneration = 0;
  #waiters: Waiter[] = [];
  /** The scheduled save, as the function that cancels it. */
  #saveTimer: (() => void) | undefined;
  #saving: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #stats: StoreStats = { saves: 0, lastSaveBytes: 0, lastSaveMs: 0 };

  private constructor(path: string | null, db: Database, init: StoreInit) {
    this.path = path;
    this.#db = db;
    this.#groupCommitMs = init.groupCommitMs ?? GROUP_COMMIT_MS;
    this.#onSaveError = init.onSaveError;
  }

  /**
   * Open (or create) the database at `path`; `null` keeps it in memory only.
   * @throws StoreCorruptError when the file is not a readable SQLite database.
   * @throws StoreVersionError when its schema is newer than this code.
   */
  static async open(path: string | null, init: StoreInit = {}): Promise<Store> {
    const SQL = await loadSqlJs(init.wasmPath);
    let image: Buffer | undefined;
    if (path !== null) {
      await removeStaleTemporaries(path);
      try {
        image = await fs.readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreCorruptError(path, String(err), { cause: err });
      }
      if (image !== undefined && (image.length < 100 || !image.subarray(0, 16).equals(SQLITE_HEADER))) {
        throw new StoreCorruptError(path, image.length === 0 ? 'the file is empty' : 'no SQLite header');
      }
    }
    let db: Database;
    try {
      db = new SQL.Database(image);
      const check = db.exec('PRAGMA quick_check');
      const verdict = String(check[0]?.values[0]?.[0] ?? '');
      if (verdict !== 'ok') throw new Error(`quick_check: ${verdict}`);
    } catch (err) {
      throw new StoreCorruptError(path ?? ':memory:', (err as Error).message, { cause: err });
    }
    const store = new Store(path, db, init);
    const version = Number(store.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0);
    if (version > MIGRATIONS.length) {
      db.close();
      throw new StoreVersionError(path ?? ':memory:', version, MIGRATIONS.length);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      store.transaction(() => {
        store.#db.exec(MIGRATIONS[v]!);
        store.#db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
    if (path !== null && (image === undefined || version < MIGRATIONS.length)) await store.durable();
    return store;
  }

  /** Run a statement that changes data. */
  run(sql: string, params?: BindParams): void {
    this.#assertOpen();
    try {
      this.#db.run(sql, params);
    } catch (err) {
      throw new StoreQueryError(sql, err);
    }
    this.#markWritten();
  }

  /** All rows of a query, as objects keyed by column name. */
  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    this.#assertOpen();
    let stmt;
    try {
      stmt = this.#db.prepare(sql);
      if (params) stmt.bind(params);
      const rows: T[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject() as T);
      return rows;
    } catch (err) {
      throw new StoreQueryError(sql, err);
    } finally {
      stmt?.free();
    }
  }

  /** The first row of a query, or undefined. */
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  /** Run `fn` in one SQL transaction; rolled back when it throws. */
  transaction<T>(fn: () => T): T {
    this.#assertOpen();
    this.#db.exec('BEGIN');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      this.#markWritten();
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Resolves when every write made before this call is saved durably (fsynced and renamed).
   * Rejects with StoreSaveError if that save fails.
   */
  durable(): Promise<void> {
    if (this.path === null || this.#savedGeneration >= this.#writeGeneration) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ generation: this.#writeGeneration, resolve, reject });
      this.#scheduleSave(0);
    });
  }

  get stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Save what is pending and close the database. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#clearTimer();
      await this.#saving?.catch(() => undefined);
      try {
        if (this.path !== null && this.#savedGeneration < this.#writeGeneration) await this.#save();
      } finally {
        this.#closed = true;
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
    if (this.path !== null && !this.#closing) this.#scheduleSave(this.#groupCommitMs);
  }

  #scheduleSave(ms: number): void {
    if (this.#closing) return;
    if (this.#saveTimer) {
      if (ms > 0) return;
      this.#clearTimer();
    }
    const run = (): void => {
      this.#saveTimer = undefined;
      void this.#save().catch(() => undefined);
    };
    // Someone awaits durability: save on the next turn, not after setTimeout's 1 ms minimum.
    if (ms > 0) {
      const timer = setTimeout(run, ms);
      this.#saveTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(run);
      this.#saveTimer = () => clearImmediate(immediate);
    }
  }

  #clearTimer(): void {
    this.#saveTimer?.();
    this.#saveTimer = undefined;
  }

  async #save(): Promise<void> {
    if (this.#saving) {
      // One save at a time; whatever it did not include is saved right after it.
      await this.#saving.catch(() => undefined);
      if (this.#savedGeneration >= this.#writeGeneration) return;
      return this.#save();
    }
    const generation = this.#writeGeneration;
    const started = performance.now();
    const image = this.#db.export();
    const path = this.path!;
    this.#saving = writeFileAtomic(path, image);
    try {
      await this.#saving;
      this.#savedGeneration = generation;
      this.#stats = { saves: this.#stats.saves + 1, lastSaveBytes: image.byteLength, lastSaveMs: performance.now() - started };
      this.#settle(generation, null);
    } catch (err) {
      const error = new StoreSaveError(path, err);
      this.#settle(generation, error);
      this.#onSaveError?.(error);
      this.#scheduleSave(SAVE_RETRY_MS);
      throw error;
    } finally {
      this.#saving = undefined;
    }
    if (this.#writeGeneration > this.#savedGeneration && this.#waiters.length > 0) this.#scheduleSave(0);
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

async function removeStaleTemporaries(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dirname(path));
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
      .map((n) => fs.rm(`${dirname(path)}/${n}`, { force: true })),
  );
}

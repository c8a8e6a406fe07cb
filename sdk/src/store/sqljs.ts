import { existsSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

/**
 * Where the sql.js WebAssembly binary is: an explicit path, next to the running bundle
 * (the build copies `sql-wasm.wasm` beside `sdk/dist/*.js` and `extension/dist/*.js`), or
 * inside the installed `sql.js` package when running from source.
 */
export function locateSqlWasm(explicit?: string): string {
  if (explicit) return explicit;
  const besideBundle = join(__dirname, 'sql-wasm.wasm');
  if (existsSync(besideBundle)) return besideBundle;
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

// Compiled WebAssembly is immutable, so one compilation per wasm file is shared by every
// store in the process (a cache, not shared mutable state).
const loaded = new Map<string, Promise<SqlJsStatic>>();

/** Load (once per wasm file) the sql.js module. */
export function loadSqlJs(wasmPath?: string): Promise<SqlJsStatic> {
  const path = locateSqlWasm(wasmPath);
  let promise = loaded.get(path);
  if (!promise) {
    promise = initSqlJs({ locateFile: () => path });
    promise.catch(() => loaded.delete(path));
    loaded.set(path, promise);
  }
  return promise;
}

/**
 * The data folder: its lock (DIR/node.lock) and run file (DIR/node.json). The node writes
 * them; the CLI and the API client read them through here.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PlexusError } from '../errors.js';

export const LOCK_FILE = 'node.lock';
export const RUN_FILE = 'node.json';

/** Another live process runs a node on this data folder. */
export class DataDirInUseError extends PlexusError {
  constructor(dir: string, pid: number) {
    super('DATA_DIR_IN_USE', `data folder ${dir} is in use by process ${pid}; stop that node or choose another --data-dir`);
  }
}

/** What a running node writes to DIR/node.json so that CLI verbs can reach its API. */
export interface RunInfo {
  /** False once the node stopped; the file stays so the next start can reuse its ports. */
  running: boolean;
  pid: number;
  nodeId: string;
  name: string | null;
  version: string;
  p2pAddress: string | null;
  /** "http://127.0.0.1:PORT" or null when the API is off. */
  apiUrl: string | null;
  startedAt: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take DIR/node.lock (holding our pid). A lock left by a dead process (SIGKILL) is taken
 * over. @throws DataDirInUseError when a live process holds it.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return async () => {
        await fs.rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) throw new DataDirInUseError(dir, pid);
      await fs.rm(path, { force: true });
    }
  }
  throw new DataDirInUseError(dir, NaN);
}

/** The pid of the live process holding DIR/node.lock, or null when none does (no lock, or its holder died). */
export async function lockHolder(dir: string): Promise<number | null> {
  const pid = Number((await fs.readFile(join(dir, LOCK_FILE), 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

/**
 * Write DIR/node.json atomically (a temporary file renamed over it), so that a reader in
 * another process (the CLI, the extension, a second window) never sees it half written.
 */
export async function writeRunInfo(dir: string, info: RunInfo): Promise<void> {
  const tmp = join(dir, `${RUN_FILE}.${process.pid}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, join(dir, RUN_FILE));
}

/**
 * The run file DIR/node.json, parsed (the one place that parses it), or null when there is
 * none or it is unreadable. `running` in the answer is false once that node stopped or its
 * process is gone.
 */
export async function readRunFile(dir: string): Promise<RunInfo | null> {
  try {
    const info = JSON.parse(await fs.readFile(join(dir, RUN_FILE), 'utf8')) as RunInfo;
    if (typeof info !== 'object' || info === null || typeof info.pid !== 'number') return null;
    return { ...info, running: info.running === true && alive(info.pid) };
  } catch {
    return null;
  }
}

/** The run file of a node on `dir`, or null if none is running there. */
export async function readRunInfo(dir: string): Promise<RunInfo | null> {
  const info = await readRunFile(dir);
  return info?.running ? info : null;
}

/** Mark the run file as stopped (kept so that the next start can reuse the same ports). */
export async function markStopped(dir: string): Promise<void> {
  const info = await readRunFile(dir);
  if (info) await writeRunInfo(dir, { ...info, running: false });
}

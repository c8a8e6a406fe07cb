import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replace `path` with `data` so that a crash at any instant leaves either the old or the
 * new content, never a mix: write a temporary file in the same folder, fsync it, rename it
 * over the target (atomic on POSIX), then fsync the folder so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** fsync a folder so that renames and removals in it are durable (ignored where refused). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Store, StoreCorruptError, StoreVersionError } from '../../src/store/index';
import { MIGRATIONS } from './migrations';
import { Resources } from '../helpers';

describe('store', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function open(path: string, groupCommitMs = 5): Promise<Store> {
    const store = await Store.open(path, { groupCommitMs });
    res.add(() => store.close());
    await store.migrate(MIGRATIONS);
    return store;
  }

  it('nests transactions as savepoints: an inner one that throws is undone and not logged, the outer one goes on', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const a = await open(path);
    a.transaction(() => {
      a.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['outer', '1']);
      assert.throws(() =>
        a.transaction(() => {
          a.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['inner', '1']);
          throw new Error('inner fails');
        }),
      );
      a.transaction(() => a.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['inner2', '1']));
    });
    const keys = (s: Store): string[] => s.all<{ key: string }>('SELECT key FROM meta ORDER BY key').map((r) => r.key);
    assert.deepEqual(keys(a), ['inner2', 'outer']);
    await a.durable();
    // A crash now: the copy of the image and the log replays to the same rows.
    const dir = res.tmpDir();
    for (const f of readdirSync(join(path, '..'))) if (f.startsWith('node.db')) writeFileSync(join(dir, f), readFileSync(join(path, '..', f)));
    const b = await open(join(dir, 'node.db'));
    assert.deepEqual(keys(b), ['inner2', 'outer']);
  });

  it('reuses prepared statements, also across a checkpoint', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const a = await Store.open(path, { groupCommitMs: 1, checkpointBytes: 4096 });
    res.add(() => a.close());
    await a.migrate(MIGRATIONS);
    for (let i = 0; i < 200; i++) {
      a.run('INSERT INTO meta (key, value) VALUES (?, ?)', [`k${i}`, 'x'.repeat(100)]);
      assert.equal(a.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [`k${i}`])!.value.length, 100);
      if (i % 20 === 0) await a.durable();
    }
    await a.durable();
    assert.ok(a.stats.checkpoints > 0, 'checkpoints happened between uses of the same statements');
    assert.equal(a.get<{ n: number }>('SELECT COUNT(*) AS n FROM meta WHERE key LIKE ?', ['k%'])!.n, 200);
  });

  it('creates the file with the schema and keeps data across reopen', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const a = await Store.open(path);
    assert.ok(existsSync(path), 'file created at open');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(path + '-wal').mode & 0o777, 0o600);
    await a.migrate(MIGRATIONS);
    a.run("INSERT INTO meta (key, value) VALUES ('k', 'v1')");
    await a.durable();
    await a.close();
    const b = await open(path);
    assert.equal(b.get<{ value: string }>("SELECT value FROM meta WHERE key = 'k'")?.value, 'v1');
    assert.equal(b.get<{ user_version: number }>('PRAGMA user_version')?.user_version, 100);
    assert.deepEqual(
      b.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY rowid').map((r) => r.id),
      MIGRATIONS.map((m) => m.id),
    );
  });

  it('coalesces writes within the window into fewer saves (group commit)', async () => {
    const store = await open(join(res.tmpDir(), 'node.db'), 50);
    const before = store.stats.saves;
    for (let i = 0; i < 200; i++) store.run('INSERT INTO meta (key, value) VALUES (?, ?)', [`k${i}`, 'v']);
    await store.durable();
    const saves = store.stats.saves - before;
    assert.ok(saves >= 1 && saves <= 2, `200 writes took ${saves} saves`);
  });

  it('durable() resolves only when the write is in the files on disk', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const store = await open(path, 10_000); // a window far longer than the test
    store.run("INSERT INTO meta (key, value) VALUES ('durable', 'yes')");
    await store.durable(); // must not wait for the window
    // Read the saved image and log independently of the live store.
    writeFileSync(path + '.check', readFileSync(path));
    writeFileSync(path + '.check-wal', readFileSync(path + '-wal'));
    const check = await Store.open(path + '.check');
    res.add(() => check.close());
    assert.equal(check.get<{ value: string }>("SELECT value FROM meta WHERE key = 'durable'")?.value, 'yes');
  });

  it('refuses a corrupt file with STORE_CORRUPT and leaves it byte for byte unchanged', async () => {
    const dir = res.tmpDir();
    const cases: Array<[string, Buffer]> = [
      ['garbage', Buffer.from('this is not a database at all '.repeat(20))],
      ['empty', Buffer.alloc(0)],
    ];
    // A valid header followed by garbage pages.
    const good = join(dir, 'good.db');
    const s = await Store.open(good);
    await s.migrate(MIGRATIONS);
    await s.close();
    const torn = readFileSync(good);
    torn.fill(0xab, 100);
    cases.push(['torn pages', torn]);
    for (const [label, bytes] of cases) {
      const path = join(dir, `${label.replace(' ', '-')}.db`);
      writeFileSync(path, bytes);
      await assert.rejects(Store.open(path), (err: unknown) => err instanceof StoreCorruptError && err.code === 'STORE_CORRUPT', label);
      assert.deepEqual(readFileSync(path), bytes, `${label} file must not be modified`);
    }
  });

  it('refuses a database from a newer schema with STORE_VERSION', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const s = await Store.open(path);
    s.run('PRAGMA user_version = 101');
    await s.close();
    await assert.rejects(Store.open(path), (err: unknown) => err instanceof StoreVersionError && err.code === 'STORE_VERSION');
  });

  it('rolls back a failed transaction and names the SQL in query errors', async () => {
    const store = await open(join(res.tmpDir(), 'node.db'));
    assert.throws(
      () =>
        store.transaction(() => {
          store.run("INSERT INTO meta (key, value) VALUES ('a', '1')");
          store.run('INSERT INTO no_such_table VALUES (1)');
        }),
      (err: Error & { code?: string; sql?: string }) => err.code === 'STORE_QUERY' && /no_such_table/.test(err.sql ?? ''),
    );
    assert.equal(store.get("SELECT * FROM meta WHERE key = 'a'"), undefined);
  });

  it('keeps the old file valid when the process is killed with SIGKILL during saves', async function () {
    this.timeout(60_000);
    const dir = res.tmpDir();
    const path = join(dir, 'node.db');
    const writer = resolve(__dirname, '../fixtures/store-writer.ts');
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      res.add(() => child.kill('SIGKILL'));
      let durableUpTo = 0;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (l) => (durableUpTo = Math.max(durableUpTo, Number(l))));
      // Let it save a varying number of times, then kill it at an arbitrary instant.
      await new Promise<void>((r) => {
        const target = 5 + round * 7;
        let seen = 0;
        lines.on('line', () => {
          if (++seen === target) r();
        });
      });
      await new Promise((r) => setTimeout(r, round * 3));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const store = await Store.open(path); // throws if the file were torn
      const max = store.get<{ m: number }>('SELECT MAX(n) AS m FROM t')?.m ?? 0;
      const count = store.get<{ c: number }>('SELECT COUNT(*) AS c FROM t')?.c ?? 0;
      await store.close();
      assert.ok(max >= durableUpTo, `round ${round}: rows up to ${durableUpTo} were reported durable, file has ${max}`);
      assert.equal(count, max, 'rows are a gap-free prefix');
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'stale temporaries are cleaned at open');
  });
});

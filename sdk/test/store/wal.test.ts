import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Migration, Store, StoreLogCorruptError, StoreLogMismatchError, StoreVersionError, type StoreWarning } from '../../src/store/index';
import { MIGRATIONS } from './migrations';
import { loadSqlJs } from '../../src/store/sqljs';
import { decodeRecord, encodeHeader, encodeRecord, type LoggedStatement, scanLog } from '../../src/store/wal';
import { Resources } from '../helpers';

const STORM = resolve(__dirname, '../fixtures/wal-storm.ts');

describe('store write-ahead log', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function open(path: string, warnings: StoreWarning[] = [], checkpointBytes?: number): Promise<Store> {
    const store = await Store.open(path, { groupCommitMs: 2, checkpointBytes, onWarning: (w) => warnings.push(w) });
    res.add(() => store.close());
    return store;
  }

  /** Copy the store's files as they are on disk now (what a crash would leave) into a new folder. */
  function crashCopy(path: string): string {
    const dir = res.tmpDir();
    for (const suffix of ['', '-wal', '-wal-next']) {
      if (existsSync(path + suffix)) copyFileSync(path + suffix, join(dir, 'node.db' + suffix));
    }
    return join(dir, 'node.db');
  }

  function ids(store: Store, table = 't'): string[] {
    return store.all<{ id: string }>(`SELECT id FROM ${table} ORDER BY rowid`).map((r) => r.id);
  }

  const log = (checkpoint: number, records: LoggedStatement[][]): Buffer =>
    Buffer.concat([encodeHeader(checkpoint), ...records.map((r) => encodeRecord(r))]);
  const insert = (id: string): LoggedStatement[] => [{ sql: 'INSERT INTO t (id) VALUES (?)', params: [id] }];
  const create: LoggedStatement[] = [{ sql: 'CREATE TABLE t (id TEXT NOT NULL)', params: undefined }];

  /** A folder holding an image with checkpoint 0 and no table t (a fresh store's), no log. */
  async function baseImage(): Promise<string> {
    const path = join(res.tmpDir(), 'node.db');
    const s = await Store.open(path);
    await s.close();
    assert.ok(!existsSync(path + '-wal'), 'close of an untouched store removes the empty log');
    return path;
  }

  it('encodes every bindable value losslessly and replays named, positional and multi-statement writes', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const store = await open(path);
    store.run('CREATE TABLE v (k TEXT, a, b); CREATE TABLE w (x)');
    const blob = new Uint8Array([0, 1, 2, 255, 128]);
    store.run('INSERT INTO v VALUES (?, ?, ?)', ['ints', 2 ** 31 - 1, -(2 ** 31)]);
    store.run('INSERT INTO v VALUES (?, ?, ?)', ['floats', 1.5, 2 ** 53 + 2]);
    store.run('INSERT INTO v VALUES (?, ?, ?)', ['blob', blob, null]);
    // sql.js binds bigint (as text) and booleans (as 0/1) though its types do not say so.
    store.run('INSERT INTO v VALUES (?, ?, ?)', ['big', 12345678901234567890n, 'ünïcødé ✓'] as never);
    store.run('INSERT INTO v VALUES (:k, :a, :b)', { ':k': 'named', ':a': true, ':b': 'x'.repeat(70_000) } as never);
    blob[0] = 99; // changed after run(): the logged copy must keep the value bound
    await store.durable();
    const before = store.all('SELECT * FROM v ORDER BY k');
    const copy = await open(crashCopy(path));
    assert.equal(copy.stats.replayedRecords, 1);
    assert.deepEqual(copy.all('SELECT * FROM v ORDER BY k'), before);
    assert.deepEqual(copy.get<{ a: Uint8Array }>("SELECT a FROM v WHERE k = 'blob'")?.a, new Uint8Array([0, 1, 2, 255, 128]));
    assert.deepEqual(copy.all('SELECT * FROM w'), []);
    // The SQL of repeated statements is written once per record.
    const [record] = scanLog(readFileSync(path + '-wal')).records;
    assert.equal(decodeRecord(record!.payload).length, 6);
  });

  it('keeps data across close and reopen; close checkpoints and removes the log', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const a = await open(path);
    await a.migrate(MIGRATIONS);
    a.run("INSERT INTO meta (key, value) VALUES ('k', 'v1')");
    await a.durable();
    assert.ok(statSync(path + '-wal').size > 24, 'the write is in the log');
    await a.close();
    assert.ok(!existsSync(path + '-wal'), 'log removed at close');
    assert.equal(a.stats.checkpoints, 1);
    const b = await open(path);
    assert.deepEqual(await b.migrate(MIGRATIONS), [], 'nothing to apply again');
    assert.equal(b.get<{ value: string }>("SELECT value FROM meta WHERE key = 'k'")?.value, 'v1');
    assert.equal(b.stats.replayedRecords, 0);
  });

  it('a transaction is one commit, a rolled-back one logs nothing, and durable writes share records', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const store = await open(path);
    store.run('CREATE TABLE t (id TEXT NOT NULL)');
    assert.throws(() =>
      store.transaction(() => {
        store.run("INSERT INTO t VALUES ('rolled back')");
        throw new Error('no');
      }),
    );
    store.transaction(() => {
      store.run("INSERT INTO t VALUES ('a')");
      store.run("INSERT INTO t VALUES ('b')");
    });
    const before = store.stats.saves;
    await Promise.all(Array.from({ length: 50 }, (_, i) => (store.run('INSERT INTO t VALUES (?)', [`c${i}`]), store.durable())));
    assert.ok(store.stats.saves - before <= 2, `50 durable writes took ${store.stats.saves - before} records`);
    const copy = await open(crashCopy(path));
    assert.deepEqual(ids(copy), ['a', 'b', ...Array.from({ length: 50 }, (_, i) => `c${i}`)]);
  });

  it('every write acknowledged by a SIGKILLed process is there after reopen', async function () {
    this.timeout(30_000);
    const path = join(res.tmpDir(), 'node.db');
    const { acked } = await storm(path, 'one', 1 << 30, 120);
    const store = await open(path);
    const found = new Set(ids(store, 'storm'));
    for (const id of acked) assert.ok(found.has(id), `acknowledged ${id} missing`);
  });

  /**
   * Run the storm child on `path`; kill it with SIGKILL `killAfterMs` after it is ready
   * (or let it run to `limit` writes). Resolves with the ids it printed as acknowledged.
   */
  async function storm(
    path: string,
    prefix: string,
    checkpointBytes: number,
    limit?: number,
    kill?: { afterAcks: number; thenMs: number },
  ): Promise<{ acked: string[] }> {
    const args = ['--require', 'tsx/cjs', STORM, path, String(checkpointBytes), prefix];
    if (limit !== undefined) args.push(String(limit));
    const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    res.add(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const acked: string[] = [];
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let acks = 0;
    const enough = new Promise<void>((r) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('acked ')) {
          acked.push(...line.slice(6).split(' '));
          if (++acks >= (kill?.afterAcks ?? 0)) r();
        }
      });
    });
    if (kill !== undefined) {
      await Promise.race([enough, exited]);
      await new Promise((r) => setTimeout(r, kill.thenMs));
      child.kill('SIGKILL');
    }
    const code = await exited;
    if (kill === undefined && code !== 0) throw new Error(`storm child exited ${code}: ${stderr}`);
    if (stderr.trim()) throw new Error(`storm child wrote to stderr: ${stderr}`);
    // Lines already read are counted; the stdout pipe is drained before 'exit' resolves the wait below.
    await new Promise((r) => setImmediate(r));
    return { acked };
  }

  it('SIGKILL storm: 20 kills during durable writes and checkpoints lose no acknowledged write and replay none twice', async function () {
    this.timeout(60_000);
    const path = join(res.tmpDir(), 'node.db');
    const everAcked: string[] = [];
    let checkpointsSeen = 0;
    for (let round = 0; round < 20; round++) {
      // Killed after a random number of acknowledgements plus a random delay: mid-append, mid-checkpoint, anywhere.
      const kill = { afterAcks: 1 + Math.floor(Math.random() * 80), thenMs: Math.floor(Math.random() * 40) };
      const { acked } = await storm(path, `r${round}`, 32 * 1024, undefined, kill);
      everAcked.push(...acked);
      // Check a copy of what the crash left, so the next child recovers from the same files.
      const warnings: StoreWarning[] = [];
      const copy = await Store.open(crashCopy(path), { onWarning: (w) => warnings.push(w) });
      try {
        const rows = ids(copy, 'storm');
        const found = new Set(rows);
        assert.equal(found.size, rows.length, `round ${round}: an id appears twice (double replay)`);
        for (const id of everAcked) assert.ok(found.has(id), `round ${round}: acknowledged ${id} missing`);
        assert.ok(!rows.some((id) => id.startsWith('rolledback-')), 'a rolled-back transaction survived');
        for (const w of warnings) assert.equal(w.code, 'STORE_LOG_TRUNCATED');
      } finally {
        await copy.close();
      }
      if (existsSync(path + '-wal')) checkpointsSeen += scanLog(readFileSync(path + '-wal')).checkpoint > 0 ? 1 : 0;
    }
    assert.ok(everAcked.length > 100, `only ${everAcked.length} writes acknowledged in 20 rounds`);
    assert.ok(checkpointsSeen > 0, 'no checkpoint happened during the storm');
    const store = await open(path);
    const rows = ids(store, 'storm');
    assert.equal(new Set(rows).size, rows.length);
  });

  it('cuts a torn last record, keeps what came before and warns STORE_LOG_TRUNCATED', async () => {
    for (const tear of ['mid-record', 'zero-filled', 'mid-header']) {
      const path = await baseImage();
      const full = log(0, [create, insert('a'), insert('b')]);
      const lastStart = full.length - encodeRecord(insert('b')).length;
      let torn: Buffer;
      if (tear === 'mid-record') torn = full.subarray(0, full.length - 3);
      else if (tear === 'mid-header') torn = full.subarray(0, lastStart + 5);
      else torn = Buffer.concat([full.subarray(0, lastStart), Buffer.alloc(full.length - lastStart)]);
      writeFileSync(path + '-wal', torn);
      const warnings: StoreWarning[] = [];
      const store = await open(path, warnings);
      assert.deepEqual(ids(store), ['a'], tear);
      assert.equal(warnings.length, 1, tear);
      assert.equal(warnings[0]!.code, 'STORE_LOG_TRUNCATED');
      assert.match(warnings[0]!.message, new RegExp(`${torn.length - lastStart} bytes`));
      assert.equal(statSync(path + '-wal').size, lastStart, 'the tail is cut off');
      store.run("INSERT INTO t VALUES ('c')");
      await store.durable();
      const again = await open(crashCopy(path));
      assert.deepEqual(ids(again), ['a', 'c'], `${tear}: writes after the cut replay`);
    }
  });

  it('refuses a log with a bad record in the middle (STORE_LOG_CORRUPT) and modifies nothing', async () => {
    for (const where of ['payload', 'length']) {
      const path = await baseImage();
      const bytes = log(0, [create, insert('a'), insert('b'), insert('c')]);
      const second = 24 + encodeRecord(create).length;
      bytes[where === 'payload' ? second + 12 : second + 1]! ^= 0x40;
      writeFileSync(path + '-wal', bytes);
      const image = readFileSync(path);
      await assert.rejects(
        Store.open(path),
        (err: unknown) => err instanceof StoreLogCorruptError && err.code === 'STORE_LOG_CORRUPT' && err.offset === second,
        where,
      );
      assert.deepEqual(readFileSync(path + '-wal'), bytes, 'log untouched');
      assert.deepEqual(readFileSync(path), image, 'image untouched');
      assert.deepEqual(readdirSync(join(path, '..')).sort(), ['node.db', 'node.db-wal']);
    }
  });

  it('refuses a log newer than its image (STORE_LOG_MISMATCH) and modifies nothing; drops a log older than it', async () => {
    const path = await baseImage();
    const image = readFileSync(path);
    const ahead = log(3, [create, insert('a')]);
    writeFileSync(path + '-wal', ahead);
    await assert.rejects(Store.open(path), (err: unknown) => err instanceof StoreLogMismatchError && err.code === 'STORE_LOG_MISMATCH');
    assert.deepEqual(readFileSync(path + '-wal'), ahead);
    assert.deepEqual(readFileSync(path), image);
    // Without its image at all.
    const dir = res.tmpDir();
    writeFileSync(join(dir, 'node.db-wal'), log(0, [create]));
    await assert.rejects(Store.open(join(dir, 'node.db')), (err: unknown) => (err as { code?: string }).code === 'STORE_LOG_MISMATCH');
    assert.ok(!existsSync(join(dir, 'node.db')), 'no image created');
  });

  it('a crash at each step of a checkpoint opens with all durable data, nothing twice', async () => {
    // Build the files of checkpoint 0 -> 1 by hand: image 0 (empty), image 1 (= image 0 + log 0),
    // log 0 (create, a, b), log 1 (c, d).
    const base = await baseImage();
    const image0 = readFileSync(base);
    const log0 = log(0, [create, insert('a'), insert('b')]);
    const log1 = log(1, [insert('c'), insert('d')]);
    writeFileSync(base + '-wal', log0);
    const s = await Store.open(base);
    await s.close(); // replays log 0 and saves image 1
    const image1 = readFileSync(base);
    const damaged = (bytes: Buffer): Buffer => {
      const copy = Buffer.from(bytes);
      copy[24 + 12]! ^= 0xff; // inside the first record, with records after it
      return copy;
    };
    const cases: Array<{ name: string; files: Record<string, Buffer>; expect: string[] }> = [
      { name: 'new log created, nothing in it yet', files: { 'node.db': image0, 'node.db-wal': log0, 'node.db-wal-next': encodeHeader(1) }, expect: ['a', 'b'] },
      { name: 'records in the new log, image not renamed', files: { 'node.db': image0, 'node.db-wal': log0, 'node.db-wal-next': log1 }, expect: ['a', 'b', 'c', 'd'] },
      {
        name: 'image temporary written, not renamed',
        files: { 'node.db': image0, 'node.db-wal': log0, 'node.db-wal-next': log1, '.node.db.4242.tmp': image1.subarray(0, 4096) },
        expect: ['a', 'b', 'c', 'd'],
      },
      { name: 'image renamed, log switch not done', files: { 'node.db': image1, 'node.db-wal': log0, 'node.db-wal-next': log1 }, expect: ['a', 'b', 'c', 'd'] },
      { name: 'log switched', files: { 'node.db': image1, 'node.db-wal': log1 }, expect: ['a', 'b', 'c', 'd'] },
      { name: 'close: image saved, logs not removed yet', files: { 'node.db': image1, 'node.db-wal': log0 }, expect: ['a', 'b'] },
      { name: 'a stale log, damaged: removed unread', files: { 'node.db': image1, 'node.db-wal': damaged(log0) }, expect: ['a', 'b'] },
    ];
    for (const c of cases) {
      const dir = res.tmpDir();
      for (const [name, bytes] of Object.entries(c.files)) writeFileSync(join(dir, name), bytes);
      const path = join(dir, 'node.db');
      const store = await open(path);
      assert.deepEqual(ids(store), c.expect, c.name);
      assert.deepEqual(readdirSync(dir).sort(), ['node.db', 'node.db-wal'], `${c.name}: files after open`);
      store.run("INSERT INTO t VALUES ('e')");
      await store.durable();
      const crashed = await open(crashCopy(path));
      assert.deepEqual(ids(crashed), [...c.expect, 'e'], `${c.name}: after a crash following open`);
      await store.close();
      const reopened = await open(path);
      assert.deepEqual(ids(reopened), [...c.expect, 'e'], `${c.name}: after close and reopen`);
    }
  });

  it('checkpoints in the background past checkpointBytes while writes go on', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const store = await open(path, [], 64 * 1024);
    store.run('CREATE TABLE t (id TEXT NOT NULL, pad TEXT)');
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 400; i++) {
      store.run('INSERT INTO t VALUES (?, ?)', [`i${i}`, pad]);
      if (i % 10 === 9) await store.durable();
    }
    await store.durable();
    for (let i = 0; i < 100 && store.stats.checkpoints < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(store.stats.checkpoints >= 2, `${store.stats.checkpoints} checkpoints`);
    assert.ok(store.stats.logBytes < 200 * 1024, `log ${store.stats.logBytes} bytes`);
    assert.ok(store.stats.lastCheckpointBytes > 64 * 1024 && store.stats.lastCheckpointMs > 0);
    const copy = await open(crashCopy(path));
    assert.equal(copy.get<{ n: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM t')?.n, 400);
    assert.equal(copy.get<{ d: number }>('SELECT COUNT(DISTINCT id) AS d FROM t')?.d, 400);
  });
});

describe('store migrations', () => {
  const res = new Resources();
  afterEach(() => res.release());

  const m = (id: string, sql: string, legacyUserVersion?: number): Migration => ({ id, sql, legacyUserVersion });

  it('applies each migration once, in order, and records it', async () => {
    const path = join(res.tmpDir(), 'node.db');
    const s = await Store.open(path);
    res.add(() => s.close());
    const list = [m('a/1', 'CREATE TABLE a (x)'), m('b/1', 'CREATE TABLE b (y)'), m('a/2', 'ALTER TABLE a ADD COLUMN z')];
    assert.deepEqual(await s.migrate(list), ['a/1', 'b/1', 'a/2']);
    assert.deepEqual(await s.migrate(list), []);
    assert.deepEqual(await s.migrate([m('c/1', 'CREATE TABLE c (w)')]), ['c/1'], 'owners migrate separately');
    // Migrations are logged like any write: a crash copy has them.
    const dir = res.tmpDir();
    copyFileSync(path, join(dir, 'node.db'));
    copyFileSync(path + '-wal', join(dir, 'node.db-wal'));
    const copy = await Store.open(join(dir, 'node.db'));
    res.add(() => copy.close());
    assert.deepEqual(await copy.migrate(list), []);
    copy.run('INSERT INTO a (x, z) VALUES (1, 2)');
  });

  it('rolls back a failing migration and records nothing of it', async () => {
    const s = await Store.open(join(res.tmpDir(), 'node.db'));
    res.add(() => s.close());
    await assert.rejects(s.migrate([m('a/1', 'CREATE TABLE a (x); CREATE TABLE nope (')]), (err: unknown) => (err as { code?: string }).code === 'STORE_QUERY');
    assert.deepEqual(s.all('SELECT id FROM schema_migrations'), []);
    assert.equal(s.get("SELECT name FROM sqlite_master WHERE name = 'a'"), undefined);
  });

  it('refuses a recorded migration of a known owner that this code does not know (STORE_VERSION); ignores other owners', async () => {
    const s = await Store.open(null);
    res.add(() => s.close());
    await s.migrate([m('a/1', 'CREATE TABLE a (x)'), m('a/2', 'CREATE TABLE a2 (x)'), m('other/1', 'CREATE TABLE o (x)')]);
    await assert.rejects(s.migrate([m('a/1', 'CREATE TABLE a (x)')]), (err: unknown) => err instanceof StoreVersionError && err.code === 'STORE_VERSION');
    assert.deepEqual(await s.migrate([m('b/1', 'CREATE TABLE b (x)')]), ['b/1']);
  });

  it('upgrades a database from before migration ids (user_version 1..4) without re-running its migrations', async () => {
    for (const legacy of [1, 2, 3, 4]) {
      // What the previous Store wrote: MIGRATIONS 1..N, user_version N, no engine tables.
      const path = join(res.tmpDir(), 'node.db');
      const SQL = await loadSqlJs();
      const raw = new SQL.Database();
      for (const x of MIGRATIONS) if (x.legacyUserVersion! <= legacy) raw.run(x.sql);
      raw.run("INSERT INTO meta (key, value) VALUES ('created_at', '1')");
      raw.run(`PRAGMA user_version = ${legacy}`);
      writeFileSync(path, raw.export());
      raw.close();
      const s = await Store.open(path);
      res.add(() => s.close());
      const applied = await s.migrate(MIGRATIONS);
      assert.deepEqual(applied, MIGRATIONS.map((x) => x.id), `legacy ${legacy}: every id recorded`);
      assert.equal(s.get<{ value: string }>("SELECT value FROM meta WHERE key = 'created_at'")?.value, '1', 'data kept');
      assert.ok(s.get("SELECT name FROM sqlite_master WHERE name = 'downloads'"), 'later migrations ran');
      assert.ok(s.get("SELECT 1 FROM pragma_table_info('contracts') WHERE name = 'source_peer'"));
      assert.equal(s.get<{ v: number }>('SELECT user_version AS v FROM pragma_user_version')?.v, 100);
      await s.close();
      const again = await Store.open(path);
      res.add(() => again.close());
      assert.deepEqual(await again.migrate(MIGRATIONS), []);
    }
  });
});

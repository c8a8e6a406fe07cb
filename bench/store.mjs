#!/usr/bin/env node
/**
 * Store benchmark: durable writes through the write-ahead log against the whole-image save it
 * replaced, on a fresh store and on a store of about 40 MiB, and the open time with a full log
 * to replay against an image-only open. Everything runs in this process on real files in
 * $TMPDIR/plexus-bench-store-*.
 *
 * 1. Durable writes/s: each write is one `INSERT OR REPLACE` of a --value-bytes row followed by
 *    `await store.durable()`, one at a time and with --inflight writers (group commit). The
 *    reference, measured in the same run on a copy of the same database, is the previous
 *    Store's save: sql.js `export()` of the whole image + atomic write (temp, fsync, rename,
 *    fsync of the folder), one save at a time, a save covering every write made before it
 *    started (the same group commit, minus the log).
 * 2. The same on a store of --rows rows of --row-bytes (10,000 x 4 KiB: what 10,000 contracts
 *    weigh, about 40 MiB), plus a row with a small checkpoint threshold so that background
 *    checkpoints (export + atomic write of the 40 MiB image) run during the writes.
 * 3. Open time of that image with a full log (--log-mib of records, the default checkpoint
 *    threshold) to replay, beside opening the image alone (both: read, sql.js load, quick_check).
 *
 * Usage: node bench/store.mjs [--rows N] [--row-bytes B] [--writes N] [--inflight K] [--value-bytes B] [--log-mib M]
 * Exit code: 0 when it ran (the targets are printed, not enforced), 1 on an error, 2 for bad options.
 */
import { mkdtempSync, promises as fs, readFileSync, rmSync, statSync, copyFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { Store } from '@plexus/sdk';
import { positiveInt, table, printMachine, readOptions, writeFileAtomic } from './lib/common.mjs';

const DEFAULTS = { rows: 10_000, rowBytes: 4096, writes: 400, inflight: 16, valueBytes: 2048, logMib: 16 };
const MIB = 1024 * 1024;

function usage() {
  return [
    'usage: node bench/store.mjs [options]',
    `  --rows N         rows of the large store (default ${DEFAULTS.rows})`,
    `  --row-bytes B    bytes per row of the large store (default ${DEFAULTS.rowBytes})`,
    `  --writes N       durable writes per WAL row (default ${DEFAULTS.writes}; x4 with --inflight; the whole-image reference does fewer on the large store)`,
    `  --inflight K     writers in flight in the concurrent rows (default ${DEFAULTS.inflight})`,
    `  --value-bytes B  bytes written per durable write (default ${DEFAULTS.valueBytes}, about one contract record)`,
    `  --log-mib M      log replayed in the open-time row (default ${DEFAULTS.logMib}, the default checkpoint threshold)`,
  ].join('\n');
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      'row-bytes': { type: 'string' },
      writes: { type: 'string' },
      inflight: { type: 'string' },
      'value-bytes': { type: 'string' },
      'log-mib': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const opt = (name, key) => (values[name] === undefined ? DEFAULTS[key] : positiveInt(name, values[name]));
  return {
    help: values.help,
    rows: opt('rows', 'rows'),
    rowBytes: opt('row-bytes', 'rowBytes'),
    writes: opt('writes', 'writes'),
    inflight: opt('inflight', 'inflight'),
    valueBytes: opt('value-bytes', 'valueBytes'),
    logMib: opt('log-mib', 'logMib'),
  };
}

const liveDirs = new Set();
function tempDir() {
  const dir = mkdtempSync(join(os.tmpdir(), 'plexus-bench-store-'));
  liveDirs.add(dir);
  return dir;
}
function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  liveDirs.delete(dir);
}


/**
 * The previous Store's durability on a sql.js database: `durable()` waits for the whole-image
 * save that started after the write; one save at a time; a save covers every write before it.
 */
class WholeImageSaver {
  generation = 0;
  saved = 0;
  saves = 0;
  #waiters = [];
  #saving = null;
  constructor(db, path) {
    this.db = db;
    this.path = path;
  }
  run(sql, params) {
    this.db.run(sql, params);
    this.generation++;
  }
  durable() {
    if (this.saved >= this.generation) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ generation: this.generation, resolve, reject });
      if (!this.#saving) setImmediate(() => this.#save());
    });
  }
  async #save() {
    if (this.#saving) return;
    const generation = this.generation;
    this.#saving = writeFileAtomic(this.path, this.db.export());
    try {
      await this.#saving;
    } finally {
      this.#saving = null;
    }
    this.saves++;
    this.saved = generation;
    this.#waiters = this.#waiters.filter((w) => (w.generation <= generation ? (w.resolve(), false) : true));
    if (this.#waiters.length > 0) void this.#save();
  }
}

/** `total` durable writes, `inflight` at a time; returns writes/s and how many records/saves they took. */
async function timeWrites(target, total, inflight, valueBytes, savesOf) {
  const value = 'v'.repeat(valueBytes);
  let next = 0;
  const savesBefore = savesOf();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      target.run('INSERT OR REPLACE INTO writes (k, v) VALUES (?, ?)', [i % 1000, value]);
      await target.durable();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inflight, total) }, worker));
  const ms = performance.now() - started;
  return { ops: total, ms, perSec: (total * 1000) / ms, saves: savesOf() - savesBefore };
}

const fmt = (n, d = 0) => n.toFixed(d);

async function writeRows(SQL, label, path, options, extra = []) {
  const { writes, inflight, valueBytes } = options;
  const results = {};
  // WAL: the store as the node opens it.
  const store = await Store.open(path);
  try {
    store.run('CREATE TABLE IF NOT EXISTS writes (k INTEGER PRIMARY KEY, v TEXT)');
    await store.durable();
    const saves = () => store.stats.saves;
    await timeWrites(store, 20, 1, valueBytes, saves); // warm-up: JIT, file cache
    results.walOne = await timeWrites(store, writes, 1, valueBytes, saves);
    results.walMany = await timeWrites(store, writes * 4, inflight, valueBytes, saves);
  } finally {
    await store.close();
  }
  for (const e of extra) results[e.key] = await e.run();
  // The whole-image reference on a copy of the same database.
  const bytes = statSync(path).size;
  const large = bytes > 8 * MIB;
  const copyDir = tempDir();
  const db = new SQL.Database(readFileSync(path));
  try {
    const saver = new WholeImageSaver(db, join(copyDir, 'node.db'));
    const saves = () => saver.saves;
    await timeWrites(saver, large ? 1 : 5, 1, valueBytes, saves); // warm-up
    results.oldOne = await timeWrites(saver, large ? Math.max(5, Math.round(writes / 40)) : Math.round(writes / 2), 1, valueBytes, saves);
    results.oldMany = await timeWrites(saver, large ? Math.max(inflight * 4, Math.round(writes / 4)) : writes * 2, inflight, valueBytes, saves);
  } finally {
    db.close();
    removeDir(copyDir);
  }
  return { label, bytes, ...results };
}

async function fillLarge(path, rows, rowBytes) {
  const store = await Store.open(path);
  try {
    store.run('CREATE TABLE IF NOT EXISTS big (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const body = 'c'.repeat(rowBytes - 200);
    for (let start = 0; start < rows; start += 500) {
      store.transaction(() => {
        for (let i = start; i < Math.min(rows, start + 500); i++) store.run('INSERT OR REPLACE INTO big (id, body) VALUES (?, ?)', [i, `${i}:${body}`]);
      });
      await store.durable();
    }
  } finally {
    await store.close(); // checkpoint: the image holds everything, no log
  }
}

/** Open time of `path`'s image alone and with `logMib` of log to replay (copies, so each open starts from the same files). */
async function openTimes(path, logMib, rowBytes) {
  const work = tempDir();
  const image = join(work, 'image', 'node.db');
  const withLog = join(work, 'log', 'node.db');
  await fs.mkdir(dirname(image));
  await fs.mkdir(dirname(withLog));
  copyFileSync(path, image);
  copyFileSync(path, withLog);
  // Fill the log: updates of big rows, 16 per durable record, never checkpointed.
  const writer = await Store.open(withLog, { checkpointBytes: 1024 * MIB });
  const body = 'u'.repeat(rowBytes - 200);
  let i = 0;
  while (writer.stats.logBytes < logMib * MIB) {
    for (let j = 0; j < 16; j++, i++) writer.run('UPDATE big SET body = ? WHERE id = ?', [`${i}:${body}`, i % 10_000]);
    await writer.durable();
  }
  const logBytes = writer.stats.logBytes;
  const records = writer.stats.logRecords;
  // Copy the files as a crash would leave them (the writer's close would checkpoint).
  const crashed = join(work, 'crashed');
  await fs.mkdir(crashed);
  copyFileSync(withLog, join(crashed, 'node.db'));
  copyFileSync(withLog + '-wal', join(crashed, 'node.db-wal'));
  await writer.close();
  const time = async (p) => {
    const started = performance.now();
    const s = await Store.open(p);
    const ms = performance.now() - started;
    const replayed = s.stats.replayedRecords;
    // Leave the files as they were: no checkpoint at close for the image-only store, and the
    // replayed one is reopened from a fresh copy each time.
    await s.close();
    return { ms, replayed };
  };
  const imageOnly = [];
  const replay = [];
  for (let run = 0; run < 3; run++) {
    imageOnly.push(await time(image));
    const again = join(work, `replay-${run}`);
    await fs.mkdir(again);
    copyFileSync(join(crashed, 'node.db'), join(again, 'node.db'));
    copyFileSync(join(crashed, 'node.db-wal'), join(again, 'node.db-wal'));
    replay.push(await time(join(again, 'node.db')));
  }
  removeDir(work);
  const median = (xs) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { imageMs: median(imageOnly), replayMs: median(replay), logBytes, records, replayed: replay[0].replayed, imageBytes: statSync(path).size };
}

async function run(options) {
  const SQL = await initSqlJs();
  const { inflight } = options;
  const fresh = tempDir();
  const big = tempDir();
  try {
    console.log('\n1. durable writes/s on a fresh store');
    const a = await writeRows(SQL, 'fresh store', join(fresh, 'node.db'), options);
    console.log(`\n2. filling the large store: ${options.rows} rows of ${options.rowBytes} B`);
    const bigPath = join(big, 'node.db');
    const t0 = performance.now();
    await fillLarge(bigPath, options.rows, options.rowBytes);
    console.log(`   ${fmt((performance.now() - t0) / 1000, 1)} s, image ${fmt(statSync(bigPath).size / MIB, 1)} MiB`);
    const b = await writeRows(SQL, `${fmt(statSync(bigPath).size / MIB, 0)} MiB store`, bigPath, options, [
      {
        key: 'walCheckpointing',
        run: async () => {
          // 16 in flight with a 1 MiB threshold: background checkpoints of the whole image during the writes.
          const store = await Store.open(bigPath, { checkpointBytes: MIB });
          try {
            const r = await timeWrites(store, options.writes * 4, inflight, options.valueBytes, () => store.stats.saves);
            return { ...r, checkpoints: store.stats.checkpoints, lastCheckpointMs: store.stats.lastCheckpointMs };
          } finally {
            await store.close();
          }
        },
      },
    ]);

    const rows = [];
    for (const r of [a, b]) {
      const ratioOld = (wal, old) => fmt(wal.perSec / old.perSec, 1);
      rows.push([r.label, 'WAL, 1 at a time', String(r.walOne.ops), fmt(r.walOne.perSec), fmt(r.walOne.ops / r.walOne.saves, 1), ratioOld(r.walOne, r.oldOne), r === b ? fmt(b.walOne.perSec / a.walOne.perSec, 2) : '1.00']);
      rows.push([r.label, `WAL, ${inflight} in flight`, String(r.walMany.ops), fmt(r.walMany.perSec), fmt(r.walMany.ops / r.walMany.saves, 1), ratioOld(r.walMany, r.oldMany), r === b ? fmt(b.walMany.perSec / a.walMany.perSec, 2) : '1.00']);
      if (r.walCheckpointing) {
        const c = r.walCheckpointing;
        rows.push([r.label, `WAL, ${inflight} in flight, checkpoint every 1 MiB`, String(c.ops), fmt(c.perSec), fmt(c.ops / c.saves, 1), ratioOld(c, r.oldMany), fmt(c.perSec / a.walMany.perSec, 2)]);
      }
      rows.push([r.label, 'whole-image save, 1 at a time', String(r.oldOne.ops), fmt(r.oldOne.perSec), fmt(r.oldOne.ops / r.oldOne.saves, 1), '1.0', r === b ? fmt(b.oldOne.perSec / a.oldOne.perSec, 2) : '1.00']);
      rows.push([r.label, `whole-image save, ${inflight} in flight`, String(r.oldMany.ops), fmt(r.oldMany.perSec), fmt(r.oldMany.ops / r.oldMany.saves, 1), '1.0', r === b ? fmt(b.oldMany.perSec / a.oldMany.perSec, 2) : '1.00']);
    }
    console.log(`\ndurable writes of ${options.valueBytes} B each (x image = rate / the whole-image save's in the same mode; x fresh = rate / the fresh store's)`);
    console.log(table(['store', 'mode', 'writes', 'writes/s', 'writes/fsync', 'x image', 'x fresh'], rows, 2));
    if (b.walCheckpointing) {
      console.log(`   checkpoints during the 1 MiB row: ${b.walCheckpointing.checkpoints}, the last ${fmt(b.walCheckpointing.lastCheckpointMs, 0)} ms (export + atomic write + log switch, in the background)`);
    }
    const ratio = b.walOne.perSec / a.walOne.perSec;
    const ratioMany = b.walMany.perSec / a.walMany.perSec;
    console.log(
      `targets: large/fresh >= 0.8 -> ${fmt(ratio, 2)} one at a time, ${fmt(ratioMany, 2)} in flight (${ratio >= 0.8 && ratioMany >= 0.8 ? 'met' : 'NOT met'}); ` +
        `>= 1000/s with ${inflight} in flight on the large store -> ${fmt(b.walMany.perSec)} (${b.walMany.perSec >= 1000 ? 'met' : 'NOT met'})`,
    );

    console.log(`\n3. open time of the ${fmt(statSync(bigPath).size / MIB, 0)} MiB image (median of 3)`);
    const o = await openTimes(bigPath, options.logMib, options.rowBytes);
    console.log(
      table(
        ['open', 'ms', 'x image only'],
        [
          ['image only (read, load, quick_check)', fmt(o.imageMs), '1.00'],
          [`image + ${fmt(o.logBytes / MIB, 1)} MiB log, ${o.replayed} records replayed`, fmt(o.replayMs), fmt(o.replayMs / o.imageMs, 2)],
        ],
      ),
    );
  } finally {
    removeDir(fresh);
    removeDir(big);
  }
}

function onInterrupt(signal) {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  process.stderr.write(`\n${signal}: temp folders removed\n`);
  process.exit(130);
}

const { options, code } = readOptions(parse, usage);
if (!options) process.exit(code);
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);
printMachine();
try {
  await run(options);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  printMachine();
}

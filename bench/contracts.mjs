#!/usr/bin/env node
/**
 * Contracts benchmark: durable call throughput, joining a network of many contracts, and the
 * incremental re-sync after one change. Every node runs in this process with a real data
 * folder (sql.js image on disk, saved with export + atomic write + fsync).
 *
 * 1. Calls: a fresh node deploys examples/contracts/counter.js and calls `increment` --calls
 *    times one at a time, then with --inflight calls in flight (each call resolves only once its
 *    write is durable, so concurrent calls share saves: group commit). References measured in
 *    the same run: `get` calls (a view: the sandbox alone, nothing saved) and raw sql.js saves
 *    (export + atomic write of a copy of the node's database, same size), so the reader sees
 *    where a call's time goes. The same rows are measured again on node A once it holds
 *    --contracts contracts, whose database is much larger.
 * 2. Node A deploys --contracts distinct contracts (counter.js and token.js alternately, each with
 *    its own nonce and init arguments) in Promise.all batches of --batch.
 * 3. A fresh node B (empty data folder) connects to A; the figure is the time from connect()
 *    to B's `contract:sync` event for A (bytes, pages, ms from the event), then to B's durable save.
 * 4. B stops (its sync cursor stays on disk), A makes one state-changing call, B restarts on
 *    the same folder and redials A; the figure is B's incremental `contract:sync` (full=false),
 *    next to the full sync's figures as ratios. A's outbox push of the same change and A's own
 *    sync of B are reported on their own lines.
 *
 * Usage: node bench/contracts.mjs [--contracts N] [--calls N] [--inflight K] [--batch B]
 * Exit code: 0 when every check passed (B holds every contract, the re-sync was incremental
 * and brought the change), 1 otherwise, 2 for bad arguments.
 */
import { createPublicKey, verify } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { Identity, PlexusNode, Store, verifySignature } from '@plexus/sdk';
import { positiveInt, table, printMachine, EventLog, readOptions, writeFileAtomic } from './lib/common.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COUNTER = readFileSync(join(ROOT, 'examples', 'contracts', 'counter.js'), 'utf8');
const TOKEN = readFileSync(join(ROOT, 'examples', 'contracts', 'token.js'), 'utf8');
const DB_FILE = 'node.db';

/** Contracts node A holds (--contracts). */
const DEFAULT_CONTRACTS = 10_000;
/** Calls per row on the fresh node (--calls); the large database gets a fifth of them. */
const DEFAULT_CALLS = 200;
/** Calls in flight in the concurrent rows (--inflight). */
const DEFAULT_INFLIGHT = 16;
/** Deploys started together with Promise.all while building A (--batch). */
const DEFAULT_BATCH = 250;
/** Longest wait for a sync or a delivery, per contract synced (ms), and at least MIN_WAIT_MS. */
const WAIT_MS_PER_CONTRACT = 20;
const MIN_WAIT_MS = 30_000;
/** After B's incremental sync, how long to wait for A's outbox push and A's own sync of B (ms). */
const SETTLE_TIMEOUT_MS = 30_000;
/** Signature verifications timed for the reference of the join (each way). */
const VERIFY_RUNS = 2_000;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo, before the raw 32-byte key. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Longest wait for the nodes to stop after Ctrl-C before the folders are removed anyway (ms). */
const INTERRUPT_GRACE_MS = 5_000;
/** Untimed calls of each kind before a node's call rows. */
const WARMUP_CALLS = 10;

const TMP_PREFIX = 'plexus-bench-contracts-';
/** Temp folders alive right now, so an interrupt can still remove them. */
const liveDirs = new Set();
const liveNodes = new Set();

function usage() {
  return `Usage: node bench/contracts.mjs [options]
  --contracts N   contracts node A holds and B joins to (default ${DEFAULT_CONTRACTS})
  --calls N       calls per row on the fresh node (default ${DEFAULT_CALLS}); on the node holding
                  N contracts a fifth of them (at least --inflight)
  --inflight K    calls in flight in the concurrent rows (default ${DEFAULT_INFLIGHT})
  --batch B       deploys started together while building A (default ${DEFAULT_BATCH})
  -h, --help      this text`;
}


function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      contracts: { type: 'string' },
      calls: { type: 'string' },
      inflight: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const opt = (name, fallback) => (values[name] === undefined ? fallback : positiveInt(name, values[name]));
  return {
    help: values.help,
    contracts: opt('contracts', DEFAULT_CONTRACTS),
    calls: opt('calls', DEFAULT_CALLS),
    inflight: opt('inflight', DEFAULT_INFLIGHT),
    batch: opt('batch', DEFAULT_BATCH),
  };
}

// --- helpers -------------------------------------------------------------------------------

function tempDir() {
  const dir = mkdtempSync(join(os.tmpdir(), TMP_PREFIX));
  liveDirs.add(dir);
  return dir;
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  liveDirs.delete(dir);
}

/** Create and start a node; `before` runs after construction, before start (to attach listeners). */
async function startNode(init, before) {
  const node = new PlexusNode({ p2pPort: 0, ...init });
  before?.(node);
  liveNodes.add(node);
  await node.start();
  return node;
}

async function stopNode(node) {
  await node.stop();
  liveNodes.delete(node);
}



/**
 * Raw sql.js durable saves: load a copy of `dbFile` (same size as the node's database), then
 * `count` times change one row, export the whole image and write it atomically, as the
 * Store does per save. Returns saves/s and the mean export and write+fsync times.
 */
async function rawSaves(SQL, dbFile, count) {
  const dir = tempDir();
  const db = new SQL.Database(readFileSync(dbFile));
  let exportMs = 0;
  let writeMs = 0;
  let bytes = 0;
  try {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench', ?)", [String(i)]);
      const t0 = performance.now();
      const image = db.export();
      const t1 = performance.now();
      await writeFileAtomic(join(dir, DB_FILE), image);
      exportMs += t1 - t0;
      writeMs += performance.now() - t1;
      bytes = image.byteLength;
    }
    const ms = performance.now() - started;
    return { ops: count, ms, perSec: (count * 1000) / ms, msPerOp: ms / count, exportMs: exportMs / count, writeMs: writeMs / count, bytes };
  } finally {
    db.close();
    removeDir(dir);
  }
}

/** `total` calls of `fn` on `address`, `inflight` at a time; returns calls/s and the saves they caused. */
async function timeCalls(node, address, fn, args, total, inflight) {
  const savesBefore = node.store.stats.saves;
  let next = 0;
  let changed = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const out = await node.contracts.call(address, fn, args);
      if (out.changed) changed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inflight, total) }, worker));
  const ms = performance.now() - started;
  const saves = node.store.stats.saves - savesBefore;
  return { ops: total, ms, perSec: (total * 1000) / ms, msPerOp: ms / total, saves, changed };
}

/**
 * The call rows for one node: increment one at a time and `inflight` at a time, get (view),
 * raw saves of a same-size copy of its database. Prints them and a breakdown of one
 * sequential increment.
 */
async function callRows(SQL, node, dataDir, address, { calls, rawCount, inflight, label }) {
  await node.store.durable();
  const imageDir = tempDir();
  const dbFile = await currentImage(dataDir, imageDir);
  const dbBytes = statSync(dbFile).size;
  // Warm up the JIT and the sandbox paths first, so the first row does not pay for them.
  await timeCalls(node, address, 'increment', [1], WARMUP_CALLS, 1);
  await timeCalls(node, address, 'get', [], WARMUP_CALLS, 1);
  const seq = await timeCalls(node, address, 'increment', [1], calls, 1);
  const par = await timeCalls(node, address, 'increment', [1], calls, inflight);
  const view = await timeCalls(node, address, 'get', [], calls, 1);
  const raw = await rawSaves(SQL, dbFile, rawCount);
  removeDir(imageDir);
  const rows = [
    [`increment, one at a time`, seq],
    [`increment, ${inflight} in flight`, par],
    [`get (view: sandbox only, no save)`, view],
  ].map(([what, r]) => [
    what,
    String(r.ops),
    fmt(r.perSec, 0),
    fmt(r.msPerOp, 2),
    String(r.saves),
    r.saves ? fmt(r.ops / r.saves, 1) : '-',
    fmt(r.perSec / view.perSec, 3),
    fmt(r.perSec / raw.perSec, 2),
  ]);
  rows.push([`raw sql.js save (export + atomic write)`, String(raw.ops), fmt(raw.perSec, 0), fmt(raw.msPerOp, 2), String(raw.ops), '-', fmt(raw.perSec / view.perSec, 3), '1.00']);
  console.log(`\n${label}: database ${fmtBytes(dbBytes)}`);
  console.log(
    indent(table(['what', 'ops', 'ops/s', 'ms/op', 'saves', 'ops/save', 'x view', 'x raw save'], rows)),
  );
  const other = seq.msPerOp - view.msPerOp - raw.msPerOp;
  const rest = other >= 0 ? `the rest ${fmt(other, 2)} ms (hash, sign, SQL put, outbox, scheduling)` : `the rest ~0 (${fmt(other, 2)} ms: the raw saves ran slower than the node's; fsync times vary)`;
  console.log(
    `  one increment ${fmt(seq.msPerOp, 2)} ms = sandbox (a get) ${fmt(view.msPerOp, 2)} ms + raw save ${fmt(raw.msPerOp, 2)} ms ` +
      `(export ${fmt(raw.exportMs, 2)} ms of ${fmtBytes(raw.bytes)}, write + fsync + rename ${fmt(raw.writeMs, 2)} ms) + ${rest}`,
  );
  console.log(
    `  ${inflight} in flight: ${fmt(par.ops / Math.max(1, par.saves), 1)} calls per save, ${fmt(par.perSec / seq.perSec, 2)}x the one-at-a-time rate; ` +
      `store saves since open ${node.store.stats.saves}, last save ${fmtBytes(node.store.stats.lastSaveBytes)} in ${fmt(node.store.stats.lastSaveMs, 1)} ms`,
  );
  return { dbBytes, seq, par, view, raw };
}

/**
 * Reference for the join: one Ed25519 verification of a payload of `bytes` (a record's size),
 * through the SDK's verifySignature (which imports the public key on every call, as
 * verifyRecord does) and through node:crypto with the key imported once. Mean µs of each.
 */
function verifyReference(bytes) {
  const identity = Identity.generate();
  const data = Buffer.alloc(bytes, 'x');
  const signature = identity.sign(data);
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(identity.publicKey, 'base64url')]), format: 'der', type: 'spki' });
  const sig = Buffer.from(signature, 'base64url');
  const time = (fn) => {
    for (let i = 0; i < VERIFY_RUNS / 10; i++) fn();
    const started = performance.now();
    for (let i = 0; i < VERIFY_RUNS; i++) if (!fn()) throw new Error('the reference signature does not verify');
    return ((performance.now() - started) * 1000) / VERIFY_RUNS;
  };
  return { sdkUs: time(() => verifySignature(identity.publicKey, data, signature)), cachedKeyUs: time(() => verify(null, data, key, sig)) };
}

/**
 * The node's database as of now, in a file of its own: its image lags behind its write-ahead
 * log, so the image and logs are copied into `dir` and opened and closed there as a Store
 * (replay, then the checkpoint of close). Returns the path of the copy.
 */
async function currentImage(dataDir, dir) {
  for (const suffix of ['', '-wal', '-wal-next']) {
    if (existsSync(join(dataDir, DB_FILE + suffix))) copyFileSync(join(dataDir, DB_FILE + suffix), join(dir, DB_FILE + suffix));
  }
  const store = await Store.open(join(dir, DB_FILE));
  await store.close();
  return join(dir, DB_FILE);
}

/** Page size, page count and contract rows of a database file (loaded into sql.js). */
function pageStats(SQL, dbFile) {
  const db = new SQL.Database(readFileSync(dbFile));
  try {
    const one = (sql) => Number(db.exec(sql)[0].values[0][0]);
    return { pageSize: one('PRAGMA page_size'), pages: one('PRAGMA page_count'), rows: one('SELECT COUNT(*) FROM contracts') };
  } finally {
    db.close();
  }
}

function fmt(n, digits = 1) {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function fmtBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}


function indent(text) {
  return text.replace(/^/gm, '  ');
}


/**
 * Ctrl-C / SIGTERM: stop every node (so nothing writes into the folders any more), remove every
 * temp folder, exit. Further signals during the cleanup are ignored; a cleanup that takes longer
 * than INTERRUPT_GRACE_MS removes the folders anyway.
 */
let interrupted = false;
function onInterrupt(signal) {
  if (interrupted) return;
  interrupted = true;
  const finish = () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    process.stderr.write(`\n${signal}: nodes stopped, temp folders removed\n`);
    process.exit(130);
  };
  setTimeout(finish, INTERRUPT_GRACE_MS).unref();
  void Promise.allSettled([...liveNodes].map((node) => node.stop())).then(finish);
}

// --- the benchmark ---------------------------------------------------------------------------

async function run(options, problems) {
  const SQL = await initSqlJs();
  const { contracts: n, calls, inflight, batch } = options;
  const waitMs = Math.max(MIN_WAIT_MS, n * WAIT_MS_PER_CONTRACT);

  // 1. Calls on a fresh node with one counter.
  console.log('\n1. calls with durable persistence: counter.increment resolves once its write is fsynced');
  console.log('   (x view = rate / the get rate; x raw save = rate / raw sql.js saves per second on a same-size copy)');
  const dirC = tempDir();
  const nodeC = await startNode({ dataDir: dirC, p2pPort: null });
  let fresh;
  try {
    const counter = await nodeC.contracts.deploy({ name: 'counter', source: COUNTER, args: [0] });
    fresh = await callRows(SQL, nodeC, dirC, counter.address, { calls, rawCount: calls, inflight, label: 'fresh node, 1 contract' });
  } finally {
    await stopNode(nodeC);
    removeDir(dirC);
  }

  // 2. Node A with n distinct contracts.
  console.log(`\n2. node A deploys ${n} distinct contracts (counter.js and token.js alternately, own nonce and init args), ${batch} deploys at a time`);
  const dirA = tempDir();
  const dirB = tempDir();
  const A = await startNode({ dataDir: dirA });
  const logA = new EventLog(A, ['contract:sync', 'outbox:delivered', 'outbox:dropped', 'peer:connect']);
  let B;
  try {
    const savesBefore = A.store.stats.saves;
    let recordBytes = 0;
    let firstCounter;
    const deployStarted = performance.now();
    for (let i = 0; i < n; i += batch) {
      const records = await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, (_, j) => {
          const k = i + j;
          return k % 2 === 0
            ? A.contracts.deploy({ name: `counter-${k}`, source: COUNTER, args: [k] })
            : A.contracts.deploy({ name: `token-${k}`, source: TOKEN, args: [`Token ${k}`, `T${k}`] });
        }),
      );
      firstCounter ??= records[0].address;
      for (const r of records) recordBytes += Buffer.byteLength(JSON.stringify(r));
    }
    const deployMs = performance.now() - deployStarted;
    await A.store.durable();
    const aImageDir = tempDir();
    const aImage = await currentImage(dirA, aImageDir);
    const aDbBytes = statSync(aImage).size;
    const deploySaves = A.store.stats.saves - savesBefore;
    console.log(
      `  ${n} deploys in ${fmt(deployMs / 1000, 2)} s: ${fmt((n * 1000) / deployMs, 0)} deploys/s, ${fmt(deployMs / n, 2)} ms each ` +
        `(${fmt(deployMs / n / fresh.view.msPerOp, 1)}x a get on the fresh node: a deploy runs the sandbox twice, exports + init), ` +
        `${deploySaves} saves (${fmt(n / Math.max(1, deploySaves), 0)} deploys per save)`,
    );
    const pages = pageStats(SQL, aImage);
    removeDir(aImageDir);
    console.log(
      `  A's database ${fmtBytes(aDbBytes)} = ${fmt(aDbBytes / recordBytes, 2)}x the records' JSON (${fmtBytes(recordBytes)}, ${fmt(recordBytes / n, 0)} B per contract): ` +
        `${pages.pages} pages of ${pages.pageSize} B for ${pages.rows} contract rows (${fmt(pages.pages / pages.rows, 2)} pages per row)`,
    );

    const bigCalls = Math.max(inflight, Math.ceil(calls / 5));
    const big = await callRows(SQL, A, dirA, firstCounter, {
      calls: bigCalls,
      rawCount: Math.max(1, Math.ceil(bigCalls / 2)),
      inflight,
      label: `node A, ${n} contracts`,
    });
    console.log(
      `  vs the fresh node: one-at-a-time increments ${fmt(big.seq.perSec / fresh.seq.perSec, 3)}x, ${inflight} in flight ${fmt(big.par.perSec / fresh.par.perSec, 3)}x, ` +
        `gets ${fmt(big.view.perSec / fresh.view.perSec, 3)}x, raw saves ${fmt(big.raw.perSec / fresh.raw.perSec, 3)}x (database ${fmt(big.dbBytes / fresh.dbBytes, 0)}x larger)`,
    );

    // 3. A fresh node B joins.
    console.log(`\n3. a fresh node B (empty data folder) connects to A and syncs ${n} contracts (nodes in one process: the time includes A serving the pages)`);
    let bNew = 0;
    let log1;
    B = await startNode({ dataDir: dirB }, (node) => {
      log1 = new EventLog(node, ['contract:sync', 'peer:connect']);
      node.on('contract:new', () => bNew++);
    });
    const bSavesBefore = B.store.stats.saves;
    const joinStarted = performance.now();
    await B.connect(A.p2pAddress);
    const connectedMs = performance.now() - joinStarted;
    const fullEntry = await log1.waitFor((e) => e.event === 'contract:sync' && e.payload.nodeId === A.nodeId, waitMs);
    if (!fullEntry) throw new Error(`B saw no contract:sync for A within ${waitMs} ms (it has ${bNew} contracts)`);
    const syncedMs = fullEntry.at - joinStarted;
    await B.store.durable();
    const durableMs = performance.now() - joinStarted;
    const full = fullEntry.payload;
    const bCount = B.contracts.list().length;
    const bSaves = B.store.stats.saves - bSavesBefore;
    if (bCount !== n) problems.push(`B holds ${bCount} contracts after the full sync, expected ${n}`);
    if (!full.full) problems.push('the first sync of B was not a full sync');
    console.log(
      `  connect ${fmt(connectedMs, 0)} ms; B holds ${bCount}/${n} contracts ${fmt(syncedMs / 1000, 2)} s after connect() ` +
        `(sync event ${fmt(full.ms / 1000, 2)} s), durable on disk at ${fmt(durableMs / 1000, 2)} s`,
    );
    console.log(
      `  ${full.pages} pages, ${full.received} received, ${full.applied} applied, ${fmtBytes(full.bytes)} in (${fmt(full.bytes / n, 0)} B per contract, ` +
        `${fmt(full.bytes / recordBytes, 3)}x the records' JSON), ${fmt((n * 1000) / full.ms, 0)} contracts/s, ${fmt(full.bytes / 1024 / 1024 / (full.ms / 1000), 2)} MiB/s`,
    );
    const ref = verifyReference(Math.round(recordBytes / n));
    const perContractUs = (full.ms * 1000) / n;
    console.log(
      `  per contract ${fmt(perContractUs, 0)} µs; reference: one Ed25519 verify of a ${fmt(recordBytes / n, 0)} B payload takes ${fmt(ref.sdkUs, 0)} µs through the SDK's ` +
        `verifySignature (key imported per call) and ${fmt(ref.cachedKeyUs, 0)} µs with the key imported once -> ${fmt(perContractUs / ref.sdkUs, 1)}x and ${fmt(perContractUs / ref.cachedKeyUs, 1)}x`,
    );
    console.log(
      `  vs building A: ${fmt(full.ms / deployMs, 3)}x A's deploy time; B saved ${bSaves} times during the join, database image ${fmtBytes(statSync(join(dirB, DB_FILE)).size)} + log ${fmtBytes(B.store.stats.logBytes)}`,
    );
    const aFirst = await logA.waitFor((e) => e.event === 'contract:sync' && e.payload.nodeId === B.nodeId, SETTLE_TIMEOUT_MS);
    if (aFirst) {
      console.log(`  A's own sync of B on this connection: full=${aFirst.payload.full}, ${aFirst.payload.received} records, ${fmtBytes(aFirst.payload.bytes)}, ${aFirst.payload.ms} ms`);
    }

    // 4. B restarts after one change on A.
    console.log(`\n4. B stops, A makes one state-changing call, B restarts on the same folder (its sync cursor is on disk) and redials A`);
    const bId = B.nodeId;
    await stopNode(B);
    B = undefined;
    log1.close();
    const aSyncsBefore = logA.entries.length;
    const change = await A.contracts.call(firstCounter, 'increment', [1]);
    if (!change.changed) problems.push('the increment on A did not change the state');
    const queued = A.outbox.list().filter((e) => e.peerNodeId === bId && e.key === firstCounter).length;
    const changedRecord = A.contracts.get(firstCounter);
    // What the sync reply and the outbox push of this one record are on the wire (see
    // ContractService#onGetContracts and #deliver); `re`, `id` and `cursor` are a few digits each.
    const recordJson = JSON.stringify(changedRecord);
    const replyBytes = Buffer.byteLength(
      `{"v":1,"type":"Contracts","re":1,"body":{"epoch":"${'0'.repeat(32)}","contracts":[${recordJson}],"cursor":${n + 1},"more":false}}`,
    );
    const pushBytes = Buffer.byteLength(`{"v":1,"type":"UpdateContract","id":1,"body":{"contract":${recordJson}}}`);
    let log2;
    const restartStarted = performance.now();
    B = await startNode({ dataDir: dirB }, (node) => (log2 = new EventLog(node, ['contract:sync', 'peer:connect', 'contract:update'])));
    const openMs = performance.now() - restartStarted;
    const connect2 = await log2.waitFor((e) => e.event === 'peer:connect' && e.payload.nodeId === A.nodeId, waitMs);
    const incEntry = await log2.waitFor((e) => e.event === 'contract:sync' && e.payload.nodeId === A.nodeId, waitMs);
    if (!connect2 || !incEntry) throw new Error(`B did not ${connect2 ? 'sync with' : 'reconnect to'} A within ${waitMs} ms of its restart`);
    const inc = incEntry.payload;
    const pushed = await logA.waitFor((e) => e.event === 'outbox:delivered' && e.payload.contractAddress === firstCounter, SETTLE_TIMEOUT_MS);
    const aSync = await logA.waitFor(
      (e) => e.event === 'contract:sync' && e.payload.nodeId === bId && logA.entries.indexOf(e) >= aSyncsBefore,
      SETTLE_TIMEOUT_MS,
    );
    await B.store.durable();
    const bRecord = B.contracts.get(firstCounter);
    if (inc.full) problems.push('the re-sync after the restart was a full sync, not incremental');
    if (bRecord.stateHash !== changedRecord.stateHash) problems.push("B does not hold A's changed state after the re-sync");
    const bUpdate = log2.entries.find((e) => e.event === 'contract:update' && e.payload.address === firstCounter);
    const link = B.peers().find((p) => p.nodeId === A.nodeId);
    console.log(
      `  restart (open the ${fmtBytes(statSync(join(dirB, DB_FILE)).size)} database, start) ${fmt(openMs, 0)} ms; connected to A ${fmt(connect2.at - restartStarted, 0)} ms after the restart began`,
    );
    const others = inc.bytes - replyBytes;
    console.log(`  B's incremental sync (full=${inc.full}): ${inc.pages} page(s), ${inc.received} received, ${inc.applied} applied, ${inc.ms} ms (event ${fmt(incEntry.at - connect2.at, 0)} ms after connect)`);
    console.log(
      `  bytes: the event counts everything that arrived while B's GetContracts request was out: ${inc.bytes} B = the Contracts reply (~${replyBytes} B, one record) ` +
        (others > 64 ? `+ ${others} B of other frames (A's outbox push of the same record is ~${pushBytes} B)` : '(nothing else arrived in that window)'),
    );
    console.log(
      `  vs the full sync: bytes ${fmt(inc.bytes / full.bytes, 6)}x as counted (${inc.bytes} / ${full.bytes}), ${fmt(replyBytes / full.bytes, 6)}x for the reply alone; ` +
        `time ${fmt(inc.ms / full.ms, 4)}x (${inc.ms} / ${full.ms} ms)`,
    );
    console.log(
      `  A's outbox push of the same change (not counted above): ${queued} row queued for B while it was away, ` +
        (pushed ? `acknowledged ${fmt(pushed.at - connect2.at, 0)} ms after the reconnect (attempts ${pushed.payload.attempts})` : `not acknowledged within ${SETTLE_TIMEOUT_MS} ms`) +
        `; B applied the change from ${inc.applied ? 'the sync' : bUpdate ? 'the push (the sync found it unchanged)' : 'neither'}`,
    );
    if (aSync) {
      const s = aSync.payload;
      console.log(
        `  A's sync of B on the reconnect (other direction, not counted above): full=${s.full}, ${s.pages} page(s), ${s.received} received, ${s.applied} applied, ${fmtBytes(s.bytes)}, ${s.ms} ms` +
          (s.received > 1 ? ` -> B sent back ${s.received} records it got from A (${fmt(s.bytes / full.bytes, 3)}x the full sync's bytes)` : ''),
      );
    } else {
      console.log(`  A's sync of B on the reconnect: no contract:sync within ${SETTLE_TIMEOUT_MS} ms`);
    }
    console.log(`  all bytes B received on this connection (handshake, pings, sync reply, push, A's GetContracts): ${link ? link.bytesIn : '-'} B`);
    log2.close();
  } finally {
    logA.close();
    if (B) await stopNode(B);
    await stopNode(A);
    removeDir(dirA);
    removeDir(dirB);
  }
}

async function main() {
  const parsed = readOptions(parseOptions, usage);
  if (parsed.code !== undefined) return parsed.code;
  const options = parsed.options;
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  console.log('contracts: durable call throughput, joining a network of many contracts, incremental re-sync');
  printMachine();
  console.log(`contracts ${options.contracts}, calls ${options.calls}, in flight ${options.inflight}, deploy batch ${options.batch}; product defaults otherwise (group commit 25 ms)`);
  const problems = [];
  const started = performance.now();
  try {
    await run(options, problems);
  } catch (err) {
    problems.push(err.stack ?? String(err));
  }
  // onInterrupt stops the nodes, removes the folders and exits; the run failing under it is no news.
  if (interrupted) return new Promise(() => undefined);
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  for (const p of problems) console.log(`FAILED: ${p}`);
  console.log(`\n${problems.length ? `${problems.length} problem(s)` : 'all checks passed'}; ${fmt((performance.now() - started) / 1000, 1)} s in all`);
  return problems.length ? 1 : 0;
}

process.exitCode = await main();

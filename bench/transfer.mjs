#!/usr/bin/env node
/**
 * Transfer benchmark: one file (--size, default 256 MiB of random bytes) fetched over loopback
 * from 1, 2 and 4 sources, three ways, in one run:
 *
 *   plexus   a fresh downloader node in this process (own data folder, so its store saves as a
 *            real node's does) dials N seeders, which are real `plexus node --json` child
 *            processes sharing the file, and fetches it with node.files.download(link); the time runs
 *            from fetch() to the `transfer:complete` event (which follows the file's fsync).
 *   raw TCP  the same bytes copied with node:net from N source processes
 *            (bench/lib/transfer-source.mjs tcp) in parallel, the file split into N ranges, each
 *            sent in 16 KiB writes and written to the output at its offset, then fsynced: the
 *            ceiling of the same work without any protocol.
 *   aria2c   `aria2c -x N -s N -k 1M --file-allocation=none` fetching the file from N local
 *            HTTP servers with Range support (bench/lib/transfer-source.mjs http), one per
 *            process; the time runs from its spawn to its exit, plus an fsync of the file.
 *
 * Every downloaded file's SHA-256 is compared with the original's. Rates are medians over
 * --runs runs and printed beside each other as ratios; CPU time per MiB (receiver and sources,
 * from /proc) is printed too, since on a small machine the three compete for the same cores.
 *
 * Direction: the same fetch from 1 seeder that dialed the downloader (`plexus node --peer`), so
 * the blocks travel client -> server on the WebSocket and ws masks and unmasks every one (in JS
 * unless bufferutil is installed); printed beside the 1-source median above.
 *
 * Then, separately, recovery: a fresh downloader fetches from the largest number of seeders,
 * and when --kill-at of the file is verified the seeder with the most blocks in flight is
 * SIGKILLed. Reported: kill -> peer:disconnect on the downloader, the downloader's
 * `transfer:recovered` event (rerequestMs: until every block the dead seeder held was asked of
 * another; recoveryMs: until all of them arrived; both counted from the disconnect), and the
 * completion with a correct SHA-256.
 *
 * --profile DIR instead runs one Plexus fetch with both sides as `plexus node` children under
 * `node --cpu-prof` and prints where their time went during the transfer (see bench/README.md).
 *
 * Usage: node bench/transfer.mjs [--size MIB] [--runs N] [--sources 1,2,4] [--kill-at F] [--no-direction]
 *        [--no-recovery] [--profile DIR]
 * Exit code: 0 when every download completed with the right SHA-256 (and the recovery was
 * observed), 1 otherwise, 2 for bad arguments. A missing aria2c is reported, not a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PlexusNode } from '@plexus/sdk';
import { formatSummary, summarizeProfile } from './lib/cpuprofile.mjs';
import { positiveInt, table, printMachine, EventLog, readOptions } from './lib/common.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const CLI = join(BENCH_DIR, '..', 'sdk', 'bin', 'plexus.js');
const SOURCE = join(BENCH_DIR, 'lib', 'transfer-source.mjs');

const MIB = 1024 * 1024;
/** File size (--size, MiB); the issue asks for at least this much. */
const DEFAULT_SIZE_MIB = 256;
const MIN_SIZE_MIB = 256;
/** Runs per method and number of sources (--runs); the table shows the median. */
const DEFAULT_RUNS = 3;
/** Numbers of sources (--sources). */
const DEFAULT_SOURCES = [1, 2, 4];
/** Fraction of the file verified when the seeder is killed (--kill-at). */
const DEFAULT_KILL_AT = 0.4;
/** Block size of the Plexus protocol and of the raw TCP writes. */
const BLOCK = 16 * 1024;
/** Longest wait for a child to print its first line (node:start or its port), ms. */
const START_TIMEOUT_MS = 20_000;
/** Longest wait for one download: this much plus the size at 2 MiB/s (ms). */
const TRANSFER_TIMEOUT_BASE_MS = 30_000;
const TRANSFER_TIMEOUT_MS_PER_MIB = 500;
/** A child asked to stop (SIGTERM, or stdin closed) that has not exited after this is SIGKILLed. */
const STOP_GRACE_MS = 5_000;
/** Lines of a child's stderr kept for error messages. */
const STDERR_TAIL_LINES = 20;
/** Sampling period of the event-loop delay monitor during the recovery (ms). */
const LOOP_DELAY_RESOLUTION_MS = 2;
const TMP_PREFIX = 'plexus-bench-transfer-';
const FILE_NAME = 'payload.bin';

/** Children, temp folders and in-process nodes alive now, so an interrupt can still clean up. */
const live = { children: new Set(), dirs: new Set(), nodes: new Set() };

function usage() {
  return `Usage: node bench/transfer.mjs [options]
  --size MIB        size of the file, MiB (default ${DEFAULT_SIZE_MIB}; also 512MiB, 1GiB)
  --runs N          runs per method and number of sources; the table shows medians (default ${DEFAULT_RUNS})
  --sources LIST    numbers of sources, comma-separated (default ${DEFAULT_SOURCES.join(',')})
  --kill-at F       recovery: SIGKILL a seeder once this fraction of the file is verified (default ${DEFAULT_KILL_AT})
  --no-direction    skip the fetch from a seeder that dialed the downloader (the masked direction)
  --no-recovery     skip the recovery measurement
  --profile DIR     only profile: one Plexus fetch from the first LIST entry of seeders, downloader and
                    seeders as \`plexus node\` children under node --cpu-prof (profiles kept in DIR),
                    and print where each process spent the transfer
  -h, --help        this text
aria2c is optional: without it the aria2c column is empty (install: apt-get install aria2, brew install aria2).`;
}


function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(MiB|M|GiB|G)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size expects MiB (e.g. 256, 512MiB, 1GiB), got "${text}"`);
  const mib = Number(m[1]) * (/^g/i.test(m[2] ?? '') ? 1024 : 1);
  const bytes = Math.round(mib * MIB);
  if (bytes < MIB) throw new Error(`--size must be at least 1 MiB, got "${text}"`);
  return bytes;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string' },
      runs: { type: 'string' },
      sources: { type: 'string' },
      'kill-at': { type: 'string' },
      'no-recovery': { type: 'boolean', default: false },
      'no-direction': { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const sources = values.sources === undefined ? DEFAULT_SOURCES : values.sources.split(',').map((s) => positiveInt('sources', s.trim()));
  if (sources.some((n) => n > 16)) throw new Error('--sources: at most 16 sources (aria2c -x allows 16)');
  const killAt = values['kill-at'] === undefined ? DEFAULT_KILL_AT : Number(values['kill-at']);
  if (!(killAt > 0 && killAt < 1)) throw new Error(`--kill-at expects a fraction between 0 and 1, got "${values['kill-at']}"`);
  return {
    help: values.help,
    size: values.size === undefined ? DEFAULT_SIZE_MIB * MIB : parseSize(values.size),
    runs: values.runs === undefined ? DEFAULT_RUNS : positiveInt('runs', values.runs),
    sources: [...new Set(sources)].sort((a, b) => a - b),
    killAt,
    recovery: !values['no-recovery'],
    direction: !values['no-direction'],
    profile: values.profile === undefined ? null : resolve(values.profile),
  };
}

// --- helpers -------------------------------------------------------------------------------

function fmt(n, digits = 1) {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function fmtBytes(n) {
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}



function tempDir(root, prefix) {
  const dir = mkdtempSync(join(root ?? os.tmpdir(), prefix));
  live.dirs.add(dir);
  return dir;
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  live.dirs.delete(dir);
}

async function sha256File(path) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: MIB }), hash);
  return hash.digest('hex');
}

/** Write `size` random bytes to `path`; returns their SHA-256. */
async function writeRandomFile(path, size) {
  const handle = await fs.open(path, 'w');
  const hash = createHash('sha256');
  try {
    const buffer = Buffer.allocUnsafe(4 * MIB);
    for (let offset = 0; offset < size; offset += buffer.length) {
      const chunk = buffer.subarray(0, Math.min(buffer.length, size - offset));
      randomFillSync(chunk);
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, offset);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** SHA-256 throughput of this process over 256 KiB pieces (Plexus's piece size), MiB/s. */
function sha256Rate() {
  const piece = Buffer.alloc(256 * 1024, 7);
  const rounds = 256; // 64 MiB
  const started = performance.now();
  for (let i = 0; i < rounds; i++) createHash('sha256').update(piece).digest();
  return (rounds * piece.length) / MIB / ((performance.now() - started) / 1000);
}

/** What ws does per frame without bufferutil: XOR every byte with a 4-byte mask. Mean µs over 16 KiB. */
function maskMicros() {
  const source = Buffer.alloc(BLOCK, 7);
  const output = Buffer.alloc(BLOCK);
  const mask = Buffer.from([1, 2, 3, 4]);
  const once = () => {
    for (let i = 0; i < BLOCK; i++) output[i] = source[i] ^ mask[i & 3];
  };
  for (let i = 0; i < 500; i++) once();
  const rounds = 5000;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) once();
  return ((performance.now() - started) * 1000) / rounds;
}

/** Whether ws would find its native helper (it is optional and loaded from the SDK's dependencies). */
function hasBufferutil() {
  try {
    createRequire(join(BENCH_DIR, '..', 'sdk', 'package.json')).resolve('bufferutil');
    return true;
  } catch {
    return false;
  }
}

// --- CPU accounting (Linux /proc; null elsewhere) -----------------------------------------

const CLK_TCK = (() => {
  if (process.platform !== 'linux') return null;
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(out.stdout?.trim()) || 100;
})();

/** utime and stime (ms) of a process or one thread, from /proc/PID/stat or /proc/PID/task/TID/stat. */
function procTimes(path) {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const tick = 1000 / CLK_TCK;
    return { user: Number(fields[11]) * tick, sys: Number(fields[12]) * tick, childUser: Number(fields[13]) * tick, childSys: Number(fields[14]) * tick };
  } catch {
    return null;
  }
}

/** CPU time of a child process so far (ms, all threads, user + system), or null. */
function childCpuMs(pid) {
  if (!CLK_TCK || !pid) return null;
  const t = procTimes(`/proc/${pid}/stat`);
  return t ? t.user + t.sys : null;
}

/** CPU time of this process (ms, all threads) and of its reaped children (ms). */
function selfCpu() {
  const usage = process.cpuUsage();
  const t = CLK_TCK ? procTimes('/proc/self/stat') : null;
  return { self: (usage.user + usage.system) / 1000, children: t ? t.childUser + t.childSys : null };
}

/** Per-thread CPU of a process: main thread vs the others (libuv threadpool, V8 threads), user and system, ms. */
function threadCpu(pid) {
  if (!CLK_TCK) return null;
  const out = { mainUser: 0, mainSys: 0, otherUser: 0, otherSys: 0, threads: 0, voluntary: 0, involuntary: 0 };
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    const t = procTimes(`/proc/${pid}/task/${tid}/stat`);
    if (!t) continue;
    out.threads++;
    if (Number(tid) === pid) {
      out.mainUser += t.user;
      out.mainSys += t.sys;
      try {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        out.voluntary = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
        out.involuntary = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      } catch {
        // gone
      }
    } else {
      out.otherUser += t.user;
      out.otherSys += t.sys;
    }
  }
  return out;
}

function threadCpuDelta(a, b) {
  if (!a || !b) return null;
  const d = {};
  for (const k of Object.keys(b)) d[k] = b[k] - (a[k] ?? 0);
  return d;
}

// --- children ----------------------------------------------------------------------------

/**
 * Spawn a child that prints JSON lines on stdout; resolves once `ready(message)` returns a value
 * for one of them, with { child, stderr, lines (an async line listener hub), value }.
 */
async function spawnChild(args, ready, { nodeArgs = [], what }) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.children.add(child);
  const proc = { child, stderr: [], listeners: new Set(), exited: false, what };
  child.once('exit', () => (proc.exited = true));
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stderr }).on('line', (line) => {
    proc.stderr.push(line);
    if (proc.stderr.length > STDERR_TAIL_LINES) proc.stderr.shift();
  });
  // Keep draining stdout for the child's whole life so its writes never block.
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    for (const listener of proc.listeners) listener(message, performance.now());
  });
  let timer;
  const value = await new Promise((resolve) => {
    const listener = (message) => {
      const v = ready(message);
      if (v !== undefined) resolve(v);
    };
    proc.listeners.add(listener);
    child.once('exit', () => resolve(null));
    timer = setTimeout(() => resolve(null), START_TIMEOUT_MS);
    proc.stopWaiting = () => proc.listeners.delete(listener);
  });
  clearTimeout(timer);
  proc.stopWaiting();
  if (value === null) {
    const code = child.exitCode ?? child.signalCode;
    await stopChild(proc, 'SIGKILL');
    throw new Error(`${what} ${code === null ? `printed nothing usable within ${START_TIMEOUT_MS} ms` : `exited (${code}) at start`}${stderrNote(proc)}`);
  }
  proc.value = value;
  return proc;
}

function stderrNote(proc) {
  return proc.stderr.length ? `; its stderr:\n    ${proc.stderr.join('\n    ')}` : '';
}

/** Ask a child to stop (signal, and stdin closed), SIGKILL it after STOP_GRACE_MS, wait for it. */
async function stopChild(proc, signal = 'SIGTERM') {
  const { child } = proc;
  if (child.exitCode === null && child.signalCode === null) {
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.stdin.end();
    child.kill(signal);
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await closed;
    clearTimeout(kill);
  }
  live.children.delete(child);
}

/** Wait for a JSON line from a child matching `match`, or null after `timeoutMs`. */
function waitForLine(proc, match, timeoutMs) {
  return new Promise((resolve) => {
    const finish = (value) => {
      clearTimeout(timer);
      proc.listeners.delete(listener);
      proc.child.off('exit', onExit);
      resolve(value);
    };
    const listener = (message, at) => {
      if (match(message)) finish({ message, at });
    };
    const onExit = () => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    proc.listeners.add(listener);
    proc.child.once('exit', onExit);
  });
}

/** A `plexus node --json` child in a fresh data folder; resolves once it printed node:start. */
async function startPlexusNode(root, label, { extraArgs = [], nodeArgs = [] } = {}) {
  const dataDir = tempDir(root, `${label}-`);
  const proc = await spawnChild(
    [CLI, 'node', '--json', '--data-dir', dataDir, '--p2p-port', '0', '--api-port', '0', ...extraArgs],
    (m) => (m.event === 'node:start' ? m.payload : undefined),
    { nodeArgs, what: label },
  );
  const info = proc.value;
  proc.label = label;
  proc.dataDir = dataDir;
  proc.nodeId = info.nodeId;
  proc.p2p = info.addresses.p2p;
  proc.api = info.addresses.api;
  proc.token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  return proc;
}

/** Call a child node's HTTP API; resolves with the parsed body, throws on a non-2xx status. */
async function api(proc, method, path, body) {
  const res = await fetch(`${proc.api}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${proc.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${proc.label}: ${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A reference source process (tcp or http) serving `file`; resolves once it printed its port. */
async function startSource(mode, file) {
  const proc = await spawnChild([SOURCE, mode, file], (m) => (typeof m.port === 'number' ? m.port : undefined), { what: `${mode} source` });
  proc.port = proc.value;
  return proc;
}

/** Whether aria2c can be run, and its version line. */
function findAria2c() {
  const out = spawnSync('aria2c', ['--version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return null;
  return out.stdout.split('\n')[0].trim();
}

// --- the three ways to move the file -------------------------------------------------------


/**
 * A fresh downloader node (data folder under `root`) connected to `seeders`. `during(node, log)`
 * runs the measurement; the node is stopped and its folder removed afterwards.
 */
async function withDownloader(ctx, seeders, during, { listen = false } = {}) {
  const dir = tempDir(ctx.root, 'downloader-');
  const node = new PlexusNode({ dataDir: dir, p2pPort: listen ? 0 : null });
  const log = new EventLog(node, ['transfer:complete', 'transfer:recovered', 'transfer:piece', 'peer:disconnect', 'peer:connect']);
  live.nodes.add(node);
  try {
    await node.start();
    for (const s of seeders) await node.connect(s.p2p);
    return await during(node, log);
  } finally {
    log.close();
    await node.stop();
    live.nodes.delete(node);
    removeDir(dir);
  }
}

function transferTimeoutMs(size) {
  return TRANSFER_TIMEOUT_BASE_MS + (size / MIB) * TRANSFER_TIMEOUT_MS_PER_MIB;
}

async function verifyOutput(out, ctx) {
  const sha = await sha256File(out);
  return sha === ctx.sha256 ? null : `sha256 ${sha.slice(0, 16)}… differs from the original ${ctx.sha256.slice(0, 16)}…`;
}

/** Plexus: fetch the file from `seeders` (child processes) into a fresh downloader in this process. */
async function runPlexus(ctx, seeders) {
  return withDownloader(ctx, seeders, (node, log) => timedFetch(ctx, node, log, seeders, ctx.link));
}

/** One timed node.files.download() on a connected downloader: time to transfer:complete, CPU, SHA-256, split by seeder. */
async function timedFetch(ctx, node, log, seeders, link) {
  const out = join(ctx.root, 'out-plexus.bin');
  try {
    const cpu0 = selfCpu();
    const seedCpu0 = seeders.map((s) => childCpuMs(s.child.pid));
    const started = performance.now();
    const first = await node.files.download(link, out);
    const done = await log.waitFor((e) => e.event === 'transfer:complete' && e.payload.id === first.id, transferTimeoutMs(ctx.size));
    if (!done) throw new Error(`no transfer:complete within ${transferTimeoutMs(ctx.size)} ms (${fmtBytes(node.files.progress(first.id).bytes)} verified)`);
    const ms = done.at - started;
    const cpu1 = selfCpu();
    const seedCpu = seeders.map((s, i) => childCpuMs(s.child.pid) - seedCpu0[i]);
    const problem = await verifyOutput(out, ctx);
    const total = done.payload.perPeer.reduce((a, p) => a + p.bytes, 0) || 1;
    const split = seeders.map((s) => done.payload.perPeer.find((p) => p.nodeId === s.nodeId)?.bytes ?? 0).map((b) => Math.round((100 * b) / total));
    return {
      ms,
      eventMs: done.payload.ms,
      cpu: { rx: cpu1.self - cpu0.self, tx: seedCpu.some((x) => x === null || Number.isNaN(x)) ? null : seedCpu.reduce((a, b) => a + b, 0) },
      problem,
      note: (seeders.length > 1 ? `from each seeder ${split.join('/')}%` : '') + (done.payload.wastedBytes ? `, ${fmtBytes(done.payload.wastedBytes)} wasted` : ''),
    };
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * The other direction: a listening downloader, and a fresh seeder process that dials it
 * (`plexus node --peer`). Blocks then travel client -> server on the WebSocket, so ws masks
 * each one on the seeder and unmasks it on the downloader. Fetched by file ID, so that the
 * link's address hint does not add another seeder.
 */
async function runPlexusSeederDials(ctx) {
  let seeder;
  try {
    return await withDownloader(
      ctx,
      [],
      async (node, log) => {
        seeder = await startPlexusNode(ctx.root, 'dialing-seeder', { extraArgs: ['--peer', node.p2pAddress] });
        const connected = await log.waitFor((e) => e.event === 'peer:connect' && e.payload.nodeId === seeder.nodeId, START_TIMEOUT_MS);
        if (!connected) throw new Error(`the seeder did not connect to the downloader within ${START_TIMEOUT_MS} ms${stderrNote(seeder)}`);
        if (connected.payload.direction !== 'inbound') throw new Error(`the connection is ${connected.payload.direction} on the downloader, expected inbound`);
        const share = await api(seeder, 'POST', '/files', { path: ctx.file });
        if (share.file.fileId !== ctx.fileId) throw new Error(`the dialing seeder shares ${share.file.fileId}, not ${ctx.fileId}`);
        return await timedFetch(ctx, node, log, [seeder], ctx.fileId);
      },
      { listen: true },
    );
  } finally {
    if (seeder) {
      await stopChild(seeder);
      removeDir(seeder.dataDir);
    }
  }
}

/** Split [0, size) into n ranges on 16 KiB boundaries. */
function ranges(size, n) {
  const part = Math.ceil(size / n / BLOCK) * BLOCK;
  const out = [];
  for (let offset = 0; offset < size; offset += part) out.push({ offset, length: Math.min(part, size - offset) });
  return out;
}

/** Raw TCP: one connection per source process, each sending its range of the file. */
async function runRaw(ctx, sources) {
  const out = join(ctx.root, 'out-raw.bin');
  try {
    const cpu0 = selfCpu();
    const srcCpu0 = sources.map((s) => childCpuMs(s.child.pid));
    const started = performance.now();
    const handle = await fs.open(out, 'w');
    try {
      await handle.truncate(ctx.size);
      await Promise.all(
        ranges(ctx.size, sources.length).map(async ({ offset, length }, i) => {
          const socket = connect(sources[i].port, '127.0.0.1');
          await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
          const request = Buffer.alloc(16);
          request.writeBigUInt64BE(BigInt(offset), 0);
          request.writeBigUInt64BE(BigInt(length), 8);
          socket.write(request);
          const sink = createWriteStream(out, { flags: 'r+', start: offset });
          await pipeline(socket, sink);
          if (sink.bytesWritten !== length) throw new Error(`source ${i + 1} sent ${sink.bytesWritten} of ${length} bytes`);
        }),
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    const ms = performance.now() - started;
    const cpu1 = selfCpu();
    const srcCpu = sources.map((s, i) => childCpuMs(s.child.pid) - srcCpu0[i]);
    return { ms, cpu: { rx: cpu1.self - cpu0.self, tx: srcCpu.some((x) => x === null || Number.isNaN(x)) ? null : srcCpu.reduce((a, b) => a + b, 0) }, problem: await verifyOutput(out, ctx) };
  } finally {
    rmSync(out, { force: true });
  }
}

/** aria2c: N split connections to N HTTP source processes. */
async function runAria2c(ctx, sources) {
  const name = 'out-aria2c.bin';
  const out = join(ctx.root, name);
  const n = String(sources.length);
  const args = [
    '--no-conf=true', '-x', n, '-s', n, '-k', '1M', '--file-allocation=none', '-d', ctx.root, '-o', name,
    '--allow-overwrite=true', '--auto-file-renaming=false', '--summary-interval=0', '--console-log-level=warn', '--max-tries=1',
    ...sources.map((s) => `http://127.0.0.1:${s.port}/${FILE_NAME}`),
  ];
  try {
    const cpu0 = selfCpu();
    const srcCpu0 = sources.map((s) => childCpuMs(s.child.pid));
    const started = performance.now();
    const child = spawn('aria2c', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.children.add(child);
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), transferTimeoutMs(ctx.size));
    const [code, signal] = await new Promise((resolve) => child.once('close', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    live.children.delete(child);
    // aria2c does not fsync; the other two do, so its time includes one too.
    if (existsSync(out)) {
      const handle = await fs.open(out, 'r+');
      await handle.sync();
      await handle.close();
    }
    const ms = performance.now() - started;
    const cpu1 = selfCpu();
    const srcCpu = sources.map((s, i) => childCpuMs(s.child.pid) - srcCpu0[i]);
    const result = /^\w+\|(\w+)\s*\|\s*([\d.]+\s*\w+\/s)\|/m.exec(text.replace(/\x1b\[[0-9;]*m/g, ''));
    let problem = null;
    const statSize = existsSync(out) ? (await fs.stat(out)).size : null;
    if (code !== 0) problem = `aria2c exited with ${code ?? signal}: ${text.trim().split('\n').slice(-3).join(' / ')}`;
    else if (result?.[1] !== 'OK') problem = `aria2c did not report OK: ${text.trim().split('\n').slice(-3).join(' / ')}`;
    else if (statSize !== ctx.size) problem = `aria2c wrote ${statSize} bytes, expected ${ctx.size}`;
    else problem = await verifyOutput(out, ctx);
    const rx = cpu1.children === null || cpu0.children === null ? null : cpu1.children - cpu0.children;
    return {
      ms,
      cpu: { rx, tx: srcCpu.some((x) => x === null || Number.isNaN(x)) ? null : srcCpu.reduce((a, b) => a + b, 0) },
      problem,
      note: result ? `aria2c's own figure ${result[2].replace(/\s+/g, '')}` : '',
    };
  } finally {
    rmSync(out, { force: true });
    rmSync(`${out}.aria2`, { force: true });
  }
}

// --- recovery ------------------------------------------------------------------------------

/**
 * Fetch from every seeder; once `killAt` of the file is verified, SIGKILL the seeder holding the
 * most blocks and measure how the downloader gets them from the others.
 */
async function runRecovery(ctx, seeders) {
  const out = join(ctx.root, 'out-recovery.bin');
  try {
    return await withDownloader(ctx, seeders, async (node, log) => {
      const started = performance.now();
      const first = await node.files.download(ctx.link, out);
      const killBytes = ctx.killAt * ctx.size;
      const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
      let atDisconnect = null;
      const kill = await new Promise((resolve) => {
        // transfer:piece is emitted once a piece is verified: the moment to look.
        const off = node.onAny((event, payload) => {
          if (event !== 'transfer:piece' || payload.id !== first.id) return;
          const p = node.files.progress(first.id);
          if (p.bytes < killBytes) return;
          off();
          // The seeder with the most requests in flight right now: the recovery has the most to do.
          const busiest = [...p.perPeer].sort((a, b) => b.inFlight - a.inFlight)[0];
          const victim = seeders.find((s) => s.nodeId === busiest?.nodeId);
          if (!victim) return resolve(null);
          loopDelay.enable();
          const at = performance.now();
          victim.child.kill('SIGKILL');
          victim.killed = true;
          resolve({ at, victim, inFlight: busiest.inFlight, victimBytes: busiest.bytes, bytes: p.bytes, rate: p.rate, sinceStart: at - started });
        });
      });
      if (!kill) throw new Error('no seeder to kill (the download had no peers at the kill point)');
      // onAny listeners run before the node's own: the download still lists the victim here.
      const offDisconnect = node.onAny((event, payload) => {
        if (event !== 'peer:disconnect' || payload.nodeId !== kill.victim.nodeId || atDisconnect) return;
        const p = node.files.progress(first.id);
        const victim = p.perPeer.find((x) => x.nodeId === kill.victim.nodeId);
        atDisconnect = {
          victimBytes: victim?.bytes ?? null,
          victimInFlight: victim?.inFlight ?? null,
          othersInFlight: p.perPeer.filter((x) => x.nodeId !== kill.victim.nodeId).reduce((a, x) => a + x.inFlight, 0),
        };
      });
      const ofVictim = (name) => (e) => e.event === name && e.payload.nodeId === kill.victim.nodeId && e.at >= kill.at;
      const timeout = transferTimeoutMs(ctx.size);
      const disconnect = await log.waitFor(ofVictim('peer:disconnect'), timeout);
      const recovered = await log.waitFor(ofVictim('transfer:recovered'), timeout);
      loopDelay.disable();
      offDisconnect();
      const done = await log.waitFor((e) => e.event === 'transfer:complete' && e.payload.id === first.id, timeout);
      const problems = [];
      if (!disconnect) problems.push(`no peer:disconnect for the killed seeder within ${timeout} ms`);
      if (!recovered) problems.push(`no transfer:recovered for the killed seeder within ${timeout} ms`);
      if (!done) problems.push(`the download did not complete within ${timeout} ms`);
      const problem = done ? await verifyOutput(out, ctx) : null;
      if (problem) problems.push(problem);
      const lag = loopDelay.count ? { meanMs: loopDelay.mean / 1e6, maxMs: loopDelay.max / 1e6 } : null;
      return { kill, disconnect, atDisconnect, recovered, done, lag, ms: done ? done.at - started : null, problems, problem: problems[0] ?? null };
    });
  } finally {
    rmSync(out, { force: true });
  }
}

// --- profile mode ----------------------------------------------------------------------------

/**
 * One fetch from `n` seeders with the downloader and the seeders as `plexus node` children under
 * node --cpu-prof; prints per-process CPU by thread and the profile summaries over the transfer.
 */
async function runProfile(ctx, n, dir) {
  mkdirSync(dir, { recursive: true });
  const profiled = (name) => ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`];
  for (const f of readdirSync(dir)) if (/^(downloader|seeder-\d+)\.cpuprofile$/.test(f)) rmSync(join(dir, f));
  const seeders = [];
  let downloader;
  try {
    for (let i = 1; i <= n; i++) seeders.push(await startPlexusNode(ctx.root, `seeder-${i}`, { nodeArgs: profiled(`seeder-${i}`) }));
    const shares = await Promise.all(seeders.map((s) => api(s, 'POST', '/files', { path: ctx.file })));
    const link = shares[0].file.link;
    downloader = await startPlexusNode(ctx.root, 'downloader', { nodeArgs: profiled('downloader') });
    for (const s of seeders) await api(downloader, 'POST', '/network/connect', { address: s.p2p });
    const out = join(ctx.root, 'out-profile.bin');
    const procs = [downloader, ...seeders];
    const before = procs.map((p) => threadCpu(p.child.pid));
    const fromNs = process.hrtime.bigint();
    const started = performance.now();
    const complete = waitForLine(downloader, (m) => m.event === 'transfer:complete', transferTimeoutMs(ctx.size));
    await api(downloader, 'POST', '/downloads', { link, out });
    const done = await complete;
    const toNs = process.hrtime.bigint();
    const after = procs.map((p) => threadCpu(p.child.pid));
    if (!done) throw new Error(`the profiled download did not complete${stderrNote(downloader)}`);
    const ms = done.at - started;
    const problem = await verifyOutput(out, ctx);
    rmSync(out, { force: true });
    console.log(
      `\nprofiled fetch from ${n} seeder(s): ${fmt(ms / 1000, 2)} s, ${fmt(ctx.size / MIB / (ms / 1000))} MiB/s under the profiler, ` +
        `${problem ? `FAILED: ${problem}` : 'sha256 ok'}`,
    );
    for (const p of procs) await stopChild(p);
    console.log('\nCPU during the transfer, by thread (ms; /proc; "other threads" = libuv threadpool + V8 GC/compiler threads):');
    const rows = procs.map((p, i) => {
      const d = threadCpuDelta(before[i], after[i]);
      if (!d) return [p.label, '-', '-', '-', '-', '-', '-', '-'];
      const total = d.mainUser + d.mainSys + d.otherUser + d.otherSys;
      return [
        p.label,
        fmt(d.mainUser, 0),
        fmt(d.mainSys, 0),
        fmt(d.otherUser, 0),
        fmt(d.otherSys, 0),
        `${fmt(total, 0)} (${fmt((100 * total) / ms, 0)}% of one core)`,
        String(d.voluntary),
        String(d.involuntary),
      ];
    });
    console.log(table(['process', 'main user', 'main sys', 'other user', 'other sys', 'total', 'main vol. ctx sw', 'main invol. ctx sw'], rows).replace(/^/gm, '  '));
    const window = { fromUs: Number(fromNs / 1000n), toUs: Number(toNs / 1000n) };
    for (const p of procs) {
      const file = join(dir, `${p.label}.cpuprofile`);
      if (!existsSync(file)) {
        console.log(`\n${p.label}: no profile written (${file})`);
        continue;
      }
      console.log(`\n${p.label} (${file}), main thread over the transfer:`);
      console.log(formatSummary(summarizeProfile(file, window), { top: 22, indent: '  ' }));
    }
    return problem ? [problem] : [];
  } finally {
    for (const p of [downloader, ...seeders]) if (p) await stopChild(p, 'SIGKILL');
  }
}

/** The recovery lines: what the kill cost and how the downloader's figures compare with the queue it had to wait behind. */
function printRecovery(rec, options, undisturbedRuns) {
  const { kill, disconnect, atDisconnect, recovered, done, lag } = rec;
  const rateMiB = kill.rate / MIB;
  const blocksMs = (blocks) => (kill.rate > 0 ? (blocks * BLOCK * 1000) / kill.rate : null);
  console.log(
    `  killed ${kill.victim.label} (${kill.victim.nodeId.slice(0, 12)}…) ${fmt(kill.sinceStart / 1000, 2)} s into the download at ${fmtBytes(kill.bytes)} verified; ` +
      `${kill.inFlight} blocks (${fmtBytes(kill.inFlight * BLOCK)}) in flight to it; download rate ${fmt(rateMiB)} MiB/s`,
  );
  if (disconnect) {
    const after = atDisconnect?.victimBytes !== null && atDisconnect?.victimBytes !== undefined ? atDisconnect.victimBytes - kill.victimBytes : null;
    console.log(
      `  kill -> peer:disconnect on the downloader:  ${fmt(disconnect.at - kill.at, 1)} ms` +
        (after !== null ? ` (meanwhile it still read ${fmtBytes(after)} the seeder had sent before dying, and kept its pipeline full: ${atDisconnect.victimInFlight} blocks released)` : ''),
    );
  } else {
    console.log('  kill -> peer:disconnect on the downloader:  NOT SEEN');
  }
  const ev = recovered?.payload;
  if (ev) {
    const base = disconnect ? disconnect.at - kill.at : 0;
    console.log(`  all ${ev.blocks} released blocks re-requested from the others: rerequestMs ${ev.rerequestMs} ms after the disconnect (${fmt(base + ev.rerequestMs, 1)} ms after the kill)`);
    console.log(`  all of them received (transfer:recovered):   recoveryMs ${ev.recoveryMs} ms after the disconnect (the event came ${fmt(recovered.at - kill.at, 1)} ms after the kill)`);
    if (kill.rate > 0) {
      const queued = atDisconnect?.othersInFlight ?? 0;
      console.log(
        `  reference at the pre-kill rate: ${ev.blocks} blocks take ${fmt(blocksMs(ev.blocks), 1)} ms (rerequestMs / that = ${fmt(ev.rerequestMs / blocksMs(ev.blocks), 2)}: ` +
          `they wait for free pipeline slots); with the ${queued} blocks already queued at the other seeders ahead of them ${fmt(blocksMs(ev.blocks + queued), 1)} ms ` +
          `(recoveryMs / that = ${fmt(ev.recoveryMs / blocksMs(ev.blocks + queued), 2)})`,
      );
    }
  } else {
    console.log('  transfer:recovered for it:                   NOT SEEN');
  }
  if (lag) console.log(`  this process's event loop from the kill to transfer:recovered: delay mean ${fmt(lag.meanMs, 1)} ms, max ${fmt(lag.maxMs, 1)} ms`);
  if (done) {
    const undisturbed = median(undisturbedRuns.filter((r) => !r.problem).map((r) => r.ms));
    console.log(
      `  completed in ${fmt(rec.ms / 1000, 2)} s (${fmt(options.size / MIB / (rec.ms / 1000))} MiB/s), ${rec.problem ? `FAILED: ${rec.problem}` : 'sha256 ok'}` +
        (undisturbed ? `; ${fmt(rec.ms / undisturbed, 2)}x the undisturbed median from as many seeders (${fmt(undisturbed / 1000, 2)} s)` : '') +
        `; recoveries ${done.payload.recovery.recoveries}, wasted ${fmtBytes(done.payload.wastedBytes)}`,
    );
  }
}

// --- main ------------------------------------------------------------------------------------

/** Ctrl-C / SIGTERM: kill every child, stop in-process nodes, remove every temp folder, exit. */
let interrupted = false;
function onInterrupt(signal) {
  if (interrupted) return;
  interrupted = true;
  for (const child of live.children) child.kill('SIGKILL');
  const finish = () => {
    for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    process.stderr.write(`\n${signal}: children killed, temp folders removed\n`);
    process.exit(130);
  };
  setTimeout(finish, STOP_GRACE_MS).unref();
  void Promise.allSettled([...live.nodes].map((node) => node.stop())).then(finish);
}

function runLine(label, r, size) {
  if (r.problem && r.ms === undefined) return `${label}  FAILED: ${r.problem}`;
  const rate = size / MIB / (r.ms / 1000);
  const cpu = r.cpu?.rx !== null && r.cpu?.rx !== undefined ? `, cpu ${fmt(r.cpu.rx / 1000, 2)} s here + ${r.cpu.tx === null ? '-' : fmt(r.cpu.tx / 1000, 2)} s sources` : '';
  return `${label} ${fmt(r.ms / 1000, 2).padStart(6)} s ${fmt(rate).padStart(7)} MiB/s  ${r.problem ? `FAILED: ${r.problem}` : 'sha256 ok'}${cpu}${r.note ? `; ${r.note}` : ''}`;
}

async function run(options, problems) {
  const root = tempDir(null, TMP_PREFIX);
  const file = join(root, FILE_NAME);
  const ctx = { root, file, size: options.size, killAt: options.killAt };
  const maxSources = Math.max(...options.sources);

  let t = performance.now();
  ctx.sha256 = await writeRandomFile(file, options.size);
  console.log(`file: ${fmtBytes(options.size)} of random bytes in ${root} (written in ${fmt((performance.now() - t) / 1000, 2)} s), sha256 ${ctx.sha256.slice(0, 16)}…`);
  console.log(`reference: sha256 of 256 KiB pieces in one thread here: ${fmt(sha256Rate(), 0)} MiB/s (the Plexus downloader hashes every piece once)`);

  if (options.profile) {
    problems.push(...(await runProfile(ctx, options.sources[0], options.profile)));
    return;
  }

  const aria = findAria2c();
  if (!aria) {
    console.log('aria2c: NOT FOUND - the aria2c column stays empty. Install it to compare: `sudo apt-get install -y aria2` (Debian/Ubuntu), `brew install aria2` (macOS), `dnf install aria2` (Fedora).');
  } else {
    console.log(`aria2c: ${aria}`);
  }

  // Sources: maxSources seeders (child processes), and as many raw TCP and HTTP source processes.
  t = performance.now();
  const seeders = [];
  const tcp = [];
  const http = [];
  try {
    const started = await Promise.all([
      ...Array.from({ length: maxSources }, (_, i) => startPlexusNode(root, `seeder-${i + 1}`)),
      ...Array.from({ length: maxSources }, () => startSource('tcp', file)),
      ...(aria ? Array.from({ length: maxSources }, () => startSource('http', file)) : []),
    ]);
    seeders.push(...started.slice(0, maxSources));
    tcp.push(...started.slice(maxSources, 2 * maxSources));
    http.push(...started.slice(2 * maxSources));
    const shares = await Promise.all(seeders.map((s) => api(s, 'POST', '/files', { path: file })));
    const ids = new Set(shares.map((s) => s.file.fileId));
    if (ids.size !== 1) throw new Error(`the seeders disagree on the file ID: ${[...ids].join(', ')}`);
    ctx.link = shares[0].file.link;
    ctx.fileId = shares[0].file.fileId;
    const share = shares[0].file;
    console.log(
      `sources: ${plural(maxSources, 'plexus seeder')} sharing it (${share.pieces} pieces of ${fmtBytes(share.pieceLength)}, ${share.fileId.slice(0, 12)}…), ` +
        `${maxSources} raw TCP${aria ? ` and ${maxSources} HTTP` : ''} source process${maxSources > 1 || aria ? 'es' : ''}; up in ${fmt((performance.now() - t) / 1000, 2)} s (the seeders hash the file)`,
    );

    // One untimed round of each, so JIT warm-up does not land in the first timed run.
    t = performance.now();
    const warm = [['plexus', await runPlexus(ctx, seeders)], ['raw TCP', await runRaw(ctx, tcp)], ...(aria ? [['aria2c', await runAria2c(ctx, http)]] : [])];
    for (const [what, r] of warm) if (r.problem) problems.push(`warm-up ${what}: ${r.problem}`);
    console.log(`warm-up: one untimed download each from ${plural(maxSources, 'source')}, ${fmt((performance.now() - t) / 1000, 2)} s`);

    const results = new Map();
    for (const n of options.sources) {
      const row = { plexus: [], raw: [], aria: [] };
      results.set(n, row);
      console.log(`\n${plural(n, 'source')}:`);
      for (let r = 1; r <= options.runs; r++) {
        const runs = [
          ['plexus ', 'plexus', () => runPlexus(ctx, seeders.slice(0, n))],
          ['raw TCP', 'raw', () => runRaw(ctx, tcp.slice(0, n))],
          ...(aria ? [['aria2c ', 'aria', () => runAria2c(ctx, http.slice(0, n))]] : []),
        ];
        for (const [label, key, fn] of runs) {
          let result;
          try {
            result = await fn();
          } catch (err) {
            result = { problem: err.message };
          }
          row[key].push(result);
          if (result.problem) problems.push(`${label.trim()} from ${n} source(s), run ${r}: ${result.problem}`);
          console.log(runLine(`  run ${r}/${options.runs}  ${label}`, result, options.size));
        }
      }
    }

    const rate = (rs) => median(rs.filter((r) => !r.problem).map((r) => options.size / MIB / (r.ms / 1000)));
    const cpuPerMib = (rs, side) => median(rs.filter((r) => !r.problem && r.cpu?.[side] !== null && r.cpu?.[side] !== undefined).map((r) => r.cpu[side] / (options.size / MIB)));
    const rows = [];
    const cpuRows = [];
    for (const [n, row] of results) {
      const p = rate(row.plexus);
      const raw = rate(row.raw);
      const a = aria ? rate(row.aria) : null;
      rows.push([String(n), fmt(p), fmt(raw), aria ? fmt(a) : 'n/a', p && raw ? fmt(p / raw, 2) : '-', p && a ? fmt(p / a, 2) : '-']);
      const pc = [cpuPerMib(row.plexus, 'rx'), cpuPerMib(row.plexus, 'tx')];
      const rc = [cpuPerMib(row.raw, 'rx'), cpuPerMib(row.raw, 'tx')];
      const ac = aria ? [cpuPerMib(row.aria, 'rx'), cpuPerMib(row.aria, 'tx')] : [null, null];
      const sum = (x) => (x[0] === null || x[1] === null ? null : x[0] + x[1]);
      const both = (x) => (x[0] === null ? '-' : `${fmt(x[0], 2)} + ${fmt(x[1], 2)}`);
      cpuRows.push([String(n), both(pc), both(rc), aria ? both(ac) : 'n/a', sum(pc) && sum(rc) ? fmt(sum(pc) / sum(rc), 1) : '-', sum(pc) && sum(ac) ? fmt(sum(pc) / sum(ac), 1) : '-']);
    }
    console.log(`\n${fmtBytes(options.size)} over loopback, median of ${options.runs} run(s), MiB/s (time from the start of the download to the file complete and fsynced):`);
    console.log(table(['sources', 'plexus MiB/s', 'raw TCP MiB/s', 'aria2c MiB/s', 'plexus/raw', 'plexus/aria2c'], rows).replace(/^/gm, '  '));
    if (CLK_TCK) {
      console.log(`\nCPU time per MiB moved, ms (receiving process + all source processes, every thread, user + system):`);
      console.log(table(['sources', 'plexus dl + seeders', 'raw TCP rx + tx', 'aria2c rx + tx', 'plexus/raw', 'plexus/aria2c'], cpuRows).replace(/^/gm, '  '));
    }

    if (options.direction) {
      console.log(
        `\ndirection: 1 seeder that dialed the downloader (plexus node --peer), so blocks travel client -> server and ws masks each 16 KiB block ` +
          `on the seeder and unmasks it on the downloader (in JS: ${hasBufferutil() ? 'bufferutil IS installed' : 'no bufferutil'}); reference: ` +
          `that byte loop over 16 KiB takes ${fmt(maskMicros(), 1)} µs here`,
      );
      const dialed = [];
      for (let r = 1; r <= options.runs; r++) {
        let result;
        try {
          result = await runPlexusSeederDials(ctx);
        } catch (err) {
          result = { problem: err.message };
        }
        dialed.push(result);
        if (result.problem) problems.push(`plexus from 1 seeder that dialed, run ${r}: ${result.problem}`);
        console.log(runLine(`  run ${r}/${options.runs}  plexus `, result, options.size));
      }
      const base = results.get(1)?.plexus ?? null;
      const d = rate(dialed);
      const b = base ? rate(base) : null;
      const perMib = (rs, side) => cpuPerMib(rs, side);
      console.log(
        `  median ${fmt(d)} MiB/s` +
          (b ? ` = ${fmt(d / b, 2)}x the 1-source median above (${fmt(b)} MiB/s, the downloader dialed)` : '') +
          (CLK_TCK && base
            ? `; CPU per MiB: downloader ${fmt(perMib(dialed, 'rx'), 2)} ms (vs ${fmt(perMib(base, 'rx'), 2)}), seeder ${fmt(perMib(dialed, 'tx'), 2)} ms (vs ${fmt(perMib(base, 'tx'), 2)})`
            : ''),
      );
    }

    if (options.recovery && maxSources < 2) {
      console.log(`\nrecovery: skipped, it needs at least 2 seeders (--sources ${options.sources.join(',')})`);
    } else if (options.recovery) {
      console.log(`\nrecovery: a fresh downloader fetches from ${plural(maxSources, 'seeder')}; at ${fmt(100 * options.killAt, 0)}% verified the seeder with the most blocks in flight is SIGKILLed`);
      let rec;
      try {
        rec = await runRecovery(ctx, seeders);
      } catch (err) {
        rec = { problems: [err.message] };
      }
      problems.push(...rec.problems.map((p) => `recovery: ${p}`));
      if (rec.kill) printRecovery(rec, options, results.get(maxSources)?.plexus ?? []);
    }
  } finally {
    await Promise.all([...seeders, ...tcp, ...http].map((p) => (p.killed ? stopChild(p, 'SIGKILL') : stopChild(p))));
  }
}

async function main() {
  const parsed = readOptions(parseOptions, usage);
  if (parsed.code !== undefined) return parsed.code;
  const options = parsed.options;
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  console.log(
    options.profile
      ? 'transfer --profile: where a Plexus download spends its time (downloader and seeders under node --cpu-prof)'
      : 'transfer: one file over loopback from N sources - plexus vs raw TCP vs aria2c - and recovery after a seeder is SIGKILLed',
  );
  printMachine();
  if (options.size < MIN_SIZE_MIB * MIB) console.log(`note: --size below ${MIN_SIZE_MIB} MiB; the figures are less steady (start-up and ramp-up weigh more)`);
  const problems = [];
  const started = performance.now();
  try {
    await run(options, problems);
  } catch (err) {
    problems.push(err.stack ?? String(err));
  }
  // onInterrupt kills the children, removes the folders and exits; a run failing under it is no news.
  if (interrupted) return new Promise(() => undefined);
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  for (const child of live.children) child.kill('SIGKILL');
  for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  for (const p of problems) console.log(`FAILED: ${p}`);
  if (!options.profile && !findAria2c()) console.log('aria2c was not found, so its column is empty: `sudo apt-get install -y aria2` (Debian/Ubuntu) or `brew install aria2` (macOS).');
  console.log(
    `\n${problems.length ? `${problems.length} problem(s)` : 'all checks passed'}; ${fmt((performance.now() - started) / 1000, 1)} s in all; ` +
      `load avg now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows every column, the plexus one most)`,
  );
  return problems.length ? 1 : 0;
}

process.exitCode = await main();

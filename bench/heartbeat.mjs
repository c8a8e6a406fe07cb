#!/usr/bin/env node
/**
 * Heartbeat benchmark: how long a dead peer stays in an observer's active set.
 *
 * Per run: an observer node starts in this process (in memory, port 0), a victim node starts
 * as a real child process (`plexus node --json`) that dials the observer, and once the
 * observer has seen `peer:connect` from it and a random part of one heartbeat interval has
 * passed (so the signal lands at a random point of the ping cycle), the victim is
 *   - SIGKILL: killed. The OS closes its socket, so removal should take milliseconds
 *     (`peer:dead` reason 'connection-lost'), far below the heartbeat bound.
 *   - silence: frozen with SIGSTOP. The socket stays open but nothing answers, so only the
 *     heartbeat can notice (`peer:dead` reason 'heartbeat-timeout'), at most
 *     intervalMs + timeoutMs after the silence began; then the child is SIGKILLed and reaped.
 * The figure is the time from the signal to the observer's `peer:dead` event (measured in
 * this process with performance.now()); `peer:disconnect` must follow it.
 *
 * Every run uses a fresh observer and a fresh child, so no run inherits an address book,
 * a redial timer or a connection from the previous one.
 *
 * Usage: node bench/heartbeat.mjs [--runs N] [--interval MS] [--timeout MS] [--defaults]
 * Exit code: 0 when every run saw the removal within FAIL_FACTOR x the bound, 1 otherwise,
 * 2 for bad arguments.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNode, detectionBoundMs, HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '@plexus/sdk';
import { positiveInt, printMachine, table as tableWithLeft, readOptions } from './lib/common.mjs';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'sdk', 'bin', 'plexus.js');

/** Runs per scenario at the bench settings (--runs). */
const DEFAULT_RUNS = 10;
/** Bench heartbeat settings (ms): the product's 1:1 ratio, 10x smaller so the bench takes well under a minute. */
const DEFAULT_INTERVAL_MS = 500;
const DEFAULT_TIMEOUT_MS = 500;
/** Runs per scenario at the product defaults (--defaults); one silence run alone takes 10-15 s. */
const PRODUCT_DEFAULT_RUNS = 1;
/** A run fails when no `peer:dead` arrives within this many bounds of the signal. */
const FAIL_FACTOR = 3;
/** Timer lateness tolerated above the bound before a run is reported as over it (ms). */
const SCHEDULING_SLACK_MS = 100;
/** Longest wait for the child to print node:start and connect to the observer (ms). */
const START_TIMEOUT_MS = 15_000;
/** Sampling period of the event-loop delay monitor (ms); its samples include this period. */
const LOOP_DELAY_RESOLUTION_MS = 10;
/** Lines of the child's stderr kept for error messages. */
const STDERR_TAIL_LINES = 20;

const SCENARIOS = [
  { name: 'SIGKILL', signal: 'SIGKILL', reason: 'connection-lost' },
  { name: 'silence', signal: 'SIGSTOP', reason: 'heartbeat-timeout' },
];

/** Children and temp folders alive right now, so an interrupt can still clean up. */
const live = { children: new Set(), dirs: new Set() };

function usage() {
  return `Usage: node bench/heartbeat.mjs [options]
  --runs N        runs per scenario (default ${DEFAULT_RUNS})
  --interval MS   heartbeat interval of both nodes (default ${DEFAULT_INTERVAL_MS})
  --timeout MS    heartbeat timeout of both nodes (default ${DEFAULT_TIMEOUT_MS})
  --defaults      also run each scenario ${PRODUCT_DEFAULT_RUNS}x at the product defaults (${HEARTBEAT_INTERVAL_MS}/${HEARTBEAT_TIMEOUT_MS} ms)
  -h, --help      this text`;
}


function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      defaults: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const runs = values.runs === undefined ? DEFAULT_RUNS : positiveInt('runs', values.runs);
  const configs = [
    {
      intervalMs: values.interval === undefined ? DEFAULT_INTERVAL_MS : positiveInt('interval', values.interval),
      timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : positiveInt('timeout', values.timeout),
      runs,
    },
  ];
  if (values.defaults) configs.push({ intervalMs: HEARTBEAT_INTERVAL_MS, timeoutMs: HEARTBEAT_TIMEOUT_MS, runs: PRODUCT_DEFAULT_RUNS });
  return { help: values.help, configs };
}

/**
 * Every event of a node with the performance.now() it arrived at, and a way to wait for one.
 * `waitFor` looks at events from `since` on and resolves with the first match, or null after
 * `timeoutMs` or when `signal` aborts.
 */
class EventLog {
  entries = [];
  /** Pending waits: match -> finish. */
  #waiters = new Map();
  #off;

  constructor(node) {
    this.#off = node.onAny((event, payload) => {
      const entry = { event, payload, at: performance.now() };
      this.entries.push(entry);
      for (const [match, finish] of this.#waiters) if (match(entry)) finish(entry);
    });
  }

  waitFor(match, { since = 0, timeoutMs, signal } = {}) {
    const matches = (e) => e.at >= since && match(e);
    const found = this.entries.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const finish = (entry) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(matches);
        resolve(entry);
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(matches, finish);
    });
  }

  /** Stop recording; pending waits resolve with null. */
  close() {
    this.#off();
    for (const finish of this.#waiters.values()) finish(null);
  }
}

/**
 * Start `plexus node --json` in a fresh data folder, dialing `peer`. Resolves with the child,
 * its node ID (from the first stdout line, `{"event":"node:start",...}`), an AbortSignal that
 * fires when it exits, and its stderr tail. The caller kills it (see `stopChild`).
 */
async function startVictim({ peer, intervalMs, timeoutMs }) {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'plexus-bench-heartbeat-'));
  live.dirs.add(dataDir);
  const args = [
    CLI, 'node', '--json',
    '--data-dir', dataDir,
    '--p2p-port', '0',
    '--api-port', '0',
    '--peer', peer,
    '--heartbeat-interval', `${intervalMs}ms`,
    '--heartbeat-timeout', `${timeoutMs}ms`,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.children.add(child);
  const exited = new AbortController();
  child.once('exit', () => exited.abort());
  const victim = { child, dataDir, nodeId: null, exited: exited.signal, stderr: [] };
  createInterface({ input: child.stderr }).on('line', (line) => {
    victim.stderr.push(line);
    if (victim.stderr.length > STDERR_TAIL_LINES) victim.stderr.shift();
  });
  // Keep draining stdout for the child's whole life so its writes never block.
  const lines = createInterface({ input: child.stdout });
  let timer;
  const started = await new Promise((resolve) => {
    lines.on('line', (line) => {
      if (victim.nodeId) return;
      try {
        const message = JSON.parse(line);
        if (message.event === 'node:start') victim.nodeId = message.payload.nodeId;
      } catch {
        return; // not a JSON line: ignore
      }
      if (victim.nodeId) resolve(true);
    });
    exited.signal.addEventListener('abort', () => resolve(false), { once: true });
    timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
  });
  clearTimeout(timer);
  if (!started) {
    const exit = child.exitCode ?? child.signalCode;
    await stopChild(victim);
    const why = exit === null ? `did not print node:start within ${START_TIMEOUT_MS} ms` : `exited (${exit}) before printing node:start`;
    throw new Error(`the victim ${why}${stderrNote(victim)}`);
  }
  return victim;
}

function stderrNote(victim) {
  return victim.stderr.length ? `; its stderr:\n    ${victim.stderr.join('\n    ')}` : '';
}

/** SIGKILL the child unless it already exited (works on a SIGSTOPped one too), reap it, drop its folder. */
async function stopChild(victim) {
  const { child } = victim;
  if (child.exitCode === null && child.signalCode === null) {
    const closed = once(child, 'close');
    child.kill('SIGKILL');
    await closed;
  }
  live.children.delete(child);
  rmSync(victim.dataDir, { recursive: true, force: true });
  live.dirs.delete(victim.dataDir);
}

/** One run of one scenario: a fresh observer, a fresh child, one signal, one measurement. */
async function runOnce(scenario, config) {
  const boundMs = detectionBoundMs(config.intervalMs, config.timeoutMs);
  const observer = await createNode({ dataDir: null, p2pPort: 0, heartbeat: { intervalMs: config.intervalMs, timeoutMs: config.timeoutMs } });
  const log = new EventLog(observer);
  let victim;
  try {
    victim = await startVictim({ peer: observer.p2pAddress, ...config });
    const connected = await log.waitFor((e) => e.event === 'peer:connect' && e.payload.nodeId === victim.nodeId, {
      timeoutMs: START_TIMEOUT_MS,
      signal: victim.exited,
    });
    if (!connected) throw new Error(`the observer saw no peer:connect from the victim within ${START_TIMEOUT_MS} ms${stderrNote(victim)}`);
    // Land the signal at a random point of the heartbeat cycle (a ping goes out on connect).
    await sleep(Math.random() * config.intervalMs);
    if (!observer.peers().some((p) => p.nodeId === victim.nodeId)) {
      const left = log.entries.filter((e) => e.payload?.nodeId === victim.nodeId && e.event !== 'peer:connect');
      const what = left.map((e) => `${e.event} ${JSON.stringify(e.payload)} at +${fmt(e.at - connected.at)} ms`).join('; ');
      throw new Error(`the victim left the observer before the signal was sent: ${what || 'no event'}`);
    }

    // How late this process's timers ran while waiting: a run over the bound whose timers ran
    // late was held up by the machine, not by the heartbeat.
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loopDelay.enable();
    const signalledAt = performance.now();
    victim.child.kill(scenario.signal);
    const sinceConnectMs = signalledAt - connected.at;
    const ofVictim = (name) => (e) => e.event === name && e.payload.nodeId === victim.nodeId;
    const dead = await log.waitFor(ofVictim('peer:dead'), { since: signalledAt, timeoutMs: FAIL_FACTOR * boundMs });
    // peer:disconnect is emitted right after peer:dead, in the same call.
    const disconnect = await log.waitFor(ofVictim('peer:disconnect'), { since: signalledAt, timeoutMs: dead ? boundMs : 0 });
    loopDelay.disable();
    const result = {
      scenario: scenario.name,
      config,
      boundMs,
      deadMs: dead ? dead.at - signalledAt : null,
      disconnectMs: disconnect ? disconnect.at - signalledAt : null,
      reason: dead?.payload.reason ?? null,
      silentForMs: dead?.payload.silentForMs ?? null,
      sinceConnectMs,
      timerLatenessMs: loopDelay.count ? Math.max(0, loopDelay.max / 1e6 - LOOP_DELAY_RESOLUTION_MS) : null,
      problem: null,
    };
    if (!dead && disconnect) result.problem = `peer:disconnect after ${fmt(result.disconnectMs)} ms but no peer:dead`;
    else if (!dead) result.problem = `no peer:dead within ${FAIL_FACTOR * boundMs} ms (${FAIL_FACTOR}x the bound)`;
    else if (!disconnect) result.problem = 'peer:dead without a following peer:disconnect';
    else if (dead.payload.reason !== scenario.reason) result.problem = `peer:dead reason '${dead.payload.reason}', expected '${scenario.reason}'`;
    return result;
  } finally {
    log.close();
    if (victim) await stopChild(victim);
    await observer.stop();
  }
}

function fmt(ms) {
  return ms === null || ms === undefined ? '-' : ms.toFixed(1);
}

/** min, median, p95 (nearest rank) and max of a list of ms figures. */
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (q) => sorted[Math.max(0, Math.ceil(q * n) - 1)];
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { min: sorted[0], median, p95: at(0.95), max: sorted[n - 1] };
}



/** SIGKILL what is still alive (a SIGSTOPped child would otherwise stay frozen forever). */
function onInterrupt(signal) {
  for (const child of live.children) child.kill('SIGKILL');
  for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`\n${signal}: children killed, temp folders removed\n`);
  process.exit(130);
}

async function main() {
  const parsed = readOptions(parseOptions, usage);
  if (parsed.code !== undefined) return parsed.code;
  const options = parsed.options;
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);

  console.log('heartbeat: time from a victim process dying to the observer removing it (peer:dead)');
  printMachine();
  const results = [];
  const started = performance.now();
  try {
    for (const config of options.configs) {
      const boundMs = detectionBoundMs(config.intervalMs, config.timeoutMs);
      console.log(`\ninterval ${config.intervalMs} ms, timeout ${config.timeoutMs} ms -> bound ${boundMs} ms; ${config.runs} run(s) per scenario`);
      for (const scenario of SCENARIOS) {
        for (let run = 1; run <= config.runs; run++) {
          let result;
          try {
            result = await runOnce(scenario, config);
          } catch (err) {
            result = { scenario: scenario.name, config, boundMs, deadMs: null, disconnectMs: null, reason: null, problem: err.message };
          }
          result.run = run;
          results.push(result);
          const detail = result.problem
            ? `FAILED: ${result.problem}`
            : `${result.reason}, signal ${fmt(result.sinceConnectMs)} ms after connect, disconnect +${fmt(result.disconnectMs - result.deadMs)} ms, silent for ${result.silentForMs} ms` +
              (result.timerLatenessMs === null ? '' : `, timers late by up to ${fmt(result.timerLatenessMs)} ms`);
          console.log(`  ${scenario.name.padEnd(7)} run ${String(run).padStart(2)}/${config.runs}  ${fmt(result.deadMs).padStart(8)} ms  ${detail}`);
        }
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }

  const rows = [];
  for (const config of options.configs) {
    for (const scenario of SCENARIOS) {
      const mine = results.filter((r) => r.config === config && r.scenario === scenario.name);
      const good = mine.filter((r) => !r.problem).map((r) => r.deadMs);
      const boundMs = detectionBoundMs(config.intervalMs, config.timeoutMs);
      const s = good.length ? summarize(good) : null;
      rows.push([
        scenario.name,
        `${config.intervalMs}/${config.timeoutMs}`,
        `${good.length}/${mine.length}`,
        fmt(s?.min),
        fmt(s?.median),
        fmt(s?.p95),
        fmt(s?.max),
        String(boundMs),
        s ? (s.median / boundMs).toFixed(3) : '-',
        s ? (s.max / boundMs).toFixed(3) : '-',
      ]);
    }
  }
  console.log('\nsignal -> peer:dead on the observer, ms (bound = max(interval + timeout, 2 x timeout))');
  console.log(
    table(['scenario', 'interval/timeout', 'runs ok', 'min', 'median', 'p95', 'max', 'bound', 'median/bound', 'max/bound'], rows),
  );

  const over = results.filter((r) => !r.problem && r.deadMs > r.boundMs + SCHEDULING_SLACK_MS);
  for (const r of over) {
    console.log(`OVER BOUND: ${r.scenario} run ${r.run} (${r.config.intervalMs}/${r.config.timeoutMs}): ${fmt(r.deadMs)} ms > ${r.boundMs} ms + ${SCHEDULING_SLACK_MS} ms slack`);
  }
  const failed = results.filter((r) => r.problem);
  for (const r of failed) {
    console.log(`FAILED: ${r.scenario} run ${r.run} (${r.config.intervalMs}/${r.config.timeoutMs}): ${r.problem}`);
  }
  console.log(
    `\n${results.length - failed.length}/${results.length} runs removed the victim within ${FAIL_FACTOR}x the bound` +
      (over.length ? `; ${over.length} over the bound` : '') +
      `; ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
  );
  return failed.length ? 1 : 0;
}

process.exitCode = await main();

/** Scenario and settings columns are text, the rest numbers. */
function table(headers, rows) {
  return tableWithLeft(headers, rows, 2);
}

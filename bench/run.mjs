#!/usr/bin/env node
/**
 * Runs the benchmarks in bench/, one after another, each in its own Node process (so one
 * that leaves a handle open or crashes cannot skew or stop the next). `npm run bench` maps
 * here.
 *
 * Usage: node bench/run.mjs [NAME...] [-- OPTIONS...]
 *   NAME      a benchmark to run: "heartbeat", "heartbeat.mjs" or "bench/heartbeat.mjs";
 *             none means every bench/*.mjs except this file, in name order.
 *   OPTIONS   everything from the first argument that starts with "-" on is passed to every
 *             benchmark run, e.g. `npm run bench -- heartbeat --runs 3`.
 * Exit code: 0 when every benchmark exited 0, 1 when one did not, 2 for an unknown name.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SELF = basename(fileURLToPath(import.meta.url));

const available = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.mjs') && f !== SELF)
  .sort();

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const names = firstOption === -1 ? args : args.slice(0, firstOption);
const passed = firstOption === -1 ? [] : args.slice(firstOption).filter((a, i) => !(i === 0 && a === '--'));

const selected = names.length ? names.map((n) => basename(n).replace(/\.mjs$/, '') + '.mjs') : available;
const unknown = selected.filter((f) => !available.includes(f));
if (unknown.length) {
  console.error(`unknown benchmark: ${unknown.map((f) => f.replace(/\.mjs$/, '')).join(', ')}; available: ${available.map((f) => f.replace(/\.mjs$/, '')).join(', ')}`);
  process.exit(2);
}

// Ctrl-C reaches the benchmark too (same process group); wait for it to clean up and exit.
let interrupted = false;
const onInterrupt = () => (interrupted = true);
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);

const outcomes = [];
for (const file of selected) {
  if (interrupted) break;
  console.log(`\n=== ${file.replace(/\.mjs$/, '')} (bench/${file}${passed.length ? ' ' + passed.join(' ') : ''}) ===`);
  const started = performance.now();
  const child = spawn(process.execPath, [join(BENCH_DIR, file), ...passed], { stdio: 'inherit' });
  const [code, signal] = await once(child, 'exit');
  outcomes.push({ file, code, signal, seconds: (performance.now() - started) / 1000 });
}
process.off('SIGINT', onInterrupt);
process.off('SIGTERM', onInterrupt);

console.log('\n=== summary ===');
for (const o of outcomes) {
  const status = o.code === 0 ? 'ok' : o.signal ? `killed by ${o.signal}` : `FAILED (exit ${o.code})`;
  console.log(`${o.file.replace(/\.mjs$/, '').padEnd(16)} ${status.padEnd(18)} ${o.seconds.toFixed(1)} s`);
}
if (interrupted) console.log('interrupted: the remaining benchmarks were not run');
process.exitCode = interrupted || outcomes.some((o) => o.code !== 0) ? 1 : 0;

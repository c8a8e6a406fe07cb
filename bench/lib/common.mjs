// Helpers shared by the benchmarks (not a benchmark itself: bench/run.mjs runs bench/*.mjs only).
import os from 'node:os';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Parse a --name value as a whole number >= 1. @throws Error naming the option */
export function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a whole number of at least 1, got "${text}"`);
  return n;
}

/** A text table; the first `leftColumns` columns are left-aligned, the rest right-aligned (numbers). */
export function table(headers, rows, leftColumns = 1) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line saying what machine the figures come from. */
export function printMachine() {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.release()}, node ${process.version}, load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

/**
 * Selected events of a node with the performance.now() they arrived at, and a way to wait
 * for one: `waitFor(match, timeoutMs)` looks at every event recorded so far, then at new ones,
 * and resolves with the first match or null after the timeout.
 */
export class EventLog {
  entries = [];
  #waiters = new Set();
  #off;

  constructor(node, names) {
    const wanted = new Set(names);
    this.#off = node.onAny((event, payload) => {
      if (!wanted.has(event)) return;
      const entry = { event, payload, at: performance.now() };
      this.entries.push(entry);
      for (const w of this.#waiters) if (w.match(entry)) w.finish(entry);
    });
  }

  waitFor(match, timeoutMs) {
    const found = this.entries.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter = {
        match,
        finish: (entry) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(entry);
        },
      };
      const timer = setTimeout(() => waiter.finish(null), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  close() {
    this.#off();
    for (const w of this.#waiters) w.finish(null);
  }
}

/**
 * Parse the command line with `parse` (throws on bad input). Returns `{ options }`, or
 * `{ code }` after printing usage: 0 for --help, 2 for bad input.
 */
export function readOptions(parse, usage, argv = process.argv.slice(2)) {
  let options;
  try {
    options = parse(argv);
  } catch (err) {
    console.error(`${err.message}\n${usage()}`);
    return { code: 2 };
  }
  if (options.help) {
    console.log(usage());
    return { code: 0 };
  }
  return { options };
}

/**
 * The whole-image save, outside the SDK (the reference the benches measure the store against):
 * write a temporary file, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(path, data) {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, path);
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)), so a benchmark's graph and choices repeat. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile `p` (0..100) of an ascending array; NaN when empty. */
export const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
/** Median (nearest rank) of any array of numbers. */
export const median = (xs) => pct([...xs].sort((a, b) => a - b), 50);

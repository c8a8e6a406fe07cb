/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`) for bench/transfer.mjs --profile: self time
 * per function and per source file, and inclusive time of the SDK's own functions, counted only
 * over a time window (the transfer), with bundled frames (sdk/dist/*.js) mapped back to their
 * original files (sdk/src/..., node_modules/ws/...) through the bundle's source map.
 *
 * Profile timestamps are microseconds of the monotonic clock, the same clock as
 * process.hrtime.bigint() (in ns) in every process on the machine, so a window measured in
 * the benchmark process applies to its children's profiles too.
 *
 * Usage as a module: summarizeProfile(path, { fromUs, toUs }) -> summary; formatSummary(summary).
 * Usage from a shell: node bench/lib/cpuprofile.mjs FILE.cpuprofile [FROM_US TO_US] [TOP]
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceMaps = new Map();

/** The source map of a bundled file (by its URL in the profile), or null. */
function sourceMapFor(url) {
  if (!/\/sdk\/dist\/[^/]+\.js$/.test(url)) return null;
  if (!sourceMaps.has(url)) {
    let map = null;
    try {
      const path = url.startsWith('file:') ? fileURLToPath(url) : url;
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(url, map);
  }
  return sourceMaps.get(url);
}

/** Shorten a source path: node_modules/x/..., sdk/src/..., node:internal/... */
function shortPath(path) {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const src = path.indexOf('/src/');
  if (src >= 0) return `sdk${path.slice(src)}`;
  return path.replace(/^file:\/\//, '');
}

/** Where a call frame comes from: { file, line, name } with bundled code mapped back. */
function locate(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  let name = callFrame.functionName || '(anonymous)';
  if (!url) {
    // Native code, the VM's own entries, or code made with new Function (Ajv's validators).
    if (/^validate\d+$/.test(callFrame.functionName)) return { file: '(ajv compiled validator)', line: 0, name };
    if (name.startsWith('(')) return { file: name, line: 0, name };
    return { file: '(native)', line: 0, name };
  }
  if (url.startsWith('wasm://')) return { file: '(wasm: sql.js)', line: 0, name: 'wasm' };
  const map = sourceMapFor(url);
  if (map && lineNumber >= 0) {
    const entry = map.findEntry(lineNumber, columnNumber);
    if (entry?.originalSource) {
      return { file: shortPath(entry.originalSource.replace(/^(\.\.\/)+/, '/')), line: (entry.originalLine ?? 0) + 1, name };
    }
  }
  return { file: shortPath(url), line: lineNumber + 1, name };
}

/**
 * Self and inclusive time of every function over [fromUs, toUs] (default: the whole profile).
 * Returns { totalMs, idleMs, gcMs, programMs, functions: [{name, file, line, selfMs, totalMs}],
 * files: [{file, selfMs}] }, each list sorted by time.
 */
export function summarizeProfile(path, { fromUs = -Infinity, toUs = Infinity } = {}) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const located = new Map();
  const where = (id) => {
    if (!located.has(id)) {
      const loc = locate(nodes.get(id).callFrame);
      located.set(id, { ...loc, key: `${loc.name} ${loc.file}:${loc.line}` });
    }
    return located.get(id);
  };
  const functions = new Map();
  const files = new Map();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) continue;
    total += dt;
    const leaf = where(profile.samples[i]);
    const fn = functions.get(leaf.key) ?? { name: leaf.name, file: leaf.file, line: leaf.line, selfUs: 0, totalUs: 0 };
    fn.selfUs += dt;
    functions.set(leaf.key, fn);
    files.set(leaf.file, (files.get(leaf.file) ?? 0) + dt);
    // Inclusive: every distinct function on the stack, once (recursion counts once).
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = where(id);
      if (seen.has(frame.key)) continue;
      seen.add(frame.key);
      const f = functions.get(frame.key) ?? { name: frame.name, file: frame.file, line: frame.line, selfUs: 0, totalUs: 0 };
      f.totalUs += dt;
      functions.set(frame.key, f);
    }
  }
  const ms = (us) => us / 1000;
  const self = (file) => ms(files.get(file) ?? 0);
  return {
    totalMs: ms(total),
    idleMs: self('(idle)'),
    gcMs: self('(garbage collector)'),
    programMs: self('(program)'),
    functions: [...functions.values()]
      .filter((f) => f.name !== '(root)')
      .map((f) => ({ name: f.name, file: f.file, line: f.line, selfMs: ms(f.selfUs), totalMs: ms(f.totalUs) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    files: [...files].map(([file, us]) => ({ file, selfMs: ms(us) })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

/** Text of a summary: busy share, top functions by self time, by file, SDK functions by inclusive time. */
export function formatSummary(summary, { top = 25, indent = '  ' } = {}) {
  const { totalMs } = summary;
  const busy = totalMs - summary.idleMs;
  const pct = (x) => `${((100 * x) / Math.max(totalMs, 1e-9)).toFixed(1).padStart(5)}%`;
  const row = (x, label) => `${indent}${x.toFixed(0).padStart(7)} ms ${pct(x)}  ${label}`;
  const lines = [
    `${indent}window ${totalMs.toFixed(0)} ms: busy ${busy.toFixed(0)} ms (${pct(busy).trim()}), idle ${summary.idleMs.toFixed(0)} ms, ` +
      `GC ${summary.gcMs.toFixed(0)} ms, (program) ${summary.programMs.toFixed(0)} ms`,
    `${indent}self time by function (native calls such as writev / read / writeBuffer include time the thread was descheduled inside them):`,
  ];
  for (const f of summary.functions.filter((f) => f.selfMs > 0).slice(0, top)) {
    lines.push(row(f.selfMs, `${f.name}  ${f.file}${f.line ? `:${f.line}` : ''}`));
  }
  lines.push(`${indent}self time by source file:`);
  for (const f of summary.files.slice(0, Math.ceil(top / 2))) lines.push(row(f.selfMs, f.file));
  lines.push(`${indent}inclusive time of SDK functions (sdk/src):`);
  const sdk = summary.functions.filter((f) => f.file.startsWith('sdk/src/')).sort((a, b) => b.totalMs - a.totalMs);
  for (const f of sdk.slice(0, top)) lines.push(row(f.totalMs, `${f.name}  ${f.file}:${f.line}`));
  return lines.join('\n');
}

// From a shell: print one profile's summary.
if (process.argv[1] && basename(process.argv[1]) === 'cpuprofile.mjs') {
  const [file, from, to, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile [FROM_US TO_US] [TOP]');
    process.exitCode = 2;
  } else {
    const summary = summarizeProfile(file, { fromUs: from ? Number(from) : undefined, toUs: to ? Number(to) : undefined });
    console.log(formatSummary(summary, { top: top ? Number(top) : 25 }));
  }
}

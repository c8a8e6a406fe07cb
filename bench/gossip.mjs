#!/usr/bin/env node
/**
 * Gossip benchmark: one message to every node, how fast and with how many copies.
 *
 * N nodes (default 50) run in this process, in memory, with real sockets on 127.0.0.1; each
 * dials `--dials` (default 3 or 4, alternately) random others, so a node has about 7 links.
 * The same graph (seeded PRNG) is built twice: once with the gossip capability's default mode
 * (Plumtree, fanout-bounded eager set, IHave/Graft/Prune) and once with `mode: 'flood'`
 * (every new message to every peer but its sender: the naive reference). In each, M messages
 * (default 40) are published one after the other from random nodes; each waits until every
 * other node delivered it (or 5 s passed).
 *
 * Per mode: messages that reached every node; time from publish to the last node's delivery
 * (median, p95); copies received per node per message (Gossip frames, first copies and
 * duplicates, over M x (N - 1)); hops of the first copy; IHave and Graft frames. The per-hop
 * latency is measured in the same run: for every message, the time from publish to its first
 * delivery at a direct neighbour of the publisher (median over the messages); the heartbeat's
 * round-trip time / 2 is printed beside it. Goals (issue 8): p95 to reach all within
 * 2 x log2(N) x per-hop latency, and at most 3 copies per node per message on average.
 *
 * Usage: node bench/gossip.mjs [--nodes N] [--messages M] [--seed S] [--fanout F]
 * Exit code: 0 when every message reached every node in Plumtree mode, 1 otherwise, 2 for bad arguments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createNode, gossip, heartbeat } from '@plexus/sdk';
import { positiveInt, printMachine, readOptions, table } from './lib/common.mjs';

const DEFAULT_NODES = 50;
const DEFAULT_MESSAGES = 40;
const DEFAULT_SEED = 8;
/** How long one message may take to reach everyone before it counts as not reaching (ms). */
const REACH_TIMEOUT_MS = 5_000;
/** Pause between one message reaching everyone and the next publication (ms): lets Prunes land. */
const GAP_MS = 20;
const TOPIC = 'bench';

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { nodes: { type: 'string' }, messages: { type: 'string' }, seed: { type: 'string' }, fanout: { type: 'string' }, help: { type: 'boolean' } },
  });
  return {
    help: values.help,
    nodes: values.nodes ? positiveInt('nodes', values.nodes) : DEFAULT_NODES,
    messages: values.messages ? positiveInt('messages', values.messages) : DEFAULT_MESSAGES,
    seed: values.seed ? positiveInt('seed', values.seed) : DEFAULT_SEED,
    fanout: values.fanout ? positiveInt('fanout', values.fanout) : undefined,
  };
}

const usage = () => 'usage: node bench/gossip.mjs [--nodes N] [--messages M] [--seed S] [--fanout F]';

/** mulberry32: a small seeded PRNG, so both modes get the same graph and publishers. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function graph(n, rand) {
  const edges = new Set();
  const key = (a, b) => (a < b ? `${a}-${b}` : `${b}-${a}`);
  for (let i = 0; i < n; i++) {
    const dials = i % 2 === 0 ? 3 : 4;
    let made = 0;
    while (made < dials) {
      const j = Math.floor(rand() * n);
      if (j === i || edges.has(key(i, j))) continue;
      edges.add(key(i, j));
      made++;
    }
  }
  return [...edges].map((e) => e.split('-').map(Number));
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const median = (xs) => pct([...xs].sort((a, b) => a - b), 50);

async function runMode(mode, options, edges, publishers) {
  const n = options.nodes;
  const nodes = [];
  const arrivals = []; // per node: id -> performance.now() of delivery
  try {
    for (let i = 0; i < n; i++) {
      const node = await createNode({ dataDir: null, capabilities: [heartbeat(), gossip({ mode, fanout: options.fanout })] });
      nodes.push(node);
      const seen = new Map();
      node.gossip.register(TOPIC, { deliver: (m) => seen.set(m.id, performance.now()) });
      arrivals.push(seen);
    }
    const neighbours = nodes.map(() => new Set());
    for (const [a, b] of edges) {
      await nodes[a].connect(nodes[b].p2pAddress);
      neighbours[a].add(b);
      neighbours[b].add(a);
    }
    const deadline = Date.now() + 30_000;
    while (!nodes.every((node, i) => node.peers().length === neighbours[i].size && node.peers().every((p) => p.rttMs != null))) {
      if (Date.now() > deadline) throw new Error('links did not all come up within 30 s');
      await sleep(50);
    }
    const rtts = nodes.flatMap((node) => node.peers().map((p) => p.rttMs));
    const results = [];
    for (let k = 0; k < publishers.length; k++) {
      const origin = publishers[k];
      const t0 = performance.now();
      const { id } = nodes[origin].gossip.publish(TOPIC, { k, mode, at: Date.now() });
      const limit = t0 + REACH_TIMEOUT_MS;
      while (!arrivals.every((a, i) => i === origin || a.has(id)) && performance.now() < limit) await sleep(1);
      const times = arrivals.flatMap((a, i) => (i === origin || !a.has(id) ? [] : [a.get(id) - t0]));
      const firstHop = Math.min(...[...neighbours[origin]].filter((j) => arrivals[j].has(id)).map((j) => arrivals[j].get(id) - t0));
      results.push({ reached: times.length === n - 1, allMs: Math.max(...times), firstHopMs: firstHop, hops: nodes.flatMap((node, i) => (i === origin ? [] : [node.gossip.message(id)?.hops ?? 0])) });
      await sleep(GAP_MS);
    }
    await sleep(200); // late copies and Grafts counted too
    const stats = nodes.map((node) => node.gossip.stats());
    const sum = (f) => stats.reduce((s, x) => s + f(x), 0);
    const perNodeMsg = options.messages * (n - 1);
    const all = results.filter((r) => r.reached).map((r) => r.allMs).sort((a, b) => a - b);
    const hops = results.flatMap((r) => r.hops);
    return {
      mode,
      reached: results.filter((r) => r.reached).length,
      p50: pct(all, 50),
      p95: pct(all, 95),
      perHop: median(results.map((r) => r.firstHopMs)),
      halfRtt: median(rtts) / 2,
      copies: sum((s) => s.copiesReceived) / perNodeMsg,
      duplicates: sum((s) => s.duplicates) / perNodeMsg,
      meanHops: hops.reduce((s, h) => s + h, 0) / hops.length,
      maxHops: Math.max(...hops),
      ihave: sum((s) => s.ihaveSent) / perNodeMsg,
      grafts: sum((s) => s.graftsSent),
      links: edges.length,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

async function main() {
  const read = readOptions(parse, usage);
  if (!read.options) return read.code;
  const options = read.options;
  printMachine();
  const rand = prng(options.seed);
  const edges = graph(options.nodes, rand);
  const publishers = Array.from({ length: options.messages }, () => Math.floor(rand() * options.nodes));
  const degree = (2 * edges.length) / options.nodes;
  console.log(`${options.nodes} nodes, ${edges.length} links (mean degree ${degree.toFixed(1)}), ${options.messages} messages from random nodes, one at a time, seed ${options.seed}`);
  const rows = [];
  for (const mode of ['plumtree', 'flood']) {
    const started = performance.now();
    const r = await runMode(mode, options, edges, publishers);
    console.log(`  ${mode}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    rows.push(r);
  }
  const bound = (r) => 2 * Math.log2(options.nodes) * r.perHop;
  console.log('\ntime from publish to the last node (ms); copies = Gossip frames received per node per message');
  console.log(
    table(
      ['mode', 'reached all', 'p50 ms', 'p95 ms', 'per-hop ms', 'RTT/2 ms', '2log2(N)*hop', 'p95/bound', 'copies', 'dups', 'IHave/node/msg', 'grafts', 'hops mean', 'hops max'],
      rows.map((r) => [
        r.mode,
        `${r.reached}/${options.messages}`,
        r.p50.toFixed(1),
        r.p95.toFixed(1),
        r.perHop.toFixed(2),
        r.halfRtt.toFixed(2),
        bound(r).toFixed(1),
        (r.p95 / bound(r)).toFixed(2),
        r.copies.toFixed(2),
        r.duplicates.toFixed(2),
        r.ihave.toFixed(2),
        String(r.grafts),
        r.meanHops.toFixed(2),
        String(r.maxHops),
      ]),
    ),
  );
  const [p, f] = rows;
  console.log(`\ngoal: every node reached                          plumtree ${p.reached}/${options.messages}, flood ${f.reached}/${options.messages}`);
  console.log(`goal: p95 <= 2 x log2(${options.nodes}) x per-hop (${bound(p).toFixed(1)} ms)   plumtree ${p.p95.toFixed(1)} ms: ${p.p95 <= bound(p) ? 'met' : 'NOT met'} (flood ${f.p95.toFixed(1)} ms vs its ${bound(f).toFixed(1)})`);
  console.log(`goal: at most 3 copies per node per message      plumtree ${p.copies.toFixed(2)}: ${p.copies <= 3 ? 'met' : 'NOT met'} (flood ${f.copies.toFixed(2)}; one copy per link would be ${((2 * p.links) / options.nodes).toFixed(2)})`);
  return p.reached === options.messages ? 0 : 1;
}

process.exitCode = await main();

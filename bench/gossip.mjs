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
 * other node delivered it (or 5 s passed). The first W (`--warmup`, default 5) are the warm-up:
 * Plumtree's eager links start as up to `fanout` per node and shrink to a tree as duplicates
 * are pruned, so they are reported on their own line and left out of p50/p95.
 *
 * Per mode: messages that reached every node; time from publish to the last node's delivery
 * (best, median, p95, over the messages after the warm-up); copies received per node per message
 * (Gossip frames, first copies and duplicates, over all M x (N - 1), warm-up included); hops
 * of the first copy; IHave and Graft frames. The per-hop latency is measured in the same run,
 * two ways: `idle hop`, for every message the time from publish to its first delivery at a
 * direct neighbour of the publisher (median over the messages: one hop while the event loop is
 * still quiet), with the heartbeat's round-trip time / 2 beside it; and `loaded hop`, for every
 * node and message the time from the delivery at the peer its first copy came from (the
 * publish, for the publisher's neighbours) to its own delivery (median over all first copies:
 * one hop while 50 nodes share this process's event loop, which is what a hop costs here
 * during a broadcast). `CPU ms/msg` is the process's CPU time (user + system) from a publish to
 * the last delivery, median over the messages after the warm-up: every node's work for one
 * message, done one after the other on this event loop, so no message can reach everyone here
 * sooner than about that. Goals (issue 8): p95 to reach all within 2 x log2(N) x per-hop latency,
 * and at most 3 copies per node per message on average.
 *
 * Usage: node bench/gossip.mjs [--nodes N] [--messages M] [--warmup W] [--seed S] [--fanout F]
 * Exit code: 0 when every message reached every node in Plumtree mode, 1 otherwise, 2 for bad arguments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createNode, gossip, heartbeat } from '@plexus/sdk';
import { median, pct, positiveInt, printMachine, prng, readOptions, table } from './lib/common.mjs';

const DEFAULT_NODES = 50;
const DEFAULT_MESSAGES = 40;
const DEFAULT_SEED = 8;
const DEFAULT_WARMUP = 5;
/** How long one message may take to reach everyone before it counts as not reaching (ms). */
const REACH_TIMEOUT_MS = 5_000;
/** Pause between one message reaching everyone and the next publication (ms): lets Prunes land. */
const GAP_MS = 20;
const TOPIC = 'bench';

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { nodes: { type: 'string' }, messages: { type: 'string' }, warmup: { type: 'string' }, seed: { type: 'string' }, fanout: { type: 'string' }, help: { type: 'boolean' } },
  });
  const messages = values.messages ? positiveInt('messages', values.messages) : DEFAULT_MESSAGES;
  const warmup = values.warmup === '0' ? 0 : values.warmup ? positiveInt('warmup', values.warmup) : Math.min(DEFAULT_WARMUP, messages - 1);
  if (warmup >= messages) throw new Error(`--warmup must be less than --messages (${messages}), got ${warmup}`);
  return {
    help: values.help,
    nodes: values.nodes ? positiveInt('nodes', values.nodes) : DEFAULT_NODES,
    messages,
    warmup,
    seed: values.seed ? positiveInt('seed', values.seed) : DEFAULT_SEED,
    fanout: values.fanout ? positiveInt('fanout', values.fanout) : undefined,
  };
}

const usage = () => 'usage: node bench/gossip.mjs [--nodes N] [--messages M] [--warmup W] [--seed S] [--fanout F]';


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


async function runMode(mode, options, edges, publishers) {
  const n = options.nodes;
  const nodes = [];
  const arrivals = []; // per node: id -> performance.now() of delivery
  const parents = []; // per node: id -> node ID of the peer the first copy came from
  try {
    for (let i = 0; i < n; i++) {
      const node = await createNode({ dataDir: null, capabilities: [heartbeat(), gossip({ mode, fanout: options.fanout })] });
      nodes.push(node);
      const seen = new Map();
      const from = new Map();
      node.gossip.register(TOPIC, {
        deliver: (m) => {
          seen.set(m.id, performance.now());
          from.set(m.id, m.from);
        },
      });
      arrivals.push(seen);
      parents.push(from);
    }
    const index = new Map(nodes.map((node, i) => [node.nodeId, i]));
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
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const { id } = nodes[origin].gossip.publish(TOPIC, { k, mode, at: Date.now() });
      const limit = t0 + REACH_TIMEOUT_MS;
      while (!arrivals.every((a, i) => i === origin || a.has(id)) && performance.now() < limit) await sleep(1);
      const cpu = process.cpuUsage(cpu0);
      const times = arrivals.flatMap((a, i) => (i === origin || !a.has(id) ? [] : [a.get(id) - t0]));
      const firstHop = Math.min(...[...neighbours[origin]].filter((j) => arrivals[j].has(id)).map((j) => arrivals[j].get(id) - t0));
      // One hop under load: delivery here minus delivery at the peer the first copy came from.
      const loadedHops = arrivals.flatMap((a, i) => {
        const p = index.get(parents[i].get(id));
        if (i === origin || !a.has(id) || p === undefined) return [];
        const parentAt = p === origin ? t0 : arrivals[p].get(id);
        return parentAt === undefined ? [] : [a.get(id) - parentAt];
      });
      results.push({ reached: times.length === n - 1, allMs: Math.max(...times), cpuMs: (cpu.user + cpu.system) / 1000, firstHopMs: firstHop, loadedHops, hops: nodes.flatMap((node, i) => (i === origin ? [] : [node.gossip.message(id)?.hops ?? 0])) });
      await sleep(GAP_MS);
    }
    await sleep(200); // late copies and Grafts counted too
    const stats = nodes.map((node) => node.gossip.stats());
    const sum = (f) => stats.reduce((s, x) => s + f(x), 0);
    const perNodeMsg = options.messages * (n - 1);
    const warm = results.slice(0, options.warmup);
    const steady = results.slice(options.warmup);
    const all = steady.filter((r) => r.reached).map((r) => r.allMs).sort((a, b) => a - b);
    const hops = results.flatMap((r) => r.hops);
    return {
      mode,
      reached: results.filter((r) => r.reached).length,
      warmupMs: warm.map((r) => (r.reached ? r.allMs : Infinity)),
      steadyReached: all.length,
      best: all[0],
      p50: pct(all, 50),
      p95: pct(all, 95),
      perHop: median(results.map((r) => r.firstHopMs)),
      loadedHop: median(steady.flatMap((r) => r.loadedHops)),
      cpuMs: median(steady.map((r) => r.cpuMs)),
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
  console.log(`${options.nodes} nodes, ${edges.length} links (mean degree ${degree.toFixed(1)}), ${options.messages} messages from random nodes, one at a time (the first ${options.warmup} a warm-up), seed ${options.seed}`);
  const rows = [];
  for (const mode of ['plumtree', 'flood']) {
    const started = performance.now();
    const r = await runMode(mode, options, edges, publishers);
    console.log(`  ${mode}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    rows.push(r);
  }
  const factor = 2 * Math.log2(options.nodes);
  console.log(`\ntime from publish to the last node (ms; p50/p95 after the warm-up); copies = Gossip frames received per node per message (all ${options.messages} messages)`);
  console.log(
    table(
      ['mode', 'reached all', 'warm-up max ms', 'best ms', 'p50 ms', 'p95 ms', 'idle hop ms', 'RTT/2 ms', 'loaded hop ms', 'p95/(2log2N*idle)', 'p95/(2log2N*loaded)', 'CPU ms/msg', 'copies', 'dups', 'IHave/node/msg', 'grafts', 'hops mean', 'hops max'],
      rows.map((r) => [
        r.mode,
        `${r.reached}/${options.messages}`,
        r.warmupMs.length ? Math.max(...r.warmupMs).toFixed(1) : '-',
        r.best.toFixed(1),
        r.p50.toFixed(1),
        r.p95.toFixed(1),
        r.perHop.toFixed(2),
        r.halfRtt.toFixed(2),
        r.loadedHop.toFixed(2),
        (r.p95 / (factor * r.perHop)).toFixed(2),
        (r.p95 / (factor * r.loadedHop)).toFixed(2),
        r.cpuMs.toFixed(1),
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
  const verdict = (ms, hop) => `${ms.toFixed(1)} ms vs ${(factor * hop).toFixed(1)}: ${ms <= factor * hop ? 'met' : 'NOT met'}`;
  console.log(`\ngoal: every node reached                                plumtree ${p.reached}/${options.messages}, flood ${f.reached}/${options.messages}`);
  console.log(`goal: p95 <= 2 x log2(${options.nodes}) x per-hop, idle hop      plumtree ${verdict(p.p95, p.perHop)} (flood ${verdict(f.p95, f.perHop)})`);
  console.log(`goal: p95 <= 2 x log2(${options.nodes}) x per-hop, loaded hop    plumtree ${verdict(p.p95, p.loadedHop)} (flood ${verdict(f.p95, f.loadedHop)})`);
  console.log(`goal: at most 3 copies per node per message            plumtree ${p.copies.toFixed(2)}: ${p.copies <= 3 ? 'met' : 'NOT met'} (flood ${f.copies.toFixed(2)}; one copy per link would be ${((2 * p.links) / options.nodes).toFixed(2)})`);
  return p.reached === options.messages ? 0 : 1;
}

process.exitCode = await main();

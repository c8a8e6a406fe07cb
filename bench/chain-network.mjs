#!/usr/bin/env node
/**
 * Chain network benchmark (issue 10): block propagation and sync, each figure beside a
 * reference measured in the same run.
 *
 * 1. Propagation. N nodes (--nodes, default 10 and 50) run in this process, in memory, with
 *    real sockets on 127.0.0.1 (heartbeat + gossip + chain, manual mining); each dials 3 or 4
 *    random others (seeded PRNG). --blocks-per-net blocks (default 12; the first 2 a warm-up)
 *    are mined one at a time by random nodes; for each, the time from the miner's own
 *    `chain:block` (the block accepted there, just before it is published) to the last
 *    node's `chain:block` for it. Reference: log2(N) x the hop latency measured in the same
 *    run, two ways (as bench/gossip.mjs): `idle hop`, publish to the first delivery at a
 *    neighbour of the miner (median over blocks), and `loaded hop`, delivery at a node minus
 *    delivery at the peer its copy came from (median over all copies, while N nodes share this
 *    event loop). `CPU ms/block`: this process's CPU time from the miner's acceptance to the
 *    last delivery (every node validates the block on this one event loop). The source
 *    design's goal: under 5 s.
 * 2. Sync. A source mines --sync-blocks blocks (default 10,000) into a data folder; the folder
 *    is copied twice (without its identity key), so three peers hold the same chain. Then,
 *    each time with a fresh in-memory node: headers alone (`chain.sync.syncHeaders`: GetHeaders
 *    batches of 2,000, each header decoded and checked), the whole sync from 1 peer, and from
 *    all 3 peers at once (the moving window, 16 blocks in flight per peer). Reference:
 *    validation alone, the same blocks accepted one by one by a fresh node with no network
 *    (`chain.accept`), which bounds how fast any sync on this machine can be.
 *
 * Usage: node bench/chain-network.mjs [--nodes 10,50] [--blocks-per-net 12] [--sync-blocks 10000] [--seed 8]
 * Exit code: 0 when every block reached every node and every sync ended on the source's head
 * with its state root, 1 otherwise, 2 for bad arguments.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createNode } from '@plexus/sdk';
import { median, pct, positiveInt, printMachine, prng, readOptions, table } from './lib/common.mjs';
import { chainCaps, startChainNetwork, until } from './lib/chain.mjs';

const WARMUP = 2;
/** How long one block may take to reach everyone before it counts as not reaching (ms). */
const REACH_TIMEOUT_MS = 10_000;
const GAP_MS = 20;
/** The node's key file in its data folder (sdk/src/identity: IDENTITY_FILE). */
const IDENTITY_FILE = 'identity.key';

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { nodes: { type: 'string' }, 'blocks-per-net': { type: 'string' }, 'sync-blocks': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } },
  });
  const perNet = values['blocks-per-net'] ? positiveInt('blocks-per-net', values['blocks-per-net']) : 12;
  if (perNet <= WARMUP) throw new Error(`--blocks-per-net must be above the ${WARMUP}-block warm-up`);
  return {
    help: values.help,
    nodes: (values.nodes ?? '10,50').split(',').map((v) => positiveInt('nodes', v)),
    perNet,
    syncBlocks: values['sync-blocks'] ? positiveInt('sync-blocks', values['sync-blocks']) : 10_000,
    seed: values.seed ? positiveInt('seed', values.seed) : 8,
  };
}
const usage = () => 'usage: node bench/chain-network.mjs [--nodes 10,50] [--blocks-per-net 12] [--sync-blocks 10000] [--seed 8]';

const caps = (syncInit) => chainCaps({ mode: 'manual', sync: syncInit });

/** Propagation of mined blocks to every node of an n-node network. */
async function propagation(n, perNet, rand) {
  const { nodes, neighbours, links } = await startChainNetwork(n, rand, () => caps());
  try {
    const arrivals = nodes.map((node) => {
      const seen = new Map(); // hash -> [performance.now(), from]
      node.on('chain:block', (e) => seen.set(e.hash, [performance.now(), e.from]));
      return seen;
    });
    const index = new Map(nodes.map((node, i) => [node.nodeId, i]));
    const results = [];
    for (let k = 0; k < perNet; k++) {
      const origin = Math.floor(rand() * n);
      const cpu0 = process.cpuUsage();
      const block = await nodes[origin].chain.mine();
      const hash = nodes[origin].chain.head().hash;
      const t0 = arrivals[origin].get(hash)[0];
      const limit = performance.now() + REACH_TIMEOUT_MS;
      while (!arrivals.every((a) => a.has(hash)) && performance.now() < limit) await sleep(1);
      const cpu = process.cpuUsage(cpu0);
      const times = arrivals.flatMap((a, i) => (i === origin || !a.has(hash) ? [] : [a.get(hash)[0] - t0]));
      const firstHop = Math.min(...[...neighbours[origin]].filter((j) => arrivals[j].has(hash)).map((j) => arrivals[j].get(hash)[0] - t0));
      const loadedHops = arrivals.flatMap((a, i) => {
        const got = a.get(hash);
        const p = got ? index.get(got[1]) : undefined;
        if (i === origin || p === undefined || !arrivals[p].has(hash)) return [];
        return [got[0] - arrivals[p].get(hash)[0]];
      });
      results.push({ reached: times.length === n - 1, allMs: Math.max(...times), firstHop, loadedHops, cpuMs: (cpu.user + cpu.system) / 1000, height: block.header.height });
      await sleep(GAP_MS);
    }
    const steady = results.slice(WARMUP);
    const all = steady.filter((r) => r.reached).map((r) => r.allMs).sort((a, b) => a - b);
    return {
      n,
      links,
      reached: results.filter((r) => r.reached).length,
      total: results.length,
      p50: pct(all, 50),
      p95: pct(all, 95),
      idleHop: median(results.map((r) => r.firstHop)),
      loadedHop: median(steady.flatMap((r) => r.loadedHops)),
      cpuMs: median(steady.map((r) => r.cpuMs)),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

/** Sync of a long chain: headers alone, from 1 peer, from 3 peers; validation alone as the reference. */
async function sync(blocks) {
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'plexus-bench-chain-')));
  const running = [];
  const start = async (init) => {
    const node = await createNode({ api: false, p2pPort: 0, ...init });
    running.push(node);
    return node;
  };
  try {
    let t = performance.now();
    const source = await start({ dataDir: dirs[0], capabilities: caps() });
    for (let i = 0; i < blocks; i++) await source.chain.mine();
    const head = source.chain.head();
    const chainBlocks = [];
    for (let h = 1; h <= blocks; h++) chainBlocks.push(source.chain.block(h).block);
    await source.stop();
    running.pop();
    for (const d of dirs.slice(1)) {
      cpSync(dirs[0], d, { recursive: true });
      rmSync(join(d, IDENTITY_FILE)); // a new identity: three peers, one chain
    }
    console.log(`sync: ${blocks.toLocaleString('en-US')} blocks mined in ${((performance.now() - t) / 1000).toFixed(1)} s and copied to 3 peers`);
    const peers = [];
    for (const d of dirs) peers.push(await start({ dataDir: d, capabilities: caps({ autoSync: false }) }));
    if (!peers.every((p) => p.chain.head().hash === head.hash)) throw new Error('a copied peer does not hold the chain');

    const ok = (node) => node.chain.head().hash === head.hash && node.chain.stateRoot() === head.stateRoot;
    const rows = [];
    // Reference: validation alone, no network.
    const alone = await start({ dataDir: null, capabilities: caps({ autoSync: false }) });
    t = performance.now();
    for (const b of chainBlocks) alone.chain.accept(b, null);
    const aloneMs = performance.now() - t;
    rows.push(['validation alone, no network (reference)', aloneMs, ok(alone), '']);
    // Headers alone.
    const h = await start({ dataDir: null, capabilities: caps({ autoSync: false }) });
    await h.connect(peers[0].p2pAddress);
    t = performance.now();
    const got = await h.chain.sync.syncHeaders(peers[0].nodeId);
    rows.push([`headers alone, 1 peer (${got.toLocaleString('en-US')} headers)`, performance.now() - t, got === blocks, '']);
    // Whole sync, 1 peer then 3 peers.
    for (const k of [1, 3]) {
      const fresh = await start({ dataDir: null, capabilities: caps() });
      const from = new Map();
      fresh.on('chain:block', (e) => from.set(e.from, (from.get(e.from) ?? 0) + 1));
      t = performance.now();
      await Promise.all(peers.slice(0, k).map((p) => fresh.connect(p.p2pAddress)));
      await until(() => fresh.chain.head().height >= blocks, `the ${k}-peer sync`, 30 * 60_000);
      const ms = performance.now() - t;
      rows.push([`blocks, ${k} peer${k > 1 ? 's' : ''}`, ms, ok(fresh), peers.slice(0, k).map((p) => from.get(p.nodeId) ?? 0).join(' / ')]);
    }
    return { rows, aloneMs };
  } finally {
    await Promise.all(running.map((node) => node.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function main() {
  const read = readOptions(parse, usage);
  if (!read.options) return read.code;
  const o = read.options;
  printMachine();
  const rand = prng(o.seed);
  let good = true;
  const prop = [];
  for (const n of o.nodes) {
    const r = await propagation(n, o.perNet, rand);
    good &&= r.reached === r.total;
    prop.push(r);
  }
  console.log(`\nblock propagation: ${o.perNet} blocks per network mined by random nodes, one at a time (the first ${WARMUP} a warm-up); ms from the miner's acceptance to the last node's`);
  console.log(
    table(
      ['nodes', 'links', 'reached all', 'p50 ms', 'p95 ms', 'idle hop ms', 'loaded hop ms', 'log2N x idle', 'log2N x loaded', 'p95/(log2N x loaded)', 'CPU ms/block', 'goal < 5 s'],
      prop.map((r) => {
        const f = Math.log2(r.n);
        return [String(r.n), String(r.links), `${r.reached}/${r.total}`, r.p50.toFixed(1), r.p95.toFixed(1), r.idleHop.toFixed(1), r.loadedHop.toFixed(1), (f * r.idleHop).toFixed(1), (f * r.loadedHop).toFixed(1), (r.p95 / (f * r.loadedHop)).toFixed(2), r.cpuMs.toFixed(1), r.p95 < 5000 ? 'met' : 'NOT met'];
      }),
    ),
  );
  console.log('');
  const s = await sync(o.syncBlocks);
  const one = s.rows.find((r) => r[0] === 'blocks, 1 peer')[1];
  console.log(
    table(
      ['sync of the chain by a fresh node', 'seconds', 'blocks/s', 'x validation alone', 'x 1 peer', 'on the head', 'blocks from each peer'],
      s.rows.map(([name, ms, ok, from]) => {
        good &&= ok;
        return [name, (ms / 1000).toFixed(2), Math.round((o.syncBlocks / ms) * 1000).toLocaleString('en-US'), (s.aloneMs / ms).toFixed(2), (one / ms).toFixed(2), ok ? 'yes' : 'NO', from];
      }),
    ),
  );
  console.log('\n"x validation alone" and "x 1 peer" are speeds relative to those rows (above 1: faster).');
  return good ? 0 : 1;
}

process.exitCode = await main();

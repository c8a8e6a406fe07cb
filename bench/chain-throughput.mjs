#!/usr/bin/env node
/**
 * Chain network throughput (issue 10): confirmed transfers per second on every node of a 10-
 * and a 50-node network, beside the offered rate, the single-node validation rate measured in
 * the same run (the ceiling) and the source design's target of 100 tx/s.
 *
 * 0. Ceiling (same run, just before each network): two fresh in-memory nodes, no network; 1,000
 *    transfers (20 senders x 50) are admitted on one (`chain.submit`) and their blocks
 *    validated on the other (`chain.accept`), as bench/chain.mjs does. Every node of a network
 *    does both for every transaction (admission when it arrives by gossip, validation when its
 *    block does), so one node's ceiling is 1 / (1/admission + 1/validation) tx/s; here all N
 *    nodes share this process's one event loop, which bounds the network at that / N.
 * 1. For each N of --nodes: N nodes in this process, in memory, with real sockets on
 *    127.0.0.1 (heartbeat + gossip + chain), each dialing 3 or 4 random others (seeded). Node 0
 *    is the only miner (one miner: no forks to blur the count); the others never mine. By
 *    default it mines `interval` blocks every --block-ms (1,000): the chain keeps moving as a
 *    live chain does, so a node that missed a block catches up at the next one, and a full
 *    block per interval caps the rate at (transfers in a full block) / block time. With
 *    --mine automine it mines as soon as its mempool holds a transaction instead (as fast as
 *    blocks can be built; no block comes after the last transaction). Node 0 funds --senders
 *    identities (not timed).
 * 2. For --seconds, transfers (pre-signed: senders in turn, 1 coin to a fresh recipient, fee
 *    1 to 3) are submitted at --rate per second, each to a random node other than the miner,
 *    so every transaction travels by gossip. A transaction counts as confirmed once the block
 *    holding it (the miner's `tx:confirmed` gives its height) is on every node's main chain
 *    (each node's `chain:block`). The run ends when every transaction is confirmed, or after
 *    STALL_MS (60 s) without a new confirmation (a failure).
 * Figures: offered tx/s (submitted / sending time); confirmed tx/s (transactions / time from
 * the first submission to the last confirmation on all nodes); confirmed during the sending
 * time; confirmation latency p50/p95 (submission to on every node); blocks and transactions
 * per block; the event loop's utilisation over the run (near 1: this process's CPU is the limit).
 * References: the offered rate, one node's rate from step 0 (and that / N), the block-size cap
 * (interval mining) and the 100 tx/s target.
 *
 * Usage: node bench/chain-throughput.mjs [--nodes 10,50] [--rate 120] [--seconds 5] [--senders 100] [--mine interval|automine] [--block-ms 1000] [--seed 8]
 * Exit code: 0 when no transaction was refused, every one was confirmed on every node, every
 * sender's account nonce counts its transactions, and every node holds the miner's block at
 * the height the miner had reached then (within 30 s; interval mining goes on) with a state
 * root that matches its own head; 1 otherwise; 2 for bad arguments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createNode, Identity } from '@plexus/sdk';
import { pct, positiveInt, printMachine, prng, readOptions, table } from './lib/common.mjs';
import { chainCaps, fund, sameHeadAndState, signTransfers, startChainNetwork, timeValidation, until } from './lib/chain.mjs';

/** The source design's throughput target (tx/s). */
const TARGET_TX_PER_S = 100;
/** Future nonces the mempool holds per sender (docs/protocol.md §21.10), and its size cap (MEMPOOL_MAX_TXS). */
const MAX_FUTURE_NONCES = 64;
const MEMPOOL_MAX_TXS = 5000;
/** After sending stops, how long without a new confirmation on all nodes ends the wait (ms). */
const STALL_MS = 60_000;
/** The sender's tick (ms): each tick submits what the offered rate makes due by then. */
const TICK_MS = 5;
/** Ceiling run: senders x transfers each. */
const CEILING_SENDERS = 20;
const CEILING_PER = 50;

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      senders: { type: 'string' },
      mine: { type: 'string' },
      'block-ms': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const o = {
    help: values.help,
    nodes: (values.nodes ?? '10,50').split(',').map((v) => positiveInt('nodes', v)),
    rate: positiveInt('rate', values.rate ?? '120'),
    seconds: positiveInt('seconds', values.seconds ?? '5'),
    senders: positiveInt('senders', values.senders ?? '100'),
    mine: values.mine ?? 'interval',
    blockMs: positiveInt('block-ms', values['block-ms'] ?? '1000'),
    seed: positiveInt('seed', values.seed ?? '8'),
  };
  if (o.mine !== 'interval' && o.mine !== 'automine') throw new Error(`--mine expects interval or automine, got "${o.mine}"`);
  if (o.mine === 'automine' && values['block-ms'] !== undefined) throw new Error('--block-ms is the interval mining block time: not with --mine automine');
  if (o.nodes.some((n) => n < 2)) throw new Error('--nodes expects networks of at least 2 nodes');
  const total = o.rate * o.seconds;
  // Neither bound may refuse a transaction even if none is mined while sending.
  if (total > MEMPOOL_MAX_TXS) throw new Error(`--rate x --seconds is ${total}: at most ${MEMPOOL_MAX_TXS} (the mempool's cap)`);
  if (Math.ceil(total / o.senders) > MAX_FUTURE_NONCES) throw new Error(`--rate x --seconds / --senders must be at most ${MAX_FUTURE_NONCES} (the mempool's future-nonce bound)`);
  return o;
}
const usage = () => 'usage: node bench/chain-throughput.mjs [--nodes 10,50] [--rate 120] [--seconds 5] [--senders 100] [--mine interval|automine] [--block-ms 1000] [--seed 8]';

/** One node's admission and validation rates of transfers (tx/s), and the transfers a full block held. */
async function ceiling() {
  const quiet = { dataDir: null, p2pPort: null, api: false };
  const a = await createNode({ ...quiet, capabilities: chainCaps({ mode: 'manual' }) });
  const b = await createNode({ ...quiet, capabilities: chainCaps({ mode: 'manual' }) });
  try {
    const senders = Array.from({ length: CEILING_SENDERS }, () => Identity.generate());
    await fund(a, senders.map((s) => s.nodeId), 4 * CEILING_PER);
    const txs = signTransfers(senders, a.chain.genesisHash, CEILING_PER);
    const start = a.chain.head().height;
    const r = await timeValidation(a, b, txs);
    if (!sameHeadAndState([a, b])) throw new Error('the ceiling run did not end on one head');
    let full = 0;
    for (let h = start + 1; h <= a.chain.head().height; h++) full = Math.max(full, a.chain.block(h).block.txs.length);
    return { admission: (txs.length / r.submitMs) * 1000, validation: (txs.length / r.acceptMs) * 1000, full };
  } finally {
    await a.stop();
    await b.stop();
  }
}

/** Offer `rate` transfers per second for `seconds` to an n-node network with one miner; measure what gets confirmed on every node. */
async function throughput(n, o, rand) {
  const mining = o.mine === 'automine' ? { mode: 'automine' } : { mode: 'interval', blockTimeMs: o.blockMs };
  const { nodes, links } = await startChainNetwork(n, rand, (i) => chainCaps(i === 0 ? mining : { mode: 'manual' }));
  const miner = nodes[0];
  try {
    const total = o.rate * o.seconds;
    const senders = Array.from({ length: o.senders }, () => Identity.generate());
    const per = Math.ceil(total / o.senders);
    await fund(miner, senders.map((s) => s.nodeId), 4 * per);
    const funded = miner.chain.head().height;
    await until(() => nodes.every((node) => node.chain.head().height >= funded), 'every node holds the funding blocks', 60_000);
    // Senders in turn: the j-th transaction is sender j % S's nonce floor(j / S).
    const bySender = senders.map((s) => signTransfers([s], miner.chain.genesisHash, per));
    const txs = Array.from({ length: total }, (_, j) => bySender[j % o.senders][Math.floor(j / o.senders)]);

    // Heights on every node, and when the last node connected each.
    const onAll = new Map(); // height -> performance.now() it was on every node
    const count = new Map();
    let reorgs = 0;
    for (const node of nodes) {
      node.on('chain:block', (e) => {
        const c = (count.get(e.height) ?? 0) + 1;
        count.set(e.height, c);
        if (c === n) onAll.set(e.height, performance.now());
      });
      node.on('chain:reorg', () => reorgs++);
    }
    const heightOf = new Map(); // tx hash -> height of its block on the miner
    miner.on('tx:confirmed', (e) => heightOf.set(e.hash, e.height));

    const submitted = []; // [hash, performance.now()]
    const rejected = [];
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    while (submitted.length + rejected.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000) + 1);
      while (submitted.length + rejected.length < due) {
        const tx = txs[submitted.length + rejected.length];
        const to = 1 + Math.floor(rand() * (n - 1));
        try {
          submitted.push([nodes[to].chain.submit(tx).hash, performance.now()]);
        } catch (err) {
          rejected.push(`${err.code ?? 'ERROR'}: ${err.message}`);
        }
      }
      await sleep(TICK_MS);
    }
    const sendEnd = performance.now();
    const confirmedAt = ([hash]) => onAll.get(heightOf.get(hash));
    let drained = false;
    for (let seen = -1, since = performance.now(); performance.now() - since < STALL_MS; await sleep(20)) {
      const now = submitted.filter((s) => confirmedAt(s) !== undefined).length;
      if (now === submitted.length) {
        drained = true;
        break;
      }
      if (now !== seen) [seen, since] = [now, performance.now()];
    }
    const end = performance.now();
    const elu = performance.eventLoopUtilization(elu0);
    const done = submitted.filter((s) => confirmedAt(s) !== undefined);
    const last = Math.max(...done.map(confirmedAt));
    const latencies = done.map((s) => confirmedAt(s) - s[1]).sort((a, b) => a - b);
    const heights = new Set(done.map(([hash]) => heightOf.get(hash)));
    const perBlock = [...heights].map((h) => miner.chain.block(h).block.txs.length);
    // The miner may keep mining (interval): compare every node at the height the miner is at now.
    const head = miner.chain.head();
    const reached = await until(() => nodes.every((node) => node.chain.head().height >= head.height), `every node at height ${head.height}`, 30_000).then(() => true, () => false);
    const agree = reached && nodes.every((node) => node.chain.block(head.height).hash === head.hash && node.chain.stateRoot() === node.chain.head().stateRoot);
    const nonces = senders.every((s, i) => miner.chain.account(s.nodeId).nonce === bySender[i].filter((_, k) => k * o.senders + i < total).length);
    return {
      n,
      links,
      total,
      confirmed: done.length,
      rejected,
      drained,
      offered: (total / (sendEnd - t0)) * 1000,
      rate: (done.length / (last - t0)) * 1000,
      whileSending: (done.filter((s) => confirmedAt(s) <= sendEnd).length / (sendEnd - t0)) * 1000,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      blocks: heights.size,
      perBlock: perBlock.reduce((x, y) => x + y, 0) / Math.max(1, perBlock.length),
      maxPerBlock: Math.max(0, ...perBlock),
      elu: elu.utilization,
      seconds: (end - t0) / 1000,
      reorgs,
      same: agree && nonces,
      behind: nodes.filter((node) => node.chain.head().height < head.height).map((node) => node.chain.head().height),
      head,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

async function main() {
  const read = readOptions(parse, usage);
  if (!read.options) return read.code;
  const o = read.options;
  printMachine();
  const rand = prng(o.seed);
  const results = [];
  let good = true;
  let full = 0;
  for (const n of o.nodes) {
    // The reference is measured again just before each network: the machine's load drifts.
    const c = await ceiling();
    const oneNode = 1 / (1 / c.admission + 1 / c.validation);
    full = Math.max(full, c.full);
    console.log(
      `one node, no network (${CEILING_SENDERS * CEILING_PER} transfers): admission ${Math.round(c.admission)} tx/s, validation ${Math.round(c.validation)} tx/s, ` +
        `both (what each node of a network does per transaction) ${Math.round(oneNode)} tx/s; a full block held ${c.full} transfers`,
    );
    const r = { ...(await throughput(n, o, rand)), oneNode };
    results.push(r);
    const ok = r.drained && r.rejected.length === 0 && r.confirmed === r.total && r.same;
    good &&= ok;
    console.log(
      `N=${n}: ${r.links} links, ${r.total} transfers in ${r.seconds.toFixed(1)} s, ${r.confirmed} confirmed on all nodes, ${r.rejected.length} refused, ${r.reorgs} reorgs; ` +
        `every node ${r.same ? 'holds' : 'does NOT hold'} block ${r.head.height} ${r.head.hash.slice(0, 16)} and a state root that matches its head` +
        (r.behind.length ? ` (${r.behind.length} behind, at ${r.behind.join(', ')})` : ''),
    );
    for (const why of new Set(r.rejected)) console.log(`  refused: ${why}`);
  }
  // The most a chain with one full block per block time can confirm.
  const cap = full / (o.blockMs / 1000);
  if (o.mine === 'interval') console.log(`block cap: ${full} transfers per ${o.blockMs} ms block = ${cap.toFixed(1)} tx/s (at the default 10 s block time: ${(full / 10).toFixed(1)} tx/s)`);
  const mining = o.mine === 'automine' ? 'one miner, automine' : `one miner, a block every ${o.blockMs} ms`;
  console.log(`\nthroughput: ${mining}; transfers offered at --rate ${o.rate} tx/s for ${o.seconds} s to random non-mining nodes; confirmed = in a block every node has connected`);
  console.log(
    table(
      ['nodes', 'one node tx/s', 'offered tx/s', 'confirmed tx/s', 'while sending', 'x offered', 'x one node', 'x one node / N', 'x block cap', 'x target 100', 'p50 s', 'p95 s', 'blocks', 'tx/block', 'max tx/block', 'event loop busy'],
      results.map((r) => [
        String(r.n),
        r.oneNode.toFixed(0),
        r.offered.toFixed(1),
        r.rate.toFixed(1),
        r.whileSending.toFixed(1),
        (r.rate / r.offered).toFixed(2),
        (r.rate / r.oneNode).toFixed(3),
        (r.rate / (r.oneNode / r.n)).toFixed(2),
        o.mine === 'automine' ? '-' : (r.rate / cap).toFixed(2),
        (r.rate / TARGET_TX_PER_S).toFixed(2),
        (r.p50 / 1000).toFixed(2),
        (r.p95 / 1000).toFixed(2),
        String(r.blocks),
        r.perBlock.toFixed(1),
        String(r.maxPerBlock),
        r.elu.toFixed(2),
      ]),
    ),
  );
  console.log(
    `\n"one node": one node admitting and validating, no network, measured just before the network (the ceiling of a network of one-core machines); ` +
      `"x one node / N": confirmed / (that / N), the bound when, as here, all N nodes share one event loop` +
      (o.mine === 'interval' ? `; "x block cap": confirmed / ${cap.toFixed(1)} tx/s.` : '.'),
  );
  return good ? 0 : 1;
}

process.exitCode = await main();

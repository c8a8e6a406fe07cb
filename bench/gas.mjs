#!/usr/bin/env node
/**
 * Gas benchmark: what one chain transaction that fills the contract heap costs every node,
 * beside a transaction that loops until it runs out of gas (the CPU bound gas was made for),
 * measured in the same run (docs/protocol.md §21.14).
 *
 * Setup (not timed): node A (in-memory, heartbeat + gossip + chain, manual mining) mines one
 * block per deploy; each deploy's `init` runs one contract below, and fails in its block
 * (CONTRACT_OUT_OF_GAS or CONTRACT_OUT_OF_MEMORY). A fresh node B then accepts A's blocks, the
 * work every other node does: the figure is B's time to accept each contract's block (execution
 * dominates), as a ratio of the CPU loop's block. --runs blocks per contract, median.
 *
 * Usage: node bench/gas.mjs [--runs N]   (default 3; --help)
 * Exit code: 0 when every contract failed with the expected code and the same gas in every run
 * and B ends on A's head with A's state root, 1 otherwise, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { chain, createNode, gossip, heartbeat } from '@plexus/sdk';
import { positiveInt, printMachine, readOptions, table } from './lib/common.mjs';

/** Each contract's `init`, and the code its deploy must fail with. */
const CONTRACTS = [
  ['CPU loop to the gas limit (reference)', 'let i = 0; for (;;) i++;', 'CONTRACT_OUT_OF_GAS'],
  ['string grown by doubling', 'let s = "x"; for (;;) s = s + s;', 'CONTRACT_OUT_OF_MEMORY'],
  ['100 kB strings pushed', 'const a = []; for (;;) a.push("x".repeat(100000));', 'CONTRACT_OUT_OF_MEMORY'],
  ['small objects pushed', 'const a = []; for (;;) a.push({ a: 1, b: [2] });', 'CONTRACT_OUT_OF_MEMORY'],
  ['object with many keys', 'const o = {}; for (let i = 0; ; i++) o["k" + i] = i;', 'CONTRACT_OUT_OF_MEMORY'],
  ['typed arrays of 64 KiB', 'const a = []; for (;;) a.push(new Uint8Array(65536));', 'CONTRACT_OUT_OF_MEMORY'],
  ['arrays of 10,000 filled', 'const a = []; for (;;) a.push(new Array(10000).fill(0));', 'CONTRACT_OUT_OF_MEMORY'],
  ['parsed JSON arrays', 'const a = [], s = "[" + "1,".repeat(1000) + "1]"; for (;;) a.push(JSON.parse(s));', 'CONTRACT_OUT_OF_MEMORY'],
];

function usage() {
  return `Usage: node bench/gas.mjs [--runs N]
  --runs N    blocks per contract; the figure is their median (default 3)
  -h, --help  this text`;
}
const { options, code } = readOptions((argv) => {
  const { values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } } });
  return { help: values.help, runs: positiveInt('runs', values.runs) };
}, usage);
if (!options) process.exit(code);
const { runs } = options;

// Two in-memory nodes that mine only when told to: A builds the blocks, B accepts them.
const [a, b] = await Promise.all(
  ['A', 'B'].map(() =>
    createNode({ dataDir: null, p2pPort: null, api: false, capabilities: [heartbeat({ intervalMs: 5000, timeoutMs: 15000 }), gossip(), chain({ mode: 'manual' })] }),
  ),
);
let ok = true;
try {
  printMachine();
  await a.chain.mine(); // funds A (fees are 0 anyway) and gives B a first block to accept untimed
  b.chain.accept(a.chain.block(1).block, null);
  const rows = [];
  let referenceMs = 0;
  for (const [name, body, code] of CONTRACTS) {
    const times = [];
    const gas = new Set();
    for (let r = 0; r < runs; r++) {
      const { hash } = a.chain.deploy(`gas-${rows.length}-${r}`, `export function init(state) { ${body} }`, [], 0);
      await a.chain.mine();
      const status = a.chain.tx(hash);
      const receipt = status?.receipt;
      if (receipt?.status !== 'failed' || receipt.error?.code !== code) {
        console.error(`${name}: expected ${code}, got ${JSON.stringify(receipt)}`);
        ok = false;
      }
      gas.add(receipt?.gasUsed);
      const t0 = performance.now();
      b.chain.accept(a.chain.block(a.chain.head().height).block, null);
      times.push(performance.now() - t0);
    }
    if (gas.size !== 1) {
      console.error(`${name}: gas differs between runs: ${[...gas].join(', ')}`);
      ok = false;
    }
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)];
    if (rows.length === 0) referenceMs = ms;
    rows.push([name, code.replace('CONTRACT_', ''), String([...gas][0]), ms.toFixed(0), (ms / referenceMs).toFixed(2)]);
  }
  console.log(`\none deploy per block, ${runs} blocks per contract; B's time to accept the block (median)\n`);
  console.log(table(['init of the deploy', 'fails with', 'gas', 'ms', 'x CPU loop'], rows));
  const same = b.chain.head().hash === a.chain.head().hash && b.chain.stateRoot() === a.chain.head().stateRoot;
  console.log(`\nB ${same ? 'ends on' : 'does NOT end on'} A's head ${a.chain.head().hash.slice(0, 16)} with the same state root`);
  ok &&= same;
} finally {
  await a.stop();
  await b.stop();
}
process.exitCode = ok ? 0 : 1;

#!/usr/bin/env node
/**
 * Chain benchmark: validated transfer transactions per second on one node, beside the Ed25519
 * verifications per second of the same machine in the same run (a transfer's signature check
 * is its largest cost, so that rate is the ceiling; the ratio is the figure to judge).
 *
 * Setup (not timed): node A (in-memory, heartbeat + gossip + chain, manual mining) mines a block,
 * funds --senders identities, mines; each sender signs --per transfers (nonces 0..per-1) to
 * random recipients.
 * 1. Mempool admission: A.chain.submit(tx) for every transaction (form, chain, key ownership,
 *    signature, nonce, funds, replacement and cap rules; gossip publish with no peers).
 * 2. A mines blocks until its mempool is empty (not timed).
 * 3. Block validation: a fresh node B accepts A's blocks one by one (B.chain.accept): size,
 *    proof of work, parent, difficulty, time, miner signature, every transaction's signature,
 *    Merkle root, execution, state root, store writes.
 * Reference: node:crypto Ed25519 verify of the same transactions' signed bytes, one core.
 *
 * Usage: node bench/chain.mjs [--senders S] [--per N]   (defaults 80 x 50; N <= 65)
 * Exit code: 0 when B ends on A's head with A's state root, 1 otherwise, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { chain, createNode, gossip, heartbeat, Identity, signTx, txSigningPayload, verifySignature } from '@plexus/sdk';
import { positiveInt, printMachine, table } from './lib/common.mjs';

let args;
try {
  const { values } = parseArgs({ options: { senders: { type: 'string', default: '80' }, per: { type: 'string', default: '50' } } });
  args = { senders: positiveInt('senders', values.senders), per: positiveInt('per', values.per) };
  // The mempool holds nonces up to 64 above the account nonce (docs/protocol.md §21.10).
  if (args.per > 65) throw new Error('--per expects at most 65 (the mempool\'s future-nonce bound + 1)');
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

const caps = () => [heartbeat({ intervalMs: 5000, timeoutMs: 15000 }), gossip(), chain({ mode: 'manual' })];
const quiet = { dataDir: null, p2pPort: null, api: false };
const a = await createNode({ ...quiet, capabilities: caps() });
const b = await createNode({ ...quiet, capabilities: caps() });
let ok = false;
try {
  printMachine();
  const senders = Array.from({ length: args.senders }, () => Identity.generate());
  await a.chain.mine();
  for (let i = 0; i < senders.length; i++) {
    a.chain.transfer(senders[i].nodeId, 3 * args.per, 1);
    if (i % 60 === 59 || i === senders.length - 1) await a.chain.mine(); // within the future-nonce bound
  }
  const txs = [];
  for (const s of senders) {
    for (let n = 0; n < args.per; n++) txs.push(signTx(s, { kind: 'transfer', chain: a.chain.genesisHash, nonce: n, fee: 1 + (n % 3), to: Identity.generate().nodeId, amount: 1 }));
  }
  console.log(`${txs.length} transfers from ${senders.length} senders (${args.per} each)`);

  // Reference: Ed25519 verifications of the same signed bytes, nothing else.
  const payloads = txs.map((t) => [t.fromKey, txSigningPayload(t), t.signature]);
  let t0 = performance.now();
  let good = 0;
  for (const [key, data, sig] of payloads) if (verifySignature(key, data, sig)) good++;
  const verifyMs = performance.now() - t0;
  if (good !== txs.length) throw new Error('a reference verification failed');

  // 1. Mempool admission.
  t0 = performance.now();
  for (const t of txs) a.chain.submit(t);
  const submitMs = performance.now() - t0;

  // 2. Mine them (not timed).
  const startHeight = a.chain.head().height;
  while (a.chain.pending().length > 0) await a.chain.mine();
  const blocks = [];
  for (let h = 1; h <= a.chain.head().height; h++) blocks.push(a.chain.block(h).block);

  // 3. Block validation on a fresh node.
  for (const blk of blocks.slice(0, startHeight)) b.chain.accept(blk, null);
  const timed = blocks.slice(startHeight);
  t0 = performance.now();
  for (const blk of timed) b.chain.accept(blk, null);
  const acceptMs = performance.now() - t0;
  ok = b.chain.head().hash === a.chain.head().hash && b.chain.stateRoot() === a.chain.head().stateRoot;

  const rate = (n, ms) => (n / ms) * 1000;
  const ref = rate(txs.length, verifyMs);
  const row = (name, ms) => [name, (rate(txs.length, ms) | 0).toLocaleString('en-US'), `${(rate(txs.length, ms) / ref).toFixed(2)}`];
  console.log(`${timed.length} blocks of about ${Math.round(txs.length / timed.length)} transactions each\n`);
  console.log(
    table(['measure', 'tx/s', 'x Ed25519 verify'], [
      ['Ed25519 verify only (reference)', (ref | 0).toLocaleString('en-US'), '1.00'],
      row('mempool admission (submit)', submitMs),
      row('block validation (accept)', acceptMs),
    ]),
  );
  console.log(`\nB ${ok ? 'ends on' : 'does NOT end on'} A's head ${a.chain.head().hash.slice(0, 16)} with the same state root`);
} finally {
  await a.stop();
  await b.stop();
}
process.exitCode = ok ? 0 : 1;

#!/usr/bin/env node
/**
 * Chain benchmark: validated transactions per second on one node, transfers and contract calls,
 * beside the Ed25519 verifications per second of the same machine in the same run (a
 * transaction's signature check is the one cost every kind shares, so that rate is the ceiling;
 * the ratio is the figure to judge), and calls beside transfers (what running the contract adds).
 *
 * Setup (not timed): node A (in-memory, heartbeat + gossip + chain, manual mining) funds
 * 2 x (--senders + 4) identities, deploys --contract (examples/contracts/counter.js, or token.js whose
 * deployer then mints --per tokens to each calling sender) and mines. The first --senders
 * identities each sign --per transfers (nonces 0..per-1) to fresh recipients; the others each
 * sign --per calls (counter: `increment(1..5)`; token: `transfer(fresh recipient, 1)`).
 * 4 more senders of each kind go first through the steps below, untimed (a warm-up: whichever
 * kind ran first was otherwise up to 1.7 x slower). Then for the transfers, then for the calls:
 * 1. Mempool admission: A.chain.submit(tx) for every transaction (form, chain, key ownership,
 *    signature, nonce, funds, replacement and cap rules; gossip publish with no peers).
 * 2. A mines blocks until its mempool is empty (not timed).
 * 3. Block validation: a fresh node B accepts A's blocks one by one (B.chain.accept): size,
 *    proof of work, parent, difficulty, time, miner signature, every transaction's signature,
 *    Merkle root, execution (a call runs in the QuickJS sandbox: every validating node runs
 *    every call), state root, store writes.
 * Reference: node:crypto Ed25519 verify of all the transactions' signed bytes, one core.
 *
 * Usage: node bench/chain.mjs [--senders S] [--per N] [--contract counter|token]   (defaults 40 x 50, counter; N <= 65)
 * Exit code: 0 when B ends on A's head with A's state root, every call succeeded and the
 * contract's state is what the calls make it; 1 otherwise; 2 for bad arguments.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNode, Identity, signTx, txSigningPayload, verifySignature, verifyTx } from '@plexus/sdk';
import { positiveInt, printMachine, table } from './lib/common.mjs';
import { chainCaps, fund, NONCE_CHUNK, sameHeadAndState, signTransfers, timeValidation } from './lib/chain.mjs';

/** Senders of each kind whose transactions run first, untimed: a warm-up (JIT, statement caches), so that neither kind's timing pays it. */
const WARMUP_SENDERS = 4;
const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'contracts');

/**
 * What each contract's calls are: deploy arguments, setup calls from the deployer, the call a
 * sender makes (its i-th), and the check of the state the calls leave (a list of failures).
 */
const CONTRACTS = {
  counter: {
    deployArgs: [0],
    setup: () => [],
    call: (sender, i) => ['increment', [1 + (i % 5)]],
    check(node, address, senders, per) {
      let want = 0;
      for (let s = 0; s < senders.length; s++) for (let i = 0; i < per; i++) want += 1 + (i % 5);
      const got = node.chain.view(address, 'get').result;
      return got === want ? [] : [`count ${got}, expected ${want}`];
    },
  },
  token: {
    deployArgs: ['Bench Token', 'BT'],
    setup: (senders, per) => senders.map((s) => ['mint', [s.nodeId, per]]),
    call: () => ['transfer', [Identity.generate().nodeId, 1]],
    check(node, address, senders, per) {
      const errors = [];
      const supply = node.chain.view(address, 'totalSupply').result;
      if (supply !== senders.length * per) errors.push(`total supply ${supply}, expected ${senders.length * per}`);
      const left = senders.filter((s) => node.chain.view(address, 'balanceOf', [s.nodeId]).result !== 0).length;
      if (left > 0) errors.push(`${left} senders still hold tokens`);
      return errors;
    },
  },
};

let args;
try {
  const { values } = parseArgs({ options: { senders: { type: 'string', default: '40' }, per: { type: 'string', default: '50' }, contract: { type: 'string', default: 'counter' } } });
  args = { senders: positiveInt('senders', values.senders), per: positiveInt('per', values.per), contract: values.contract };
  // The mempool holds nonces up to 64 above the account nonce (docs/protocol.md §21.10).
  if (args.per > 65) throw new Error('--per expects at most 65 (the mempool\'s future-nonce bound + 1)');
  if (!Object.hasOwn(CONTRACTS, args.contract)) throw new Error(`--contract expects one of ${Object.keys(CONTRACTS).join(', ')}, got "${args.contract}"`);
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

const quiet = { dataDir: null, p2pPort: null, api: false };
const a = await createNode({ ...quiet, capabilities: chainCaps({ mode: 'manual' }) });
const b = await createNode({ ...quiet, capabilities: chainCaps({ mode: 'manual' }) });
const errors = [];
try {
  printMachine();
  const spec = CONTRACTS[args.contract];
  const transferSenders = Array.from({ length: WARMUP_SENDERS + args.senders }, () => Identity.generate());
  const callSenders = Array.from({ length: WARMUP_SENDERS + args.senders }, () => Identity.generate());
  await fund(a, [...transferSenders, ...callSenders].map((s) => s.nodeId), 3 * args.per);
  const deploy = a.chain.deploy(args.contract, readFileSync(join(CONTRACTS_DIR, `${args.contract}.js`), 'utf8'), spec.deployArgs, 1);
  await a.chain.mine();
  const address = deploy.hash;
  if (a.chain.tx(address).receipt?.status !== 'ok') throw new Error(`the ${args.contract} deploy failed: ${JSON.stringify(a.chain.tx(address).receipt)}`);
  const setup = spec.setup(callSenders, args.per);
  for (let i = 0; i < setup.length; i++) {
    a.chain.call(address, ...setup[i], 1);
    if (i % NONCE_CHUNK === NONCE_CHUNK - 1 || i === setup.length - 1) await a.chain.mine();
  }

  const genesis = a.chain.genesisHash;
  const allTransfers = signTransfers(transferSenders, genesis, args.per);
  const allCalls = [];
  for (const s of callSenders) {
    for (let n = 0; n < args.per; n++) {
      const [method, callArgs] = spec.call(s, n);
      allCalls.push(signTx(s, { kind: 'call', chain: genesis, nonce: n, fee: 1 + (n % 3), contract: address, method, args: callArgs }));
    }
  }
  const warm = WARMUP_SENDERS * args.per;
  const [transfers, calls] = [allTransfers.slice(warm), allCalls.slice(warm)];
  console.log(`${transfers.length} transfers and ${calls.length} calls of ${args.contract}.js (${args.senders} senders each, ${args.per} transactions per sender), after ${warm} of each untimed (warm-up)`);

  // Reference: Ed25519 verifications of the same signed bytes, nothing else.
  const all = [...transfers, ...calls];
  const payloads = all.map((t) => [t.fromKey, txSigningPayload(t), t.signature]);
  const t0 = performance.now();
  let good = 0;
  for (const [key, data, sig] of payloads) if (verifySignature(key, data, sig)) good++;
  const verifyMs = performance.now() - t0;
  if (good !== all.length) throw new Error('a reference verification failed');

  await timeValidation(a, b, [...allTransfers.slice(0, warm), ...allCalls.slice(0, warm)]);
  const tr = await timeValidation(a, b, transfers);
  const callHashes = new Set(calls.map((t) => verifyTx(t, genesis).hash)); // txHash is not exported by @plexus/sdk
  const receipts = { ok: 0, failed: 0, gas: 0 };
  const onReceipt = (e) => {
    if (!callHashes.has(e.hash)) return;
    receipts[e.status === 'ok' ? 'ok' : 'failed']++;
    receipts.gas += e.gasUsed;
  };
  b.on('tx:confirmed', onReceipt);
  const cr = await timeValidation(a, b, calls);
  b.off('tx:confirmed', onReceipt);

  const same = sameHeadAndState([a, b]);
  if (!same) errors.push("B does not end on A's head with the same state root");
  if (receipts.ok !== calls.length) errors.push(`${receipts.failed} of ${calls.length} calls failed, ${calls.length - receipts.ok - receipts.failed} have no receipt on B`);
  for (const node of [a, b]) errors.push(...spec.check(node, address, callSenders, args.per));

  const rate = (n, ms) => (n / ms) * 1000;
  const ref = rate(all.length, verifyMs);
  const fmt = (r) => (r | 0).toLocaleString('en-US');
  const row = (name, n, ms, base) => [name, fmt(rate(n, ms)), (rate(n, ms) / ref).toFixed(2), base === undefined ? '' : (rate(n, ms) / base).toFixed(2)];
  console.log(`transfers: ${tr.blocks} blocks of about ${Math.round(transfers.length / tr.blocks)}; calls: ${cr.blocks} blocks of about ${Math.round(calls.length / cr.blocks)}, ${(receipts.gas / calls.length).toFixed(2)} gas per call\n`);
  console.log(
    table(['measure', 'tx/s', 'x Ed25519 verify', 'x transfers'], [
      ['Ed25519 verify only (reference)', fmt(ref), '1.00', ''],
      row('transfers: mempool admission (submit)', transfers.length, tr.submitMs),
      row('transfers: block validation (accept)', transfers.length, tr.acceptMs),
      row('calls: mempool admission (submit)', calls.length, cr.submitMs, rate(transfers.length, tr.submitMs)),
      row('calls: block validation (accept)', calls.length, cr.acceptMs, rate(transfers.length, tr.acceptMs)),
    ]),
  );
  console.log(`\nB ${same ? 'ends on' : 'does NOT end on'} A's head ${a.chain.head().hash.slice(0, 16)} with the same state root; ${receipts.ok}/${calls.length} calls ok`);
} catch (err) {
  errors.push(err.message);
} finally {
  await a.stop();
  await b.stop();
}
for (const e of errors) console.error(`FAILED: ${e}`);
process.exitCode = errors.length === 0 ? 0 : 1;

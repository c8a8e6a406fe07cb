// Helpers shared by the chain benchmarks (bench/chain*.mjs): in-process networks of chain
// nodes on real sockets, funding accounts, signing batches and timing one node's validation.
import { setTimeout as sleep } from 'node:timers/promises';
import { chain, createNode, gossip, heartbeat, Identity, signTx } from '@plexus/sdk';

/** Nonces past the account nonce the mempool holds (docs/protocol.md §21.10: MEMPOOL_MAX_FUTURE_NONCES 64), minus a margin. */
export const NONCE_CHUNK = 60;

/** The capabilities of a benchmark chain node: heartbeat (5 s / 15 s), gossip, chain with `init`. */
export const chainCaps = (init = {}) => [heartbeat({ intervalMs: 5000, timeoutMs: 15000 }), gossip(), chain(init)];

/** Resolve once `cond()` holds (polled every 5 ms). @throws Error naming `what` after `timeoutMs` */
export async function until(cond, what, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/**
 * Start `n` in-memory nodes in this process with real sockets on 127.0.0.1; node i dials 3 or 4
 * random others (`rand`: a seeded PRNG; fewer in a small network where every link exists), and
 * this resolves once every link is up. `capsFor(i)` gives node i's capabilities. On a failure
 * the nodes started so far are stopped. Returns `{ nodes, neighbours, links }` (neighbours[i]:
 * a Set of node indexes; links: the number of distinct links).
 */
export async function startChainNetwork(n, rand, capsFor) {
  const nodes = [];
  try {
    for (let i = 0; i < n; i++) nodes.push(await createNode({ dataDir: null, api: false, capabilities: capsFor(i) }));
    const neighbours = nodes.map(() => new Set());
    const edges = new Set();
    for (let i = 0; i < n; i++) {
      let made = 0;
      for (let tries = 0; made < Math.min(i % 2 === 0 ? 3 : 4, n - 1) && tries < 20 * n; tries++) {
        const j = Math.floor(rand() * n);
        const k = i < j ? `${i}-${j}` : `${j}-${i}`;
        if (j === i || edges.has(k)) continue;
        edges.add(k);
        made++;
        await nodes[i].connect(nodes[j].p2pAddress);
        neighbours[i].add(j);
        neighbours[j].add(i);
      }
    }
    await until(() => nodes.every((node, i) => node.peers().length === neighbours[i].size), 'every link up', 30_000);
    return { nodes, neighbours, links: edges.size };
  } catch (err) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw err;
  }
}

/**
 * Give each of `ids` `amount` coins from `node`'s own account, in transfers (fee 1) of at most
 * NONCE_CHUNK at a time. A manual node mines each chunk (`chain.mine()`, and a block reward
 * first); an automine node mines its reward block, then mines by itself; an interval node is
 * left to mine by itself (a `mine()` call racing its timer would stop its interval mining:
 * see bench/README.md, chain-throughput).
 */
export async function fund(node, ids, amount, timeoutMs = 60_000) {
  const self = node.nodeId;
  if (node.chain.mode === 'interval') await until(() => node.chain.account(self).balance > 0, 'the funding node has mined a block', timeoutMs);
  else await node.chain.mine();
  for (let i = 0; i < ids.length; i++) {
    node.chain.transfer(ids[i], amount, 1);
    if (i % NONCE_CHUNK !== NONCE_CHUNK - 1 && i !== ids.length - 1) continue;
    if (node.chain.mode === 'manual') await node.chain.mine();
    else await until(() => node.chain.pending().length === 0, 'the funding transfers are mined', timeoutMs);
  }
}

/** `per` signed transfers of 1 coin from each of `senders` (nonces from `firstNonce`, fee 1 to 3) to fresh recipients, sender by sender. */
export function signTransfers(senders, genesisHash, per, firstNonce = 0) {
  const txs = [];
  for (const s of senders) {
    for (let n = firstNonce; n < firstNonce + per; n++) {
      txs.push(signTx(s, { kind: 'transfer', chain: genesisHash, nonce: n, fee: 1 + (n % 3), to: Identity.generate().nodeId, amount: 1 }));
    }
  }
  return txs;
}

/**
 * One node's validation of `txs`, the way chain.mjs measures it: mempool admission on `a`
 * (`a.chain.submit` of each, timed), `a` mines until its mempool is empty (not timed), `b`
 * catches up to where `a` started (not timed), then accepts `a`'s new blocks one by one
 * (`b.chain.accept`, timed). Both nodes manual, in memory. Returns `{ submitMs, acceptMs, blocks }`.
 * @throws TxRejectedError when `a` refuses a transaction
 */
export async function timeValidation(a, b, txs) {
  let t0 = performance.now();
  for (const t of txs) a.chain.submit(t);
  const submitMs = performance.now() - t0;
  const start = a.chain.head().height;
  while (a.chain.pending().length > 0) await a.chain.mine();
  for (let h = b.chain.head().height + 1; h <= start; h++) b.chain.accept(a.chain.block(h).block, null);
  const timed = [];
  for (let h = start + 1; h <= a.chain.head().height; h++) timed.push(a.chain.block(h).block);
  t0 = performance.now();
  for (const blk of timed) b.chain.accept(blk, null);
  return { submitMs, acceptMs: performance.now() - t0, blocks: timed.length };
}

/** Whether every node of `nodes` holds the same head as the first, with the state root its header commits to. */
export function sameHeadAndState(nodes) {
  const head = nodes[0].chain.head();
  return nodes.every((node) => node.chain.head().hash === head.hash && node.chain.stateRoot() === head.stateRoot);
}

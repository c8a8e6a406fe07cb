import assert from 'node:assert/strict';
import type { GossipMessage, GossipStats } from '../../src/gossip/index';
import { defaultCapabilities, type NodeInit, type PlexusNode } from '../../src/index';
import { Resources, until } from '../helpers';

/**
 * Issue 8: a broadcast in a 20-node network reaches every node once. Twenty in-process nodes
 * with real sockets on 127.0.0.1, linked in a random graph (each node dials 3 or 4 others, so
 * about 7 links a node, fixed by a seed so every run builds the same graph); the same graph is
 * built twice, once with gossip's default mode (Plumtree) and once flooding, and the same
 * messages are published from the same nodes. Copies per node per message = Gossip frames
 * received (first copies and duplicates) / (messages x (N - 1)), as `bench/gossip.mjs` counts
 * them; the flooding figure, measured in the same run, is the reference.
 */

const N = 20;
const MESSAGES = 12;
const SEED = 20;
const TOPIC = 'broadcast';

/** Park and Miller's "minimal standard" generator (CACM 31(10), 1988), in [0, 1): a fixed graph per seed. */
function prng(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

/** Each node dials 3 or 4 distinct random others (the graph is connected with overwhelming odds; checked below). */
function randomGraph(n: number, rand: () => number): Array<[number, number]> {
  const edges = new Map<string, [number, number]>();
  for (let i = 0; i < n; i++) {
    const dials = i % 2 === 0 ? 3 : 4;
    for (let made = 0; made < dials; ) {
      const j = Math.floor(rand() * n);
      const key = i < j ? `${i}-${j}` : `${j}-${i}`;
      if (j === i || edges.has(key)) continue;
      edges.set(key, [i, j]);
      made++;
    }
  }
  return [...edges.values()];
}

function connected(n: number, edges: Array<[number, number]>): boolean {
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) {
    const x = stack.pop()!;
    for (const [a, b] of edges) {
      const y = a === x ? b : b === x ? a : -1;
      if (y >= 0 && !seen.has(y)) (seen.add(y), stack.push(y));
    }
  }
  return seen.size === n;
}

interface Outcome {
  /** Per node, message ID -> times its topic delivered it. */
  delivered: Array<Map<string, number>>;
  ids: string[];
  origins: number[];
  stats: GossipStats[];
  copiesPerNode: number;
}

describe('a broadcast in a 20-node network', function () {
  this.timeout(60_000);
  const res = new Resources();
  afterEach(() => res.release());

  const rand = prng(SEED);
  const edges = randomGraph(N, rand);
  const origins = Array.from({ length: MESSAGES }, () => Math.floor(rand() * N));

  /** Build the graph with gossip `mode`, publish MESSAGES one after the other, count. */
  async function run(mode: 'plumtree' | 'flood'): Promise<Outcome> {
    const nodes: PlexusNode[] = [];
    const delivered: Array<Map<string, number>> = [];
    // The graph is the test's: peer exchange must not add links; a slow heartbeat keeps the load down.
    const init: NodeInit = { gossip: { mode }, pex: { targetPeers: 0 }, heartbeat: { intervalMs: 1_000, timeoutMs: 3_000 } };
    for (let i = 0; i < N; i++) {
      // Chat is left out: it gossips its nodes' keys by itself, and this test counts every gossip delivery.
      const node = await res.node({ ...init, capabilities: defaultCapabilities(init).filter((c) => c.name !== 'chat') });
      const counts = new Map<string, number>();
      node.gossip.register(TOPIC, { deliver: (m: GossipMessage) => void counts.set(m.id, (counts.get(m.id) ?? 0) + 1) });
      nodes.push(node);
      delivered.push(counts);
    }
    for (const [a, b] of edges) await nodes[a]!.connect(nodes[b]!.p2pAddress!);
    const degree = new Array<number>(N).fill(0);
    for (const [a, b] of edges) (degree[a]!++, degree[b]!++);
    await until(() => nodes.every((node, i) => node.peers().length === degree[i]), 'every link up', 15_000);
    const ids: string[] = [];
    for (const [k, origin] of origins.entries()) {
      const { id } = nodes[origin]!.gossip.publish(TOPIC, { k, mode });
      ids.push(id);
      await until(() => delivered.every((d, i) => i === origin || d.get(id) !== undefined), `${mode} message ${k} delivered everywhere`, 10_000);
    }
    // Past Plumtree's lazy timer (500 ms): a late Graft or copy would show as a second delivery.
    await new Promise((r) => setTimeout(r, 1_000));
    const stats = nodes.map((n) => n.gossip.stats());
    const copies = stats.reduce((s, t) => s + t.copiesReceived, 0);
    return { delivered, ids, origins, stats, copiesPerNode: copies / (MESSAGES * (N - 1)) };
  }

  /** Every node but the publisher delivered each message exactly once; the publisher never. */
  function assertOnce(o: Outcome, mode: string): void {
    for (const [i, d] of o.delivered.entries()) {
      for (const [k, id] of o.ids.entries()) assert.equal(d.get(id) ?? 0, o.origins[k] === i ? 0 : 1, `${mode}: node ${i} delivered message ${k} ${d.get(id) ?? 0} times`);
    }
    assert.equal(o.stats.reduce((s, t) => s + t.delivered, 0), MESSAGES * (N - 1), `${mode}: deliveries in the gossip counters`);
  }

  let plumtree: Outcome;
  let flood: Outcome;

  it(`the graph (seed ${SEED}) is connected`, () => {
    assert.ok(connected(N, edges), `${edges.length} links`);
  });

  it(`Plumtree: each of ${MESSAGES} messages reaches every one of the ${N} nodes, none delivers one twice`, async () => {
    plumtree = await run('plumtree');
    assertOnce(plumtree, 'plumtree');
  });

  it('flooding, the reference, on the same graph: every node reached once too', async () => {
    flood = await run('flood');
    assertOnce(flood, 'flood');
  });

  it('Plumtree receives fewer copies per node per message than flooding', () => {
    assert.ok(plumtree && flood, 'both runs finished');
    const ratio = plumtree.copiesPerNode / flood.copiesPerNode;
    const figure = `copies per node per message at N=${N}, ${edges.length} links: Plumtree ${plumtree.copiesPerNode.toFixed(2)}, flooding ${flood.copiesPerNode.toFixed(2)} (ratio ${ratio.toFixed(2)})`;
    console.log(`      ${figure}`);
    // Flooding sends every new message on every link but the one it came by: about 2E/N copies a node.
    assert.ok(flood.copiesPerNode > 2, `flooding: ${figure}`);
    assert.ok(plumtree.copiesPerNode >= 1, `every node got at least one copy: ${figure}`);
    assert.ok(plumtree.copiesPerNode < flood.copiesPerNode, figure);
  });
});

import assert from 'node:assert/strict';
import { Identity } from '../../src/identity/index';
import { gossipId, type GossipMessage } from '../../src/gossip/index';
import { defaultCapabilities, type NodeInit, type PlexusNode } from '../../src/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

// Lazy timer shrunk from 500 ms so that a broken tree heals within a test.
const GOSSIP: NodeInit['gossip'] = { graftTimeoutMs: 100 };
const TOPIC = 'test';

interface Net {
  nodes: PlexusNode[];
  /** Per node, message ID -> times delivered. */
  delivered: Array<Map<string, number>>;
}

describe('gossip', () => {
  const res = new Resources();
  afterEach(() => res.release());

  /** `n` nodes, each handling TOPIC (payloads with `bad: true` are refused), linked by `edges`. */
  async function network(n: number, edges: Array<[number, number]>, gossip: NodeInit['gossip'] = GOSSIP): Promise<Net> {
    const nodes: PlexusNode[] = [];
    const delivered: Array<Map<string, number>> = [];
    for (let i = 0; i < n; i++) {
      // The graph is the test's: peer exchange must not dial extra links. Chat is left out: it
      // gossips its nodes' keys by itself, and these tests count every gossip frame.
      const init: NodeInit = { gossip, heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, pex: { targetPeers: 0 } };
      const node = await res.node({ ...init, capabilities: defaultCapabilities(init).filter((c) => c.name !== 'chat') });
      const counts = new Map<string, number>();
      node.gossip.register(TOPIC, {
        validate: (payload) => !(payload as { bad?: boolean }).bad,
        deliver: (m: GossipMessage) => counts.set(m.id, (counts.get(m.id) ?? 0) + 1),
      });
      nodes.push(node);
      delivered.push(counts);
    }
    for (const [a, b] of edges) await nodes[a]!.connect(nodes[b]!.p2pAddress!);
    const degree = new Array(n).fill(0);
    for (const [a, b] of edges) (degree[a]++, degree[b]++);
    await until(() => nodes.every((node, i) => node.peers().length === degree[i]), 'every link up');
    return { nodes, delivered };
  }

  /** Publish from `origin`; resolve when every other node delivered it; then check nobody delivered it twice. */
  async function broadcast(net: Net, origin: number, payload: unknown): Promise<string> {
    const { id } = net.nodes[origin]!.gossip.publish(TOPIC, payload);
    await until(() => net.delivered.every((d, i) => i === origin || d.get(id) === 1), `message ${JSON.stringify(payload)} delivered everywhere`);
    return id;
  }

  const line = (n: number): Array<[number, number]> => Array.from({ length: n - 1 }, (_, i) => [i, i + 1]);
  const ring = (n: number): Array<[number, number]> => [...line(n), [n - 1, 0]];
  /** A ring (so it is connected) plus random chords: every node has 3 or more links. */
  function random(n: number, chords: number): Array<[number, number]> {
    const edges = ring(n);
    const has = (a: number, b: number): boolean => edges.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    while (edges.length < n + chords) {
      const a = Math.floor(Math.random() * n);
      const b = Math.floor(Math.random() * n);
      if (a !== b && !has(a, b)) edges.push([a, b]);
    }
    return edges;
  }

  for (const [name, edges] of [
    ['line', line(8)],
    ['ring', ring(8)],
    ['random graph', random(8, 8)],
  ] as const) {
    it(`a message published on one node of a ${name} of 8 nodes is delivered once to each of the others`, async () => {
      const net = await network(8, [...edges]);
      const ids: string[] = [];
      for (let k = 0; k < 6; k++) ids.push(await broadcast(net, (k * 3) % 8, { k, name }));
      // Past the lazy timer: a late Graft or copy would show up as a second delivery now.
      await new Promise((r) => setTimeout(r, 300));
      for (const [i, d] of net.delivered.entries()) {
        for (const [k, id] of ids.entries()) assert.equal(d.get(id) ?? 0, (k * 3) % 8 === i ? 0 : 1, `node ${i}, message ${k}`);
      }
      const totals = net.nodes.map((n) => n.gossip.stats());
      const copies = totals.reduce((s, t) => s + t.copiesReceived, 0) / (ids.length * 7);
      assert.ok(copies >= 1, `copies per node per message ${copies}`);
      assert.equal(totals.reduce((s, t) => s + t.invalid, 0), 0);
    });
  }

  it('counts a duplicate copy and does not deliver or validate it again', async () => {
    const { nodes, delivered } = await network(1, []);
    const node = nodes[0]!;
    const raw = await rawPeer(node);
    const frame = gossipFrame({ n: 1 });
    raw.send(frame);
    raw.send(frame);
    await until(() => node.gossip.stats().copiesReceived === 2, 'both copies counted');
    assert.equal(delivered[0]!.get(frame.body.id), 1);
    const s = node.gossip.stats();
    assert.equal(s.duplicates, 1);
    assert.equal(s.delivered, 1);
    assert.equal(node.gossip.message(frame.body.id)!.copies, 2);
    // Plumtree: the link that brought a duplicate is pruned.
    await raw.waitFrame('Prune');
    assert.deepEqual(node.gossip.links(), { eager: [], lazy: [raw.identity.nodeId] });
    // A peer that still pushes over a link this node holds lazy is told Prune again (it takes the link for eager).
    raw.send(frame);
    await until(() => raw.frames.filter((f) => f.type === 'Prune').length === 2, 'a second Prune');
  });

  it('does not forward an invalid message and penalises its sender', async () => {
    const { nodes, delivered } = await network(2, [[0, 1]]);
    const raw = await rawPeer(nodes[0]!);
    const bad = gossipFrame({ bad: true });
    const penalty = nextEvent(nodes[0]!, 'peer:penalty', (p) => p.nodeId === raw.identity.nodeId);
    raw.send(bad);
    const p = await penalty;
    assert.equal(p.code, 'INVALID_GOSSIP');
    assert.equal(p.points, 10);
    // A valid message sent after it does arrive at the far node; the invalid one never does.
    const good = gossipFrame({ bad: false });
    raw.send(good);
    await until(() => delivered[1]!.get(good.body.id) === 1, 'the valid message forwarded');
    assert.equal(delivered[0]!.get(bad.body.id), undefined);
    assert.equal(delivered[1]!.get(bad.body.id), undefined);
    assert.equal(nodes[1]!.gossip.message(bad.body.id), null);
    assert.equal(nodes[0]!.gossip.stats().invalid, 1);
  });

  it('penalises a Gossip whose id is not the hash of its topic and payload, and does not remember that id', async () => {
    const { nodes, delivered } = await network(1, []);
    const raw = await rawPeer(nodes[0]!);
    const real = gossipFrame({ n: 2 });
    const forged = { ...real, body: { ...real.body, payload: { n: 3 } } };
    const penalty = nextEvent(nodes[0]!, 'peer:penalty', (p) => p.nodeId === raw.identity.nodeId);
    raw.send(forged);
    assert.equal((await penalty).points, 25);
    raw.send(real);
    await until(() => delivered[0]!.get(real.body.id) === 1, 'the real message still delivered');
  });

  it('stops at the hop limit', async () => {
    const net = await network(5, line(5), { ...GOSSIP, maxHops: 2 });
    const { id } = net.nodes[0]!.gossip.publish(TOPIC, { far: true });
    await until(() => net.delivered[2]!.get(id) === 1, 'two hops away');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(net.delivered[1]!.get(id), 1);
    assert.equal(net.nodes[2]!.gossip.message(id)!.hops, 2);
    assert.equal(net.delivered[3]!.get(id), undefined, 'three hops away: not reached');
    assert.equal(net.nodes[3]!.gossip.stats().copiesReceived, 0);
    assert.equal(net.nodes[3]!.gossip.stats().ihaveReceived, 0);
  });

  it('rate-limits and penalises a peer that floods', async () => {
    const { nodes, delivered } = await network(1, [], { ...GOSSIP, peerRate: 10, peerBurst: 10 });
    const raw = await rawPeer(nodes[0]!);
    const frames = Array.from({ length: 30 }, (_, i) => gossipFrame({ i }));
    for (const f of frames) raw.send(f);
    await until(() => nodes[0]!.gossip.stats().rateLimited > 0 && nodes[0]!.peers().every((p) => p.score < 0), 'rate limited');
    const s = nodes[0]!.gossip.stats();
    assert.ok(s.delivered <= 12, `${s.delivered} delivered out of 30 (burst 10 at 10/s)`);
    assert.ok(s.rateLimited >= 18, `${s.rateLimited} dropped`);
    assert.ok(delivered[0]!.size <= 12);
    // 5 points per dropped frame: 20 dropped frames ban it (score -100).
    await raw.closed.then((c) => assert.equal(c.code, 4009));
  });

  it('answers a Graft for an unknown ID with nothing, and one for a known ID with the message', async () => {
    const { nodes } = await network(1, []);
    const node = nodes[0]!;
    const raw = await rawPeer(node);
    raw.send({ v: 1, type: 'Graft', body: { ids: ['0'.repeat(64)] } });
    raw.send({ v: 1, type: 'Ping', id: 99, body: { nonce: 'AAAAAAAAAAA' } });
    await raw.waitFrame('Pong', (f) => f.re === 99);
    assert.ok(!raw.frames.some((f) => f.type === 'Gossip' || f.type === 'Error'), JSON.stringify(raw.frames.map((f) => f.type)));
    assert.equal(node.peers()[0]!.score, 0);
    const { id } = node.gossip.publish(TOPIC, { known: 1 });
    // The raw peer is in the eager set (first and only peer): it got the message pushed.
    await raw.waitFrame('Gossip', (f) => (f.body as { id: string }).id === id);
    raw.send({ v: 1, type: 'Graft', body: { ids: [id] } });
    await until(() => raw.frames.filter((f) => f.type === 'Gossip').length === 2, 'the Graft answered');
    const g = raw.frames.filter((f) => f.type === 'Gossip')[1]!.body as Record<string, unknown>;
    assert.deepEqual({ ...g, sentAt: 0 }, { id, topic: TOPIC, payload: { known: 1 }, hops: 1, ttl: 15, sentAt: 0 });
  });

  it('announces with IHave to lazy peers and a missing message is grafted', async () => {
    // fanout 1: node 0 pushes to its first peer only and announces to the second.
    const { nodes, delivered } = await network(3, [[0, 1], [0, 2]], { ...GOSSIP, fanout: 1 });
    const { id } = nodes[0]!.gossip.publish(TOPIC, { lazy: 1 });
    await until(() => delivered[1]!.get(id) === 1 && delivered[2]!.get(id) === 1, 'both reached');
    const s = nodes[0]!.gossip.stats();
    assert.equal(s.ihaveSent, 1);
    assert.equal(s.graftsReceived, 1);
  });

  it('grafts a missing message after a lazy timer that follows the round-trip time to its announcer', async () => {
    // Cap and fallback 5 s, no floor: the timer is 4 x the announcer's smoothed RTT.
    const { nodes } = await network(1, [], { graftTimeoutMs: 5000, graftTimeoutMinMs: 0, graftRttMultiplier: 4 });
    const node = nodes[0]!;
    /** Send an IHave for an ID nobody has; resolve with the ms until the node's Graft for it. */
    const graftDelay = async (raw: RawPeer, n: number): Promise<number> => {
      const id = gossipId(TOPIC, { missing: n }).id;
      const t0 = performance.now();
      raw.send({ v: 1, type: 'IHave', body: { ids: [id], hops: 1 } });
      await raw.waitFrame('Graft', (f) => (f.body as { ids: string[] }).ids[0] === id, 6000);
      return performance.now() - t0;
    };
    // A peer that answers the heartbeat's Ping 80 ms late: SRTT about 80 ms, timer about 320 ms.
    const slow = await rawPeer(node, { pings: false });
    slow.ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; id: number; body: unknown };
      if (f.type === 'Ping') setTimeout(() => slow.send({ v: 1, type: 'Pong', re: f.id, body: f.body }), 80);
    });
    const rttOf = (raw: RawPeer & { identity: Identity }): number | null => node.peers().find((p) => p.nodeId === raw.identity.nodeId)?.rttMs ?? null;
    await until(() => rttOf(slow) !== null, 'the slow peer measured');
    const slowRtt = rttOf(slow)!;
    assert.ok(slowRtt >= 80, `rtt ${slowRtt}`);
    const slowDelay = await graftDelay(slow, 1);
    assert.ok(slowDelay >= 4 * slowRtt - 5 && slowDelay < 4 * slowRtt + 200, `Graft after ${slowDelay.toFixed(1)} ms, 4 x RTT = ${4 * slowRtt} ms`);
    // A peer that answers at once (loopback, about a millisecond): grafted far sooner.
    const fast = await rawPeer(node);
    await until(() => rttOf(fast) !== null, 'the fast peer measured');
    const fastDelay = await graftDelay(fast, 2);
    assert.ok(fastDelay < Math.min(100, slowDelay / 2), `Graft after ${fastDelay.toFixed(1)} ms, RTT ${rttOf(fast)} ms`);
  });

  it('waits graftTimeoutMs for an announcer whose round-trip time is not measured yet', async () => {
    const { nodes } = await network(1, [], { graftTimeoutMs: 300, graftTimeoutMinMs: 0 });
    const raw = await rawPeer(nodes[0]!, { pings: false }); // never answers: no RTT
    const id = gossipId(TOPIC, { unmeasured: 1 }).id;
    const t0 = performance.now();
    raw.send({ v: 1, type: 'IHave', body: { ids: [id], hops: 1 } });
    await raw.waitFrame('Graft', (f) => (f.body as { ids: string[] }).ids[0] === id);
    const delay = performance.now() - t0;
    assert.equal(nodes[0]!.peers()[0]!.rttMs, null);
    assert.ok(delay >= 295 && delay < 1000, `Graft after ${delay.toFixed(1)} ms`);
  });

  /** A node with fanout 1 and two raw peers: `parent` (connected first: eager) and `other` (lazy); a 400 ms lazy timer. */
  async function twoLinks(): Promise<{ node: PlexusNode; parent: RawPeer & { identity: Identity }; other: RawPeer & { identity: Identity } }> {
    const { nodes } = await network(1, [], { fanout: 1, graftTimeoutMs: 400, graftTimeoutMinMs: 400 });
    const node = nodes[0]!;
    const parent = await rawPeer(node);
    const other = await rawPeer(node);
    assert.deepEqual(node.gossip.links(), { eager: [parent.identity.nodeId], lazy: [other.identity.nodeId] });
    return { node, parent, other };
  }

  /** Round trip a Ping through `raw`, so every frame it sent before has been handled. */
  async function settle(raw: RawPeer, n: number): Promise<void> {
    raw.send({ v: 1, type: 'Ping', id: 500 + n, body: { nonce: 'AAAAAAAAAAA' } });
    await raw.waitFrame('Pong', (f) => f.re === 500 + n);
  }

  it('grafts a lazy link whose IHave saves optimizationThreshold hops, and the longer link is pruned by its next duplicate (Plumtree optimisation)', async () => {
    const { node, parent, other } = await twoLinks();
    const frame = { ...gossipFrame({ deep: 1 }), body: { ...gossipFrame({ deep: 1 }).body, hops: 6, ttl: 10 } };
    parent.send(frame);
    // The node announces the message to its lazy peer with the hops it would arrive with.
    const ihave = await other.waitFrame('IHave');
    assert.deepEqual(ihave.body, { ids: [frame.body.id], hops: 7 });
    // A path one hop shorter is under the threshold (2): nothing changes.
    other.send({ v: 1, type: 'IHave', body: { ids: [frame.body.id], hops: 5 } });
    await settle(other, 1);
    assert.ok(!other.frames.some((f) => f.type === 'Graft') && !parent.frames.some((f) => f.type === 'Prune'));
    // Four hops shorter: Graft with no IDs to the announcer (the message is not asked for again).
    other.send({ v: 1, type: 'IHave', body: { ids: [frame.body.id], hops: 2 } });
    const graft = await other.waitFrame('Graft');
    assert.deepEqual(graft.body, { ids: [] });
    assert.deepEqual(node.gossip.links().eager.sort(), [parent.identity.nodeId, other.identity.nodeId].sort());
    assert.ok(!parent.frames.some((f) => f.type === 'Prune'), 'the old link stays until a duplicate shows the new one is faster');
    // The next message comes by the new link first: the copy over the old one is a duplicate, and that link is pruned.
    const next = gossipFrame({ next: 1 });
    other.send(next);
    await settle(other, 4);
    parent.send(next);
    await parent.waitFrame('Prune');
    assert.deepEqual(node.gossip.links(), { eager: [other.identity.nodeId], lazy: [parent.identity.nodeId] });
    // The new link carries this node's own messages in full.
    const { id } = node.gossip.publish(TOPIC, { own: 1 });
    await other.waitFrame('Gossip', (f) => (f.body as { id: string }).id === id);
    assert.equal(node.gossip.stats().graftsSent, 1);
  });

  it('applies the optimisation when the shorter IHave came before the eager copy, and does not graft the message', async () => {
    const { node, parent, other } = await twoLinks();
    const frame = { ...gossipFrame({ early: 1 }), body: { ...gossipFrame({ early: 1 }).body, hops: 4, ttl: 12 } };
    other.send({ v: 1, type: 'IHave', body: { ids: [frame.body.id], hops: 1 } });
    await settle(other, 2);
    parent.send(frame);
    const graft = await other.waitFrame('Graft');
    assert.deepEqual(graft.body, { ids: [] });
    // Past the lazy timer: the message came, so it is never asked for.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(other.frames.filter((f) => f.type === 'Graft').length, 1);
    // The swap comes after forwarding: the announcer got an IHave, never a pushed duplicate (which would prune the new link).
    assert.ok(!other.frames.some((f) => f.type === 'Gossip'), JSON.stringify(other.frames.map((f) => f.type)));
    assert.deepEqual(node.gossip.links().eager.sort(), [parent.identity.nodeId, other.identity.nodeId].sort());
  });

  it('sends IHaves ihaveDelayMs after the eager push, several IDs a frame, and not to a peer that announced the ID itself', async () => {
    const { nodes } = await network(1, [], { ...GOSSIP, fanout: 1, ihaveDelayMs: 300 });
    const node = nodes[0]!;
    const parent = await rawPeer(node);
    const other = await rawPeer(node);
    // A message from the parent, which the lazy peer then announces to the node itself.
    const heard = gossipFrame({ heard: 1 });
    const t0 = performance.now();
    parent.send(heard);
    await settle(parent, 5);
    other.send({ v: 1, type: 'IHave', body: { ids: [heard.body.id], hops: 3 } });
    await settle(other, 6);
    // Three of the node's own, published back to back: pushed to the eager parent at once.
    const own = [1, 2, 3].map((n) => node.gossip.publish(TOPIC, { own: n }).id);
    await until(() => own.every((id) => parent.frames.some((f) => f.type === 'Gossip' && (f.body as { id: string }).id === id)), 'eager pushes');
    assert.ok(!other.frames.some((f) => f.type === 'IHave'), 'no IHave before the delay');
    const ihave = await other.waitFrame('IHave');
    assert.ok(performance.now() - t0 >= 295, `IHave after ${(performance.now() - t0).toFixed(1)} ms`);
    // One frame for the three (hops 1), none for the message the peer announced.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(other.frames.filter((f) => f.type === 'IHave'), [ihave]);
    assert.deepEqual(ihave.body, { ids: own, hops: 1 });
    assert.equal(node.gossip.stats().ihaveSent, 1);
  });

  it('takes an IHave without its hop count (an older sender) for an announcement but never for a shorter path, and a Graft with no IDs as a request for eager push', async () => {
    const { node, parent, other } = await twoLinks();
    // A Graft with no IDs from the lazy peer: its link becomes eager, nothing is sent.
    other.send({ v: 1, type: 'Graft', body: { ids: [] } });
    await settle(other, 9);
    assert.deepEqual(node.gossip.links().eager.sort(), [parent.identity.nodeId, other.identity.nodeId].sort());
    assert.ok(!other.frames.some((f) => f.type === 'Gossip'));
    const frame = { ...gossipFrame({ old: 1 }), body: { ...gossipFrame({ old: 1 }).body, hops: 9, ttl: 7 } };
    parent.send(frame);
    await settle(parent, 7);
    other.send({ v: 1, type: 'IHave', body: { ids: [frame.body.id] } });
    // An ID the node lacks, announced the old way: grafted after the lazy timer (400 ms here).
    const missing = gossipId(TOPIC, { old: 2 }).id;
    other.send({ v: 1, type: 'IHave', body: { ids: [missing] } });
    const graft = await other.waitFrame('Graft');
    assert.deepEqual(graft.body, { ids: [missing] });
    assert.ok(!other.frames.some((f) => f.type === 'Error'), JSON.stringify(other.frames));
    assert.equal(other.frames.filter((f) => f.type === 'Graft').length, 1, 'no optimisation on an unknown hop count');
    assert.equal(node.peers().find((p) => p.nodeId === other.identity.nodeId)!.score, 0);
  });

  async function rawPeer(node: PlexusNode, options: { pings?: boolean } = {}): Promise<RawPeer & { identity: Identity }> {
    const raw = new RawPeer(node.p2pAddress!).answerPingsAndSync(options) as RawPeer & { identity: Identity };
    res.add(() => raw.close());
    raw.identity = Identity.generate();
    const joined = nextEvent(node, 'peer:connect');
    await raw.handshake(raw.identity);
    await joined;
    return raw;
  }
});

function gossipFrame(payload: Record<string, unknown>): { v: 1; type: 'Gossip'; body: { id: string; topic: string; payload: unknown; hops: number; ttl: number; sentAt: number } } {
  return { v: 1, type: 'Gossip', body: { id: gossipId(TOPIC, payload).id, topic: TOPIC, payload, hops: 1, ttl: 15, sentAt: Date.now() } };
}

import assert from 'node:assert/strict';
import { type Capability, createNode, heartbeat, PlexusNode, startOrder } from '../../src/index';
import { Identity } from '../../src/identity/index';
import { FAST, nextEvent, RawPeer, Resources, until } from '../helpers';

const COUNTER = `export function init(state) { state.n = 0; }
export function increment(state, ctx, by) { state.n += by; return state.n; }`;

describe('node composition (capabilities)', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('runs a subset: a node with the heartbeat alone keeps a full node alive and knows no contract messages', async () => {
    const light = await createNode({ ...FAST, dataDir: null, capabilities: [heartbeat({ intervalMs: 100, timeoutMs: 300 })] as const });
    res.add(() => light.stop());
    const full = await res.node();
    assert.deepEqual(light.info().capabilities, ['heartbeat']);
    assert.deepEqual(full.info().capabilities, ['heartbeat', 'outbox', 'contracts', 'files', 'gossip', 'discovery', 'pex', 'chat']);
    assert.equal((light as unknown as Record<string, unknown>).contracts, undefined);
    const syncFailed = nextEvent(full, 'warning', (w) => w.code === 'SYNC_FAILED');
    await full.connect(light.p2pAddress!);
    await until(() => full.peers()[0]?.rttMs != null && light.peers()[0]?.rttMs != null, 'round-trip times both ways');
    // The full node's contract sync is answered UNKNOWN_TYPE: the light node has no such message.
    assert.match((await syncFailed).message, /UNKNOWN_TYPE/);
  });

  it('keeps the handshake and the other listeners going when a listener throws', async () => {
    const a = await res.node();
    const b = await res.node();
    const seen: string[] = [];
    a.on('peer:connect', () => {
      throw new Error('a broken listener');
    });
    a.on('peer:connect', (p) => seen.push(p.nodeId));
    const threw = nextEvent(a, 'warning', (w) => w.code === 'LISTENER_THREW');
    await a.connect(b.p2pAddress!);
    assert.match((await threw).message, /a broken listener/);
    assert.deepEqual(seen, [b.nodeId]);
    await until(() => a.peers()[0]?.rttMs != null, 'the connection works (a round-trip time)');
  });

  it('orders capabilities by dependency and refuses missing ones, cycles and duplicates', () => {
    const cap = (name: string, dependsOn: string[] = []): Capability => ({ name, dependsOn, create: () => ({ api: {} }) });
    assert.deepEqual(startOrder([cap('c', ['b']), cap('b', ['a']), cap('a')]).map((c) => c.name), ['a', 'b', 'c']);
    assert.throws(() => startOrder([cap('c', ['x'])]), /needs x/);
    assert.throws(() => startOrder([cap('a', ['b']), cap('b', ['a'])]), /depend on each other/);
    assert.throws(() => startOrder([cap('a'), cap('a')]), /twice/);
    assert.throws(() => new PlexusNode({ dataDir: null, capabilities: [cap('peers')] }), /cannot be named peers/);
  });

  it('pushes a change to a peer that does not listen, on its live connection', async () => {
    const a = await res.node();
    const b = await res.node({ p2pPort: null });
    await b.connect(a.p2pAddress!);
    await until(() => a.peers().length === 1, 'a sees b');
    const delivered = nextEvent(a, 'outbox:delivered', (d) => d.key !== undefined);
    const record = await a.contracts.deploy({ name: 'counter', source: COUNTER });
    const d = await delivered;
    assert.equal(d.peerAddress, `node:${b.nodeId}`);
    assert.equal(d.contractAddress, record.address);
    assert.equal(b.contracts.get(record.address).seq, 0);
  });

  it('drops the pending broadcasts of a peer the operator disconnected, keeps those of one that went away', async () => {
    const a = await res.node({ outbox: { retryIntervalMs: 60_000, ackTimeoutMs: 60_000 } });
    // A peer that never acknowledges keeps its row pending.
    const raw = new RawPeer(a.p2pAddress!).answerPingsAndSync();
    res.add(() => raw.close());
    const id = Identity.generate();
    await raw.handshake(id);
    await until(() => a.peers().length === 1, 'a sees the raw peer');
    await a.contracts.deploy({ name: 'counter', source: COUNTER });
    await raw.waitFrame('NewContract');
    assert.equal(a.outbox.list().filter((e) => e.peerNodeId === id.nodeId).length, 1, 'pending until acknowledged');
    a.disconnect(id.nodeId);
    await until(() => a.peers().length === 0, 'the raw peer dropped');
    assert.equal(a.outbox.list().length, 0, 'no rows for a peer the operator dropped');

    const raw2 = new RawPeer(a.p2pAddress!).answerPingsAndSync();
    res.add(() => raw2.close());
    const id2 = Identity.generate();
    await raw2.handshake(id2);
    await until(() => a.peers().length === 1, 'a sees the second raw peer');
    await a.contracts.deploy({ name: 'counter', source: COUNTER });
    await raw2.waitFrame('NewContract');
    raw2.close();
    await until(() => a.peers().length === 0, 'the second raw peer went away');
    assert.equal(a.outbox.list().filter((e) => e.peerNodeId === id2.nodeId).length, 1, 'kept for its return');
    // Banned while away: no longer a target; its row goes, with an event saying why.
    const dropped = nextEvent(a, 'outbox:dropped', (d) => d.peerAddress === `node:${id2.nodeId}`);
    a.ban(id2.nodeId);
    assert.match((await dropped).lastError, /banned/);
    assert.equal(a.outbox.list().length, 0);
  });
});

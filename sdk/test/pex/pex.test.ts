import assert from 'node:assert/strict';
import { Identity } from '../../src/identity/index';
import { PeersRepository } from '../../src/peers/index';
import type { PlexusNode, NodeInit } from '../../src/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

// Peer exchange shrunk to milliseconds: a round every 100 ms, a peer asked at most every 50 ms.
const PEX_FAST = { intervalMs: 100, getAddrMinIntervalMs: 50, requestTimeoutMs: 1_000 };
// A node that never starts a round by itself within a test (the tests drive it).
const PEX_QUIET = { intervalMs: 60_000 };

describe('peer exchange', () => {
  const res = new Resources();
  afterEach(() => res.release());

  const node = (pex: NodeInit['pex'] = PEX_FAST, init: NodeInit = {}): Promise<PlexusNode> => res.node({ pex, ...init });
  const knownAddresses = (n: PlexusNode): Set<string> => new Set(n.pex.known().map((e) => e.address));
  const outbound = (n: PlexusNode): ReturnType<PlexusNode['peers']> => n.peers().filter((p) => p.direction === 'outbound');

  it('a node that joins through one peer of a 5-node chain learns every node and connects to them', async () => {
    const chain: PlexusNode[] = [];
    for (let i = 0; i < 5; i++) {
      const n = await node();
      if (i > 0) await n.connect(chain[i - 1]!.p2pAddress!);
      chain.push(n);
    }
    const joiner = await node();
    const learned = nextEvent(joiner, 'pex:addresses', (e) => e.added > 0, 5_000);
    await joiner.connect(chain[2]!.p2pAddress!);
    const first = await learned;
    assert.equal(first.from, chain[2]!.nodeId);
    const all = chain.map((n) => n.p2pAddress!);
    await until(() => all.every((a) => knownAddresses(joiner).has(a)), 'the joiner knows all five', 10_000);
    const target = Math.min(joiner.pex.targetPeers, chain.length);
    await until(() => joiner.peers().length >= target, `the joiner has ${target} peers`, 10_000);
    const ids = new Set(joiner.peers().map((p) => p.nodeId));
    for (const n of chain) assert.ok(ids.has(n.nodeId), `connected to ${n.p2pAddress}`);
    for (const e of joiner.pex.known()) assert.equal(e.state, 'connected', `${e.address} is ${e.state}`);
  });

  it('keeps its connection target: when an outbound peer dies another candidate is dialed', async () => {
    const hub = await node();
    const others: PlexusNode[] = [];
    for (let i = 0; i < 4; i++) {
      // They never dial by themselves, so x's only way to its target is its own outbound dials.
      const n = await node({ ...PEX_FAST, targetPeers: 0 });
      await hub.connect(n.p2pAddress!);
      others.push(n);
    }
    const x = await node({ ...PEX_FAST, targetPeers: 2 });
    await x.connect(hub.p2pAddress!);
    await until(() => outbound(x).length === 2, 'x has 2 outbound peers', 10_000);
    // Never more than the target from its own dialing, a few rounds later.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(outbound(x).length, 2);
    const victimId = outbound(x).find((p) => p.nodeId !== hub.nodeId)!.nodeId;
    const victim = others.find((n) => n.nodeId === victimId)!;
    const gone = nextEvent(x, 'peer:disconnect', (d) => d.nodeId === victimId);
    await victim.stop();
    await gone;
    await until(() => outbound(x).length === 2 && !outbound(x).some((p) => p.nodeId === victimId), 'x dialed another candidate', 10_000);
    const replacement = outbound(x).find((p) => p.nodeId !== hub.nodeId)!;
    assert.ok(others.some((n) => n !== victim && n.nodeId === replacement.nodeId));
  });

  it('does not trim back to its target: inbound peers beyond it are kept up to maxPeers, only its own dials stop at the target', async () => {
    // Eleven nodes in this process: a slow heartbeat, so that a busy event loop never drops a
    // peer (the hub would redial it, and a lost inbound peer would come back as an outbound one).
    const heartbeat = { intervalMs: 1_000, timeoutMs: 3_000 };
    const hub = await node({ ...PEX_FAST, targetPeers: 2 }, { maxPeers: 6, heartbeat });
    const disconnects: string[] = [];
    hub.on('peer:disconnect', (d) => disconnects.push(d.nodeId));
    const quiet = (): Promise<PlexusNode> => node({ ...PEX_FAST, targetPeers: 0 }, { heartbeat }); // never dials by itself
    const inbound: PlexusNode[] = [];
    for (let i = 0; i < 4; i++) {
      const n = await quiet();
      await n.connect(hub.p2pAddress!);
      inbound.push(n);
    }
    await until(() => hub.peers().length === 4, 'hub has 4 inbound peers');
    // Three candidates in the book: the hub dials two of them (its target), not the third.
    const candidates: PlexusNode[] = [];
    for (let i = 0; i < 3; i++) candidates.push(await quiet());
    const book = new PeersRepository(hub.store);
    for (const c of candidates) book.add(c.p2pAddress!, true, Date.now());
    hub.pex.keepTarget();
    await until(() => outbound(hub).length === 2, 'hub dialed 2 candidates', 10_000);
    // Ten rounds later: 6 peers, 3 times the target, and none was closed to get back to it.
    await new Promise((r) => setTimeout(r, 10 * PEX_FAST.intervalMs));
    assert.deepEqual(
      { inbound: hub.peers().filter((p) => p.direction === 'inbound').length, outbound: outbound(hub).length, disconnects },
      { inbound: 4, outbound: 2, disconnects: [] },
    );
    const idle = candidates.find((c) => !hub.peers().some((p) => p.nodeId === c.nodeId))!;
    assert.equal(hub.pex.known().find((e) => e.address === idle.p2pAddress)!.state, 'candidate');
    // The peer limit, not the target, bounds inbound connections.
    const late = await quiet();
    await assert.rejects(late.connect(hub.p2pAddress!), (err: { code?: string }) => err.code === 'TOO_MANY_PEERS');
    assert.equal(hub.peers().length, 6);
    // Inbound peers do not count towards the target: an outbound peer that goes is replaced by a
    // dial once the peer limit leaves room, although the hub still has 4 inbound peers.
    const lost = candidates.find((c) => outbound(hub).some((p) => p.nodeId === c.nodeId))!;
    const lostId = lost.nodeId;
    await lost.stop();
    await until(() => outbound(hub).length === 2 && !hub.peers().some((p) => p.nodeId === lostId), 'hub dialed its third candidate', 10_000);
    assert.ok(outbound(hub).some((p) => p.nodeId === idle.nodeId));
    assert.equal(hub.peers().length, 6);
  });

  it('passes on only nodes heard from recently: never an old, unconfirmed, banned one, the asker or itself', async () => {
    const a = await node(PEX_QUIET);
    const recent = await node(PEX_QUIET);
    await a.connect(recent.p2pAddress!);
    const book = new PeersRepository(a.store);
    const now = Date.now();
    const old = Identity.generate();
    book.markConnected('127.0.0.1:7001', old.nodeId, null, now - 2 * 3600_000, true);
    book.markSeen('127.0.0.1:7001', now - 2 * 3600_000); // heard from 2 h ago; the window is 1 h
    book.add('127.0.0.1:7002', true, now); // only heard of (an Addr entry): never reached
    const banned = Identity.generate();
    book.markConnected('127.0.0.1:7003', banned.nodeId, null, now, true);
    a.ban(banned.nodeId, 60_000, 'test');
    const asker = Identity.generate();
    book.markConnected('127.0.0.1:7004', asker.nodeId, null, now, true); // the asker's own entry

    const raw = new RawPeer(a.p2pAddress!).answerPingsAndSync();
    res.add(() => raw.close());
    await raw.handshake(asker, { listenAddress: '127.0.0.1:7004' });
    raw.send({ v: 1, type: 'GetAddr', id: 1, body: {} });
    const reply = await raw.waitFrame('Addr', (f) => f.re === 1);
    const entries = (reply.body as { addresses: Array<{ nodeId: string; address: string; lastSeen: number }> }).addresses;
    assert.deepEqual(entries.map((e) => e.address), [recent.p2pAddress]);
    assert.equal(entries[0]!.nodeId, recent.nodeId);
    assert.ok(entries[0]!.lastSeen <= Date.now() && entries[0]!.lastSeen >= now - 5_000);
  });

  it('answers a burst of two GetAddr, then refuses a flood with RATE_LIMITED until the peer is banned', async () => {
    const a = await node(PEX_QUIET);
    const raw = new RawPeer(a.p2pAddress!).answerPingsAndSync();
    res.add(() => raw.close());
    const flooder = Identity.generate();
    const penalties: string[] = [];
    a.on('peer:penalty', (p) => penalties.push(p.code));
    await raw.handshake(flooder);
    await until(() => a.peers().length === 1, 'connected');
    for (let id = 1; id <= 15; id++) raw.send({ v: 1, type: 'GetAddr', id, body: {} });
    const closed = await raw.closed;
    assert.equal(closed.code, 4009);
    assert.equal(raw.frames.filter((f) => f.type === 'Addr').length, 2);
    const refused = raw.frames.filter((f) => f.type === 'Error' && (f.body as { code: string }).code === 'RATE_LIMITED');
    assert.ok(refused.length >= 9, `${refused.length} refusals`);
    assert.ok(penalties.length >= 10 && penalties.every((c) => c === 'RATE_LIMITED'));
    assert.ok(a.bans().some((b) => b.nodeId === flooder.nodeId));
  });

  it('gives up a learned address that never answers, as any unconfirmed address', async () => {
    const a = await node({ ...PEX_QUIET, targetPeers: 1 });
    const raw = new RawPeer(a.p2pAddress!).answerPingsAndSync();
    res.add(() => raw.close());
    raw.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(data.toString());
      // Port 1 on loopback: nothing listens there, every dial is refused.
      if (f.type === 'GetAddr') raw.send({ v: 1, type: 'Addr', re: f.id, body: { addresses: [{ nodeId: 'ab'.repeat(32), address: '127.0.0.1:1', lastSeen: Date.now() }] } });
    });
    const id = Identity.generate();
    await raw.handshake(id);
    await until(() => a.peers().length === 1, 'connected');
    const givenUp = nextEvent(a, 'peer:dial-failed', (f) => f.address === '127.0.0.1:1' && f.retryInMs === null, 15_000);
    assert.equal((await a.pex.exchange(id.nodeId))?.added, 1);
    assert.equal((await givenUp).failures, 8);
    assert.equal(a.pex.known().find((e) => e.address === '127.0.0.1:1')!.state, 'off');
  });

  it('shows the known, active and banned sets in the HTTP API', async () => {
    const token = 't'.repeat(43);
    const a = await node(PEX_QUIET, { api: { port: 0, token } });
    const b = await node(PEX_QUIET);
    await a.connect(b.p2pAddress!);
    const banned = Identity.generate();
    new PeersRepository(a.store).markConnected('127.0.0.1:7003', banned.nodeId, null, Date.now(), true);
    a.ban(banned.nodeId, 60_000, 'test');
    const get = async (path: string): Promise<any> => {
      const r = await fetch(`${a.apiUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200, path);
      return r.json();
    };
    const { entries } = await get('/network/known');
    const state = Object.fromEntries(entries.map((e: { address: string; state: string }) => [e.address, e.state]));
    assert.deepEqual(state, { [b.p2pAddress!]: 'connected', '127.0.0.1:7003': 'banned' });
    assert.deepEqual((await get('/network/peers')).peers.map((p: { nodeId: string }) => p.nodeId), [b.nodeId]);
    assert.deepEqual((await get('/network/bans')).bans.map((x: { nodeId: string }) => x.nodeId), [banned.nodeId]);
  });

  describe('an Addr that is refused and penalised', () => {
    /** A raw peer connected to `a`, answering its GetAddr with `addresses`. */
    async function answering(a: PlexusNode, addresses: unknown): Promise<{ raw: RawPeer; id: Identity }> {
      const raw = new RawPeer(a.p2pAddress!).answerPingsAndSync();
      res.add(() => raw.close());
      raw.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const f = JSON.parse(data.toString());
        if (f.type === 'GetAddr') raw.send({ v: 1, type: 'Addr', re: f.id, body: { addresses } });
      });
      const id = Identity.generate();
      await raw.handshake(id);
      await until(() => a.peers().length === 1, 'connected');
      return { raw, id };
    }
    const entry = (i: number): { nodeId: string; address: string; lastSeen: number } => ({
      nodeId: i.toString(16).padStart(64, '0'),
      address: `127.0.0.1:${10_000 + i}`,
      lastSeen: Date.now(),
    });

    it('over the cap of 1,000 entries: INVALID_MESSAGE, 20 points, nothing learned', async () => {
      const a = await node(PEX_QUIET);
      const { id } = await answering(a, Array.from({ length: 1001 }, (_, i) => entry(i + 1)));
      const penalty = nextEvent(a, 'peer:penalty', (p) => p.nodeId === id.nodeId);
      assert.equal(await a.pex.exchange(id.nodeId), null);
      const p = await penalty;
      assert.equal(p.code, 'INVALID_MESSAGE');
      assert.equal(p.points, 20);
      assert.equal(a.addressBook().length, 0);
    });

    it('with a garbage address among good ones: INVALID_ADDR, 20 points, the whole list refused', async () => {
      const a = await node(PEX_QUIET);
      const { id } = await answering(a, [entry(1), { ...entry(2), address: 'not an address' }, { ...entry(3), address: '127.0.0.1:70000' }]);
      const penalty = nextEvent(a, 'peer:penalty', (p) => p.nodeId === id.nodeId);
      const result = await a.pex.exchange(id.nodeId);
      assert.deepEqual(result, { from: id.nodeId, received: 3, added: 0 });
      const p = await penalty;
      assert.equal(p.code, 'INVALID_ADDR');
      assert.equal(p.points, 20);
      assert.equal(a.addressBook().length, 0);
    });

    it('accepts a good list as candidates without overwriting what it knows, and an unsolicited Addr costs INVALID_ENVELOPE', async () => {
      const a = await node(PEX_QUIET);
      // What a knows itself about 127.0.0.1:10003: a handshake with another node there.
      const mine = Identity.generate();
      const before = Date.now() - 1_000;
      new PeersRepository(a.store).markConnected('127.0.0.1:10003', mine.nodeId, 'mine', before, true);
      const good = [entry(1), entry(2), entry(3)];
      const { raw, id } = await answering(a, good);
      const result = await a.pex.exchange(id.nodeId);
      assert.deepEqual(result, { from: id.nodeId, received: 3, added: 2 });
      const kept = a.addressBook().find((e) => e.address === '127.0.0.1:10003')!;
      assert.deepEqual([kept.nodeId, kept.name, kept.lastConnected], [mine.nodeId, 'mine', before]);
      const known = a.pex.known().filter((e) => e.heard && e.address !== '127.0.0.1:10003');
      assert.deepEqual(known.map((e) => e.address).sort(), [entry(1).address, entry(2).address]);
      for (const e of known) {
        assert.equal(e.nodeId, null); // a claim: not confirmed until a handshake there
        assert.equal(e.lastSeen, null);
        assert.equal(e.heard!.heardFrom, id.nodeId);
      }
      const penalty = nextEvent(a, 'peer:penalty', (p) => p.nodeId === id.nodeId);
      raw.send({ v: 1, type: 'Addr', body: { addresses: [entry(3)] } });
      assert.equal((await penalty).code, 'INVALID_ENVELOPE');
    });
  });
});

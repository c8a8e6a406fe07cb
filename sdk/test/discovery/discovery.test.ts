import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createDiscoveryServer, type DiscoveryServerNode, type DiscoveryServerOptions } from '../../src/node/index';
import { DiscoveryErrorCode, registerSigningPayload } from '../../src/discovery/index';
import { Identity } from '../../src/identity/index';
import type { PlexusNode } from '../../src/index';
import { CLI, type CliNode, freePort, nextEvent, RawPeer, Resources, until } from '../helpers';

// Discovery timings shrunk: heartbeat every 100 ms, dropped after 1.5 s of silence, checked every
// 100 ms. (Server and nodes share this process's event loop; a node starting can hold it for a
// few hundred ms on a loaded machine, so the expiry keeps a margin over the heartbeat.)
const EXPIRY_MS = 1_500;
const FAST_SERVER: DiscoveryServerOptions = { port: 0, heartbeatMs: 100, expiryMs: EXPIRY_MS, checkIntervalMs: 100 };
const FAST_CLIENT = { redialBaseMs: 50, redialMaxMs: 300, requestTimeoutMs: 1_000 };

/** Wait for a server event (the server node's event map is the default one, so go through onAny). */
function serverEvent(server: DiscoveryServerNode, event: string, predicate: (p: Record<string, unknown>) => boolean = () => true, timeoutMs = 5_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const listener = (e: string, p: unknown): void => {
      if (e !== event || !predicate(p as Record<string, unknown>)) return;
      clearTimeout(timer);
      off();
      resolve(p as Record<string, unknown>);
    };
    const off = server.onAny(listener as never) as unknown as () => void;
    const timer = setTimeout(() => (off(), reject(new Error(`no ${event} within ${timeoutMs} ms`))), timeoutMs);
  });
}

/** A DiscoveryRegister frame signed by `signer`, claiming `nodeId`. */
function registerFrame(signer: Identity, nodeId = signer.nodeId, id = 1, listenAddress: string | null = '127.0.0.1:1', timestamp = Date.now()) {
  const unsigned = { nodeId, listenAddress, timestamp };
  return { v: 1, type: 'DiscoveryRegister', id, body: { ...unsigned, signature: signer.sign(registerSigningPayload(unsigned)) } };
}

describe('discovery', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function server(options: DiscoveryServerOptions = {}): Promise<DiscoveryServerNode> {
    const s = await createDiscoveryServer({ ...FAST_SERVER, ...options });
    res.add(() => s.stop());
    return s;
  }

  async function clientOf(address: string, name: string): Promise<PlexusNode> {
    const node = res.unstarted({ name, discovery: { servers: [address], ...FAST_CLIENT } });
    const registered = nextEvent(node, 'discovery:registered');
    await node.start();
    await registered;
    return node;
  }

  it('acknowledges a registration with the list of active peers and pushes joins to the registered', async () => {
    const s = await server();
    const a = await clientOf(s.p2pAddress!, 'alice');
    assert.equal(a.discovery.servers()[0]!.state, 'registered');
    assert.equal(a.discovery.servers()[0]!.lastListSize, 0);
    const pushed = nextEvent(a, 'discovery:peers');
    const b = res.unstarted({ name: 'bob', discovery: { servers: [s.p2pAddress!], ...FAST_CLIENT } });
    const bRegistered = nextEvent(b, 'discovery:registered');
    await b.start();
    const reg = await bRegistered;
    assert.equal(reg.peers, 1, 'bob is told of alice');
    assert.equal(reg.serverId, s.nodeId);
    const push = await pushed;
    assert.deepEqual(push.joined, [{ nodeId: b.nodeId, address: b.p2pAddress, name: 'bob' }]);
    assert.deepEqual(push.left, []);
    // Learned peers go to the address book and are dialed; the server is never a peer.
    await until(() => a.peers().length === 1 && b.peers().length === 1, 'alice and bob connected');
    assert.equal(b.peers()[0]!.nodeId, a.nodeId);
    assert.ok(b.addressBook().some((r) => r.address === a.p2pAddress));
    assert.equal(s.discoveryServer.size, 2);
    // A node that stops unregisters; the other is told it left.
    const bobId = b.nodeId; // a stopped node has no nodeId
    const left = nextEvent(a, 'discovery:peers', (p) => p.left.includes(bobId));
    const leave = serverEvent(s, 'discovery:leave');
    await b.stop();
    assert.equal((await leave).reason, 'unregistered');
    await left;
    assert.equal(a.discovery.servers()[0]!.known, 0);
  });

  it('drops a registration that falls silent after the expiry, and tells the others', async () => {
    const s = await server();
    const a = await clientOf(s.p2pAddress!, 'alice');
    const silent = new RawPeer(s.p2pAddress!);
    res.add(() => silent.close());
    const id = Identity.generate();
    await silent.handshake(id);
    silent.send(registerFrame(id));
    const ack = await silent.waitFrame('DiscoveryRegistered');
    assert.equal((ack.body as { heartbeatMs: number }).heartbeatMs, 100);
    assert.equal((ack.body as { peers: unknown[] }).peers.length, 1, 'the raw node is told of alice');
    await nextEvent(a, 'discovery:peers', (p) => p.joined.some((e) => e.nodeId === id.nodeId));
    const since = Date.now();
    const leave = await serverEvent(s, 'discovery:leave', (p) => p.nodeId === id.nodeId);
    assert.equal(leave.reason, 'expired');
    const elapsed = Date.now() - since;
    assert.ok(elapsed >= EXPIRY_MS - 200 && elapsed < EXPIRY_MS + 100 + 600, `dropped after ${elapsed} ms (expiry ${EXPIRY_MS}, check every 100)`);
    await nextEvent(a, 'discovery:peers', (p) => p.left.includes(id.nodeId));
    assert.equal((await silent.closed).code, 4010);
    // alice heartbeats, so she stays.
    assert.deepEqual(s.discoveryServer.entries().map((e) => e.nodeId), [a.nodeId]);
  });

  it('caps registrations per IP address and in all, answering Error codes; a registered node may register again when full', async () => {
    const s = await server({ maxPerAddress: 2, maxEntries: 3 });
    /** Register a fresh identity from source IP `from` (all of 127.0.0.0/8 is loopback); the reply's code or OK. */
    const attempt = async (from: string, port: number): Promise<{ raw: RawPeer; id: Identity; code: string }> => {
      const raw = new RawPeer(s.p2pAddress!, { localAddress: from });
      res.add(() => raw.close());
      const id = Identity.generate();
      await raw.handshake(id);
      raw.send(registerFrame(id, id.nodeId, 1, `${from}:${port}`));
      const reply = await Promise.race([raw.waitFrame('DiscoveryRegistered'), raw.waitFrame('Error')]);
      if (reply.type === 'Error') assert.equal(reply.re, 1, 'the Error answers the request');
      return { raw, id, code: reply.type === 'Error' ? (reply.body as { code: string }).code : 'OK' };
    };
    const a = await attempt('127.0.0.1', 1001);
    const b = await attempt('127.0.0.1', 1002);
    const c = await attempt('127.0.0.1', 1003);
    assert.deepEqual([a.code, b.code, c.code], ['OK', 'OK', DiscoveryErrorCode.DISCOVERY_ADDRESS_LIMIT]);
    // The per-address cap counts IP addresses: another one still gets in, up to the global cap.
    const d = await attempt('127.0.0.2', 1004);
    assert.equal(d.code, 'OK');
    assert.equal(s.discoveryServer.size, 3);
    const refused = serverEvent(s, 'discovery:refused', (p) => p.code === DiscoveryErrorCode.DISCOVERY_FULL);
    const e = await attempt('127.0.0.3', 1005);
    assert.equal(e.code, DiscoveryErrorCode.DISCOVERY_FULL);
    assert.deepEqual(await refused, { nodeId: e.id.nodeId, ip: '127.0.0.3', code: DiscoveryErrorCode.DISCOVERY_FULL, message: 'the server holds 3 registrations' });
    assert.deepEqual(s.discoveryServer.entries().map((x) => x.ip), ['127.0.0.1', '127.0.0.1', '127.0.0.2']);
    // Refusals leave the connection open; a registered node refreshing its entry is not a new one.
    // (A later timestamp than its first Register, which may have been sent in the same ms.)
    a.raw.send(registerFrame(a.id, a.id.nodeId, 2, '127.0.0.1:1001', Date.now() + 1_000));
    await a.raw.waitFrame('DiscoveryRegistered', (f) => f.re === 2);
    assert.equal(s.discoveryServer.size, 3);
    // When one leaves there is room again: the node that was refused registers on the same connection.
    const left = serverEvent(s, 'discovery:leave', (p) => p.nodeId === d.id.nodeId);
    d.raw.send({ v: 1, type: 'DiscoveryUnregister', body: {} });
    await left;
    e.raw.send(registerFrame(e.id, e.id.nodeId, 3, '127.0.0.3:1005'));
    const ok = await e.raw.waitFrame('DiscoveryRegistered', (f) => f.re === 3);
    assert.equal((ok.body as { total: number }).total, 2, 'it is told of the two others');
    assert.equal(s.discoveryServer.size, 3);
  });

  it('GET /api/v1/discovery over HTTP: each configured server, its state, its list and its last error', async () => {
    const s = await server();
    const token = 'd'.repeat(43);
    const peer = await clientOf(s.p2pAddress!, 'bob');
    const dead = `127.0.0.1:${await freePort()}`; // nothing listens there
    const node = res.unstarted({ name: 'alice', api: { port: 0, token }, discovery: { servers: [s.p2pAddress!, dead], ...FAST_CLIENT } });
    const registered = nextEvent(node, 'discovery:registered');
    const failed = nextEvent(node, 'discovery:error', (e) => e.server === dead);
    await node.start();
    await Promise.all([registered, failed]);
    const get = async (): Promise<{ status: number; body: any }> => {
      const r = await fetch(`${node.apiUrl}/api/v1/discovery`, { headers: { authorization: `Bearer ${token}` } });
      return { status: r.status, body: await r.json() };
    };
    const { status, body } = await get();
    assert.equal(status, 200);
    const [live, gone] = body.servers;
    assert.equal(body.servers.length, 2);
    assert.deepEqual(
      { ...live, registeredAt: typeof live.registeredAt },
      { address: s.p2pAddress, state: 'registered', serverId: s.nodeId, registeredAt: 'number', lastListSize: 1, lastTotal: 1, known: 1, failures: 0, lastError: null },
    );
    assert.equal(gone.address, dead);
    assert.ok(['connecting', 'disconnected'].includes(gone.state), gone.state);
    assert.equal(gone.serverId, null);
    assert.equal(gone.registeredAt, null);
    assert.ok(gone.failures >= 1);
    assert.equal(gone.lastError.code, 'DIAL_FAILED');
    // Bob leaving is pushed and shows in `known`.
    const pushed = nextEvent(node, 'discovery:peers', (p) => p.left.length === 1);
    await peer.stop();
    await pushed;
    assert.equal((await get()).body.servers[0].known, 0);
    // Without a token: 401, as every route.
    assert.equal((await fetch(`${node.apiUrl}/api/v1/discovery`)).status, 401);
  });

  it('GET /api/v1/discovery of a node without servers is an empty list', async () => {
    const token = 'e'.repeat(43);
    const node = await res.node({ api: { port: 0, token } });
    const r = await fetch(`${node.apiUrl}/api/v1/discovery`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await r.json(), { servers: [] });
  });

  it('refuses a registration for another node ID, or signed by another key', async () => {
    const s = await server();
    const victim = Identity.generate();
    const attacker = Identity.generate();
    const raw = new RawPeer(s.p2pAddress!);
    res.add(() => raw.close());
    await raw.handshake(attacker);
    // Even with the victim's own signature (replayed), the connection is not the victim's.
    raw.send(registerFrame(victim, victim.nodeId, 1));
    const mismatch = await raw.waitFrame('Error', (f) => f.re === 1);
    assert.equal((mismatch.body as { code: string }).code, DiscoveryErrorCode.DISCOVERY_NODE_ID_MISMATCH);
    // Its own node ID, but an address signed by someone else's key.
    raw.send(registerFrame(victim, attacker.nodeId, 2));
    const bad = await raw.waitFrame('Error', (f) => f.re === 2);
    assert.equal((bad.body as { code: string }).code, DiscoveryErrorCode.DISCOVERY_BAD_SIGNATURE);
    // A heartbeat without a registration.
    raw.send({ v: 1, type: 'DiscoveryHeartbeat', id: 3, body: {} });
    const unregistered = await raw.waitFrame('Error', (f) => f.re === 3);
    assert.equal((unregistered.body as { code: string }).code, DiscoveryErrorCode.DISCOVERY_NOT_REGISTERED);
    assert.equal(s.discoveryServer.size, 0);
  });

  it("refuses a replayed Register, and forgets a node's last timestamp once the clock check refuses a replay anyway", async () => {
    let clock = Date.now();
    const s = await server({ now: () => clock, maxClockSkewMs: 10_000 });
    const raw = new RawPeer(s.p2pAddress!);
    res.add(() => raw.close());
    const id = Identity.generate();
    await raw.handshake(id);
    const first = registerFrame(id, id.nodeId, 1, '127.0.0.1:1', clock);
    raw.send(first);
    await raw.waitFrame('DiscoveryRegistered', (f) => f.re === 1);
    const codeOf = async (re: number): Promise<string> => ((await raw.waitFrame('Error', (f) => f.re === re)).body as { code: string }).code;
    raw.send({ ...first, id: 2 });
    assert.equal(await codeOf(2), DiscoveryErrorCode.DISCOVERY_STALE_TIMESTAMP, 'the same Register again');
    const left = serverEvent(s, 'discovery:leave', (p) => p.nodeId === id.nodeId);
    raw.send({ v: 1, type: 'DiscoveryUnregister', body: {} });
    await left;
    raw.send({ ...first, id: 3 });
    assert.equal(await codeOf(3), DiscoveryErrorCode.DISCOVERY_STALE_TIMESTAMP, 'replayed after the node unregistered');
    assert.equal(s.discoveryServer.remembered, 1);
    clock += 10_001;
    await until(() => s.discoveryServer.remembered === 0, 'forgotten at the next sweep');
    raw.send({ ...first, id: 4 });
    assert.equal(await codeOf(4), DiscoveryErrorCode.DISCOVERY_STALE_TIMESTAMP, 'still refused, by the clock check');
    assert.equal(s.discoveryServer.size, 0);
  });

  it('does not dial again a peer the operator disconnected, nor a banned node, when the server lists them', async () => {
    const s = await server();
    const [a, b, d] = [await clientOf(s.p2pAddress!, 'alice'), await clientOf(s.p2pAddress!, 'bob'), await clientOf(s.p2pAddress!, 'dave')];
    await until(() => [a, b, d].every((n) => n.peers().length === 2), 'all three connected');
    // Both operators say "do not dial": bob first (alice redials him at once, §11.3), then alice.
    b.disconnect(a.nodeId);
    await until(() => a.peers().some((p) => p.nodeId === b.nodeId && p.direction === 'outbound'), 'alice redialed bob');
    a.disconnect(b.nodeId);
    await until(() => !a.peers().some((p) => p.nodeId === b.nodeId) && !b.peers().some((p) => p.nodeId === a.nodeId), 'alice and bob apart');
    // Carol banned dave in an earlier run (bans are stored), before she ever met him.
    const carolDir = res.tmpDir();
    const before = await res.node({ dataDir: carolDir, name: 'carol' });
    before.ban(d.nodeId, 60_000, 'test');
    await before.stop();
    // Carol registers: she is given alice, bob and dave, and her join is pushed to the three,
    // each of which runs its discovery dialing again.
    const c = res.unstarted({ dataDir: carolDir, name: 'carol', discovery: { servers: [s.p2pAddress!], ...FAST_CLIENT } });
    // Carol dialing dave would fail at her own end of the handshake (she refuses banned node IDs).
    const dials: string[] = [];
    c.on('warning', (w) => w.code === 'DISCOVERY_DIAL_FAILED' && dials.push(w.message));
    const registered = nextEvent(c, 'discovery:registered');
    await c.start();
    assert.equal((await registered).peers, 3);
    await until(() => c.peers().length === 2, 'carol connected to alice and bob', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!a.peers().some((p) => p.nodeId === b.nodeId), 'alice and bob stay apart');
    assert.equal(a.addressBook().find((r) => r.address === b.p2pAddress)!.autoDial, false, "alice's book still says do not dial bob");
    assert.deepEqual(c.peers().map((p) => p.nodeId).sort(), [a.nodeId, b.nodeId].sort());
    assert.deepEqual(dials, [], 'carol did not dial the node she bans');
  });

  it('nodes keep their peers when the server process is killed, and register again when it returns', async function () {
    this.timeout(40_000);
    const port = await freePort();
    const dataDir = res.tmpDir();
    const startServer = (): Promise<CliNode> =>
      res.cliDiscovery(['--port', String(port), '--data-dir', dataDir, '--heartbeat-interval', '100ms', '--expiry', '3s', '--check-interval', '100ms']);
    const first = await startServer();
    const address = `127.0.0.1:${port}`;
    const a = await clientOf(address, 'alice');
    const b = await clientOf(address, 'bob');
    await until(() => a.peers().length === 1 && b.peers().length === 1, 'alice and bob connected');
    const serverId = a.discovery.servers()[0]!.serverId;

    const aLost = nextEvent(a, 'discovery:disconnected');
    await first.kill('SIGKILL');
    await aLost;
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(a.peers().map((p) => p.nodeId), [b.nodeId], 'alice still has bob');
    assert.deepEqual(b.peers().map((p) => p.nodeId), [a.nodeId], 'bob still has alice');
    assert.notEqual(a.discovery.servers()[0]!.state, 'registered');

    const aBack = nextEvent(a, 'discovery:registered', () => true, 15_000);
    const bBack = nextEvent(b, 'discovery:registered', () => true, 15_000);
    const second = await startServer();
    await Promise.all([aBack, bBack]);
    assert.equal(a.discovery.servers()[0]!.serverId, serverId, 'same identity from the data folder');
    await second.waitFor('discovery:join', (p) => p.nodeId === a.nodeId).catch((err) => assert.fail(`${err.message}: ${JSON.stringify(second.events)}`));
    await second.waitFor('discovery:join', (p) => p.nodeId === b.nodeId);
    assert.equal(a.peers().length, 1);
  });

  it('plexus discovery --help explains the command', async () => {
    const child = spawn(process.execPath, [CLI, 'discovery', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.once('exit', r));
    for (const text of ['--port', '--max-per-address', '--expiry', '--discovery 127.0.0.1:9999', 'default: 9999']) assert.ok(out.includes(text), `help mentions ${text}`);
  });
});

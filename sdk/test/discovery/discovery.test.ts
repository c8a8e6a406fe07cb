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
function registerFrame(signer: Identity, nodeId = signer.nodeId, id = 1, listenAddress: string | null = '127.0.0.1:1') {
  const unsigned = { nodeId, listenAddress, timestamp: Date.now() };
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

  it('caps registrations per IP address and in all, answering Error codes', async () => {
    const s = await server({ maxPerAddress: 2, maxEntries: 3 });
    const raws: RawPeer[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = new RawPeer(s.p2pAddress!);
      res.add(() => raw.close());
      raws.push(raw);
      const id = Identity.generate();
      await raw.handshake(id);
      raw.send(registerFrame(id, id.nodeId, 1, `127.0.0.1:${1000 + i}`));
      const reply = await Promise.race([raw.waitFrame('DiscoveryRegistered'), raw.waitFrame('Error')]);
      codes.push(reply.type === 'Error' ? (reply.body as { code: string }).code : 'OK');
      if (reply.type === 'Error') assert.equal(reply.re, 1, 'the Error answers the request');
    }
    assert.deepEqual(codes, ['OK', 'OK', DiscoveryErrorCode.DISCOVERY_ADDRESS_LIMIT]);
    assert.equal(s.discoveryServer.size, 2);
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

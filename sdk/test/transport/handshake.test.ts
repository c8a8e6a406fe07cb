import assert from 'node:assert/strict';
import { CloseCode, HandshakeError } from '../../src/index';
import { Identity } from '../../src/identity/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

describe('handshake', () => {
  const res = new Resources();
  afterEach(() => res.release());

  function raw(address: string): RawPeer {
    const peer = new RawPeer(address);
    res.add(() => peer.close());
    return peer;
  }

  it('connects two nodes that then know each other by node ID, name and address', async () => {
    const a = await res.node({ name: 'alice' });
    const b = await res.node({ name: 'bob' });
    const seenByA = nextEvent(a, 'peer:connect');
    const peer = await b.connect(a.p2pAddress!);
    assert.equal(peer.nodeId, a.nodeId);
    assert.equal(peer.name, 'alice');
    assert.equal(peer.direction, 'outbound');
    const other = await seenByA;
    assert.equal(other.nodeId, b.nodeId);
    assert.equal(other.name, 'bob');
    assert.equal(other.direction, 'inbound');
    assert.equal(other.address, b.p2pAddress, 'the inbound peer is known by its signed listen address');
  });

  it('listens and connects on IPv6 loopback, announcing [::1]:PORT', async () => {
    const a = await res.node({ host: '::1' });
    assert.match(a.p2pAddress!, /^\[::1\]:\d+$/);
    const b = await res.node({ host: '::1' });
    const peer = await b.connect(a.p2pAddress!);
    assert.equal(peer.nodeId, a.nodeId);
    await until(() => a.peers()[0]?.address === b.p2pAddress, 'a knows b by its bracketed address');
  });

  it('connects three nodes in a full mesh', async () => {
    const a = await res.node();
    const b = await res.node({ peers: [a.p2pAddress!] });
    const c = await res.node({ peers: [a.p2pAddress!, b.p2pAddress!] });
    await until(() => [a, b, c].every((n) => n.peers().length === 2), 'all see two peers');
    assert.deepEqual(new Set(c.peers().map((p) => p.nodeId)), new Set([a.nodeId, b.nodeId]));
  });

  it('accepts a raw client that follows the protocol', async () => {
    const node = await res.node();
    const client = raw(node.p2pAddress!);
    const id = Identity.generate();
    const connected = nextEvent(node, 'peer:connect');
    await client.handshake(id);
    await client.waitFrame('Ready');
    assert.equal((await connected).nodeId, id.nodeId);
  });

  it('answers a request sent right behind Ready (same TCP read) instead of dropping it', async () => {
    const node = await res.node({ heartbeat: { intervalMs: 60_000, timeoutMs: 60_000 } });
    for (let round = 0; round < 20; round++) {
      const client = raw(node.p2pAddress!);
      await client.handshake(Identity.generate(), { thenAtOnce: [{ v: 1, type: 'Ping', id: 5, body: { nonce: 'CCCCCCCCCCC' } }] });
      const pong = await client.waitFrame('Pong', (f) => f.re === 5, 1_000);
      assert.deepEqual(pong.body, { nonce: 'CCCCCCCCCCC' });
      client.close();
    }
  });

  it('rejects a Hello whose signature is not over our challenge with 4002', async () => {
    const node = await res.node();
    const client = raw(node.p2pAddress!);
    await client.handshake(Identity.generate(), { badSignature: true });
    assert.equal((await client.closed).code, CloseCode.BAD_SIGNATURE);
    assert.equal(node.peers().length, 0);
  });

  it('rejects an unsupported protocol version with 4001', async () => {
    const node = await res.node();
    const client = raw(node.p2pAddress!);
    await client.handshake(Identity.generate(), { version: 9 });
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.UNSUPPORTED_VERSION);
    assert.match(closed.reason, /version 9/);
  });

  it('rejects a node ID that is not the hash of the public key with 4008', async () => {
    const node = await res.node();
    const client = raw(node.p2pAddress!);
    await client.handshake(Identity.generate(), { claimNodeId: Identity.generate().nodeId });
    assert.equal((await client.closed).code, CloseCode.NODE_ID_MISMATCH);
  });

  it('rejects a connection to ourselves with 4003, and refuses to dial our own address', async () => {
    const node = await res.node();
    const port = node.p2pAddress!.split(':')[1];
    // The same node through another name for the same socket.
    await assert.rejects(node.connect(`localhost:${port}`), (err: unknown) => err instanceof HandshakeError && err.closeCode === CloseCode.SELF_CONNECTION);
    await assert.rejects(node.connect(node.p2pAddress!), (err: Error & { code?: string }) => err.code === 'SELF_CONNECTION');
    assert.equal(node.peers().length, 0);
  });

  it('rejects a banned node with 4004, in both directions, and admits it after unban', async () => {
    const a = await res.node();
    const b = await res.node();
    a.ban(b.nodeId, 60_000, 'test');
    await assert.rejects(b.connect(a.p2pAddress!), (err: unknown) => err instanceof HandshakeError && err.closeCode === CloseCode.BANNED && err.remote);
    await assert.rejects(a.connect(b.p2pAddress!), (err: unknown) => err instanceof HandshakeError && err.closeCode === CloseCode.BANNED && !err.remote);
    assert.equal(a.unban(b.nodeId), true);
    await b.connect(a.p2pAddress!);
    await until(() => a.peers().length === 1, 'a admits b');
  });

  it('bans a connected peer with a long non-ASCII reason', async () => {
    const a = await res.node();
    const b = await res.node();
    await b.connect(a.p2pAddress!);
    await until(() => a.peers().length === 1, 'a sees b');
    const gone = nextEvent(b, 'peer:disconnect');
    a.ban(b.nodeId, 60_000, 'spam '.repeat(10) + 'ключ 🔑 '.repeat(20));
    assert.equal((await gone).code, CloseCode.BANNED);
  });

  it('drops a connected peer when it is banned', async () => {
    const a = await res.node();
    const b = await res.node();
    await b.connect(a.p2pAddress!);
    await until(() => a.peers().length === 1, 'a sees b');
    const gone = nextEvent(b, 'peer:disconnect');
    a.ban(b.nodeId);
    assert.equal((await gone).code, CloseCode.BANNED);
  });

  it('closes a peer that does not finish the handshake in time with 4006', async () => {
    const node = await res.node({ handshakeTimeoutMs: 200 });
    const client = raw(node.p2pAddress!);
    await client.opened; // and then say nothing
    assert.equal((await client.closed).code, CloseCode.HANDSHAKE_TIMEOUT);
  });

  it('closes with 4000 when frames come out of order', async () => {
    const node = await res.node();
    const client = raw(node.p2pAddress!);
    await client.opened;
    client.send({ v: 1, type: 'Ping', id: 1, body: { nonce: 'AAAAAAAAAAA' } });
    assert.equal((await client.closed).code, CloseCode.PROTOCOL_ERROR);
  });

  it('refuses inbound peers over the cap with 4007', async () => {
    const a = await res.node({ maxPeers: 1 });
    const b = await res.node();
    const c = await res.node();
    await b.connect(a.p2pAddress!);
    await assert.rejects(c.connect(a.p2pAddress!), (err: unknown) => err instanceof HandshakeError && err.closeCode === CloseCode.TOO_MANY_PEERS);
    assert.equal(a.peers().length, 1);
  });

  it('collapses simultaneous connections both ways to the same single connection', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await res.node();
      const b = await res.node();
      await Promise.all([a.connect(b.p2pAddress!), b.connect(a.p2pAddress!)]);
      await until(() => a.peers().length === 1 && b.peers().length === 1, 'one peer each');
      // Let any duplicate close settle, then check both kept the same connection.
      await new Promise((r) => setTimeout(r, 100));
      const [pa] = a.peers();
      const [pb] = b.peers();
      assert.ok(pa && pb, 'still connected');
      const lower = a.nodeId < b.nodeId ? a : b;
      // The kept connection is the one the lower node ID dialed.
      assert.equal(lower.peers()[0]!.direction, 'outbound');
      assert.notEqual(pa.direction, pb.direction);
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

import assert from 'node:assert/strict';
import { CloseCode } from '../../src/index';
import { Identity } from '../../src/identity/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

describe('bad frames from a connected peer', () => {
  const res = new Resources();
  afterEach(() => res.release());

  /** A node and a raw client that completed the handshake. */
  async function connected(init = {}) {
    const node = await res.node(init);
    const client = new RawPeer(node.p2pAddress!);
    res.add(() => client.close());
    const id = Identity.generate();
    const joined = nextEvent(node, 'peer:connect');
    await client.handshake(id);
    await joined;
    client.frames.length = 0;
    return { node, client, id };
  }

  const cases: Array<[string, string | Buffer, string, number]> = [
    ['malformed JSON', '{"v":1,"type":', 'MALFORMED_FRAME', 25],
    ['a bad field', JSON.stringify({ v: 1, type: 'Ping', id: 10, body: { nonce: 12345 } }), 'INVALID_MESSAGE', 10],
    ['an envelope with an extra field', JSON.stringify({ v: 1, type: 'Ping', id: 11, body: { nonce: 'AAAAAAAAAAA' }, admin: true }), 'INVALID_ENVELOPE', 20],
    ['a handshake message after the handshake', JSON.stringify({ v: 1, type: 'Ready', body: {} }), 'UNEXPECTED_MESSAGE', 10],
    ['a binary frame', Buffer.from([1, 2, 3]), 'UNEXPECTED_BINARY', 20],
  ];
  for (const [label, frame, code, points] of cases) {
    it(`answers ${label} with Error ${code}, costs ${points} points, and keeps serving`, async () => {
      const { node, client, id } = await connected();
      const penalty = nextEvent(node, 'peer:penalty');
      client.ws.send(frame);
      const error = await client.waitFrame('Error');
      assert.equal((error.body as { code: string }).code, code);
      const p = await penalty;
      assert.equal(p.nodeId, id.nodeId);
      assert.equal(p.code, code);
      assert.equal(p.points, points);
      // Still connected and still answering.
      client.send({ v: 1, type: 'Ping', id: 77, body: { nonce: 'BBBBBBBBBBB' } });
      const pong = await client.waitFrame('Pong', (f) => f.re === 77);
      assert.deepEqual(pong.body, { nonce: 'BBBBBBBBBBB' });
      assert.equal(node.peers().length, 1);
    });
  }

  it('answers an unknown type with Error UNKNOWN_TYPE and takes no points: nodes run different capabilities', async () => {
    const { node, client } = await connected();
    for (let i = 0; i < 30; i++) client.send({ v: 1, type: 'Teleport', id: 100 + i, body: {} });
    const error = await client.waitFrame('Error', (f) => f.re === 129);
    assert.equal((error.body as { code: string }).code, 'UNKNOWN_TYPE');
    client.send({ v: 1, type: 'Ping', id: 77, body: { nonce: 'BBBBBBBBBBB' } });
    await client.waitFrame('Pong', (f) => f.re === 77);
    assert.equal(node.peers()[0]!.score, 0, 'thirty unknown types cost nothing');
  });

  it('names the offending request id in the Error reply', async () => {
    const { client } = await connected();
    client.send({ v: 1, type: 'Ping', id: 42, body: {} });
    const error = await client.waitFrame('Error');
    assert.equal(error.re, 42);
  });

  it('closes with 1009 on a frame over maxPayload, penalises the sender, and keeps running', async () => {
    const { node, client, id } = await connected({ maxPayload: 64 * 1024 });
    const penalty = nextEvent(node, 'peer:penalty', (p) => p.code === 'MESSAGE_TOO_LARGE');
    client.send({ v: 1, type: 'Ping', id: 1, body: { nonce: 'A'.repeat(100_000) } });
    let died = false;
    node.on('peer:dead', () => (died = true));
    const gone = nextEvent(node, 'peer:disconnect');
    assert.equal((await client.closed).code, CloseCode.MESSAGE_TOO_BIG);
    assert.equal((await penalty).nodeId, id.nodeId);
    assert.equal((await gone).code, CloseCode.MESSAGE_TOO_BIG, 'reported with the code we closed with');
    assert.equal(died, false, 'a peer we threw out is not reported dead');
    await until(() => node.peers().length === 0, 'the peer is gone');
    // The node still accepts others.
    const other = await res.node();
    await other.connect(node.p2pAddress!);
  });

  it('bans a peer whose score falls to the threshold and closes it with 4009', async () => {
    const { node, client, id } = await connected({ banScoreThreshold: 50 });
    const banned = nextEvent(node, 'peer:ban');
    for (let i = 0; i < 3; i++) client.send('not json at all');
    assert.equal((await banned).nodeId, id.nodeId);
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.MISBEHAVIOUR);
    assert.equal(node.bans()[0]?.nodeId, id.nodeId);
    // It cannot come back while banned.
    const again = new RawPeer(node.p2pAddress!);
    res.add(() => again.close());
    await again.handshake(id);
    assert.equal((await again.closed).code, CloseCode.BANNED);
  });

  it('survives a flood of garbage from many sockets at once', async () => {
    const node = await res.node();
    const clients = Array.from({ length: 20 }, () => {
      const c = new RawPeer(node.p2pAddress!);
      res.add(() => c.close());
      return c;
    });
    await Promise.all(clients.map((c) => c.opened));
    for (const c of clients) for (let i = 0; i < 20; i++) c.send(i % 2 ? '\u0000\u0001garbage' : '{"v":1}');
    await Promise.all(clients.map((c) => c.closed));
    const b = await res.node();
    await b.connect(node.p2pAddress!);
    assert.equal(node.state, 'running');
  });
});

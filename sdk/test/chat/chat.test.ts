import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { chatMessageId, chatSigningPayload, signChatMessage, verifyChatMessage, type ChatMessage } from '../../src/chat/index';
import { ApiClient } from '../../src/api/index';
import { gossipId } from '../../src/gossip/index';
import { Identity } from '../../src/identity/index';
import type { NodeInit, PlexusNode } from '../../src/index';
import { line as lineOf, QUIET } from './fixtures';
import { CLI, nextEvent, RawPeer, Resources, until } from '../helpers';


describe('chat', () => {
  const res = new Resources();
  afterEach(() => res.release());

  const line = (n: number, init?: (i: number) => NodeInit): Promise<PlexusNode[]> => lineOf(res, n, init);

  it('computes the worked example of docs/protocol.md §20.2 byte for byte', () => {
    // RFC 8032 test vector 1 as the author's key (Ed25519 signatures are deterministic).
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
    const m = signChatMessage(new Identity(key), { room: 'general', name: 'alice', text: 'héllo', lamport: 1764633600000 });
    assert.equal(m.author, '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9');
    assert.equal(m.id, '7f3e57d94c8350b1d98f485ecaa2ced264c24651d9ab4469f756f566cc47d018');
    assert.equal(chatSigningPayload(m).length, 239);
    assert.equal(m.signature, 'HhBbhju4Fm8ZBu-9u3xMIpAL09KAJ4qIhqpdFTkj026acm3qBsrs4g1hNKNJgAzhqHyx3Md5QWCZKmAnCrjlBQ');
    assert.deepEqual(verifyChatMessage(JSON.parse(JSON.stringify(m))), m);
    assert.throws(() => verifyChatMessage({ ...m, extra: 1 }), /fields must be exactly/);
  });

  const ids = (node: PlexusNode, room = 'general'): string[] => node.chat.history(room).map((m) => m.id);

  it('a message sent on one node appears once in every node\'s history, in the same order everywhere', async () => {
    const nodes = await line(4);
    const sent: ChatMessage[] = [];
    for (let k = 0; k < 8; k++) sent.push(await nodes[(k * 3) % 4]!.chat.send('general', `hello ${k}`));
    await until(() => nodes.every((n) => n.chat.history('general').length === 8), 'every message everywhere');
    const order = ids(nodes[0]!);
    for (const n of nodes) assert.deepEqual(ids(n), order);
    assert.deepEqual(new Set(order), new Set(sent.map((m) => m.id)));
    // Ordered by (lamport, id), and each node's own messages in the order it sent them.
    const h = nodes[2]!.chat.history('general');
    for (let i = 1; i < h.length; i++) assert.ok(h[i - 1]!.lamport < h[i]!.lamport || (h[i - 1]!.lamport === h[i]!.lamport && h[i - 1]!.id < h[i]!.id));
    assert.equal(h[0]!.name, sent.find((m) => m.id === h[0]!.id)!.name);
    assert.equal(nodes[1]!.chat.history('general', { limit: 3 }).length, 3);
    assert.deepEqual(ids(nodes[1]!).slice(0, 4), nodes[1]!.chat.history('general', { before: order[4] }).map((m) => m.id));
  });

  it('a resend with the same id changes nothing', async () => {
    const nodes = await line(3);
    const events: string[] = [];
    nodes[2]!.on('chat:message', (m) => events.push(m.id));
    const m = await nodes[0]!.chat.send('general', 'once');
    await until(() => nodes.every((n) => n.chat.history('general').length === 1), 'delivered');
    // Again through gossip (same payload, same gossip id) and straight into every node.
    nodes[0]!.gossip.publish('chat', m);
    for (const n of nodes) assert.equal(n.chat.accept(m, null).stored, false);
    await new Promise((r) => setTimeout(r, 300));
    for (const n of nodes) assert.deepEqual(n.chat.history('general'), [m]);
    assert.deepEqual(events, [m.id]);
  });

  it('refuses a tampered text and a forged author: not stored, not relayed, sender penalised', async () => {
    const nodes = await line(2);
    const raw = new RawPeer(nodes[0]!.p2pAddress!).answerPingsAndSync() as RawPeer;
    res.add(() => raw.close());
    const rawId = Identity.generate();
    const joined = nextEvent(nodes[0]!, 'peer:connect');
    await raw.handshake(rawId);
    await joined;

    const good = signChatMessage(rawId, { room: 'general', name: 'mallory', text: 'hi', lamport: Date.now() });
    // Tampered text, id recomputed so that only the signature is wrong.
    const tampered = { ...good, text: 'pay me' };
    tampered.id = chatMessageId(tampered);
    // Forged author: another node's ID with mallory's key and signature.
    const victim = nodes[1]!.nodeId;
    const forgedBase = { ...good, author: victim };
    const forged = { ...forgedBase, id: chatMessageId(forgedBase) };
    for (const [bad, what] of [
      [tampered, /signature does not verify/],
      [forged, /authorKey does not belong to author/],
      [{ ...good, text: '' }, /text is not/],
    ] as const) {
      const penalty = nextEvent(nodes[0]!, 'peer:penalty', (p) => p.nodeId === rawId.nodeId);
      raw.send(gossipFrame(bad));
      const p = await penalty;
      assert.equal(p.code, 'INVALID_GOSSIP');
      assert.match(p.message, what);
    }
    raw.send(gossipFrame(good));
    await until(() => nodes.every((n) => n.chat.history('general').length === 1), 'the good one delivered');
    for (const n of nodes) assert.deepEqual(ids(n), [good.id]);
    // 25 (signature) + 25 (author) + 10 (schema) points.
    assert.equal(nodes[0]!.peers().find((p) => p.nodeId === rawId.nodeId)!.score, -60);
    assert.throws(() => nodes[1]!.chat.accept(tampered, null), /signature does not verify/);
  });

  it('refuses an author over its rate and penalises the peer that relays the flood', async () => {
    const [node] = await line(1, () => ({ chat: { authorRate: 0.01, authorBurst: 3 } }));
    const raw = new RawPeer(node!.p2pAddress!).answerPingsAndSync() as RawPeer;
    res.add(() => raw.close());
    const flooder = Identity.generate();
    const joined = nextEvent(node!, 'peer:connect');
    await raw.handshake(flooder);
    await joined;
    const penalties: { message: string; points: number }[] = [];
    node!.on('peer:penalty', (p) => penalties.push(p));
    for (let k = 0; k < 5; k++) raw.send(gossipFrame(signChatMessage(flooder, { room: 'general', name: 'flood', text: `spam ${k}`, lamport: Date.now() + k })));
    await until(() => penalties.length === 2, 'two refused');
    assert.deepEqual(node!.chat.history('general').map((m) => m.text), ['spam 0', 'spam 1', 'spam 2']);
    for (const p of penalties) {
      assert.match(p.message, /CHAT_FLOOD: author [0-9a-f]{12} is over/);
      assert.equal(p.points, 2);
    }
  });

  it('keeps a conversation in causal order when one node\'s clock is minutes ahead', async () => {
    const AHEAD = 5 * 60_000;
    const nodes = await line(3, (i) => (i === 1 ? { now: () => Date.now() + AHEAD } : {}));
    const a = await nodes[1]!.chat.send('general', 'question (clock 5 min ahead)');
    await until(() => nodes.every((n) => n.chat.history('general').length === 1), 'question everywhere');
    const b = await nodes[0]!.chat.send('general', 'answer');
    await until(() => nodes.every((n) => n.chat.history('general').length === 2), 'answer everywhere');
    const c = await nodes[2]!.chat.send('general', 'follow-up');
    await until(() => nodes.every((n) => n.chat.history('general').length === 3), 'follow-up everywhere');
    assert.ok(b.lamport > a.lamport && c.lamport > b.lamport, `lamports ${a.lamport} ${b.lamport} ${c.lamport}`);
    for (const n of nodes) assert.deepEqual(ids(n), [a.id, b.id, c.id]);
    // A timestamp past the drift cap is refused (CLOCK_DRIFT), not stored.
    const future = signChatMessage(Identity.generate(), { room: 'general', name: null, text: 'from the future', lamport: Date.now() + 2 * 3600_000 });
    assert.throws(() => nodes[0]!.chat.accept(future, null), (err: Error & { code?: string }) => err.code === 'CLOCK_DRIFT');
  });

  it('join and leave: messages of a room are relayed by every node but stored only by its members', async () => {
    const nodes = await line(3);
    assert.deepEqual(nodes[0]!.chat.rooms().map((r) => r.room), ['general']);
    assert.equal(nodes[0]!.chat.join('dev'), true);
    assert.equal(nodes[0]!.chat.join('dev'), false);
    assert.equal(nodes[2]!.chat.join('dev'), true);
    // Node 1 is not in dev but sits between 0 and 2: it relays.
    const m = await nodes[2]!.chat.send('dev', 'dev talk');
    await until(() => nodes[0]!.chat.history('dev').length === 1, 'relayed through node 1');
    assert.deepEqual(nodes[1]!.chat.history('dev'), []);
    assert.deepEqual(nodes[0]!.chat.history('dev'), [m]);
    assert.deepEqual(nodes[0]!.chat.rooms().map((r) => [r.room, r.messages]), [['dev', 1], ['general', 0]]);
    assert.equal(nodes[0]!.chat.leave('dev'), true);
    assert.throws(() => nodes[0]!.chat.leave('general'), /cannot be left/);
    const published = nodes[2]!.gossip.stats().published;
    await nodes[2]!.chat.send('dev', 'after leave');
    await until(() => nodes[2]!.gossip.stats().published === published + 1, 'published');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(nodes[0]!.chat.history('dev').length, 1, 'not stored after leaving (the stored one stays)');
  });

  it('HTTP API: send, history, rooms, join and leave; bodies checked', async () => {
    const dir = res.tmpDir();
    const node = await res.node({ ...QUIET, dataDir: dir, api: { port: 0 } });
    const api = new ApiClient(node.apiUrl!, readFileSync(join(dir, 'api-token'), 'utf8').trim());
    assert.deepEqual(await api.post('/chat/rooms', { room: 'dev' }), { room: 'dev', joined: true });
    const { message } = await api.post<{ message: ChatMessage }>('/chat/messages', { room: 'dev', text: 'over http' });
    assert.equal(message.text, 'over http');
    assert.deepEqual((await api.get<{ messages: ChatMessage[] }>('/chat/messages?room=dev&limit=10')).messages, [message]);
    assert.deepEqual((await api.get<{ rooms: Array<{ room: string }> }>('/chat/rooms')).rooms.map((r) => r.room), ['dev', 'general']);
    assert.deepEqual(await api.delete('/chat/rooms/dev'), { room: 'dev', left: true });
    await assert.rejects(api.post('/chat/messages', { room: 'Bad Room', text: 'x' }), (e: Error & { code?: string }) => e.code === 'INVALID_BODY');
    await assert.rejects(api.post('/chat/messages', { room: 'dev' }), (e: Error & { code?: string }) => e.code === 'INVALID_BODY');
    await assert.rejects(api.delete('/chat/rooms/general'), (e: Error & { code?: string; status?: number }) => e.code === 'INVALID_CHAT_REQUEST');
  });

  it('CLI: plexus chat send, history and rooms', async () => {
    const dir = res.tmpDir();
    const node = await res.node({ ...QUIET, dataDir: dir, api: { port: 0 }, name: 'alice' });
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const plexus = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) =>
        execFile(process.execPath, [CLI, 'chat', ...args, '--api', node.apiUrl!, '--token', token], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
    assert.match(await plexus('send', 'general', 'hello from the CLI'), /^sent [0-9a-f]{12} to general \(lamport \d+\)/);
    assert.match(await plexus('history', 'general'), new RegExp(`alice \\(${node.nodeId.slice(0, 12)}\\): hello from the CLI`));
    assert.match(await plexus('rooms'), /general\s+1/);
    assert.equal(node.chat.history('general')[0]!.text, 'hello from the CLI');
  });

  it('history, rooms and the Lamport clock survive a restart (data folder)', async () => {
    const dir = res.tmpDir();
    const peer = await res.node(QUIET);
    let node = await res.node({ ...QUIET, dataDir: dir, name: 'alice' });
    await node.connect(peer.p2pAddress!);
    await until(() => node.peers().length === 1 && peer.peers().length === 1, 'linked');
    node.chat.join('dev');
    const mine = await node.chat.send('general', 'before restart');
    const theirs = await peer.chat.send('general', 'from the peer');
    await until(() => node.chat.history('general').length === 2, 'both stored');
    const before = node.chat.history('general');
    await node.stop();
    node = await res.node({ ...QUIET, dataDir: dir, name: 'alice' });
    assert.deepEqual(node.chat.history('general'), before);
    assert.deepEqual(node.chat.rooms().map((r) => r.room), ['dev', 'general']);
    assert.equal(node.chat.lamport(), Math.max(mine.lamport, theirs.lamport));
    const after = await node.chat.send('general', 'after restart');
    assert.ok(after.lamport > Math.max(mine.lamport, theirs.lamport));
    assert.equal(after.name, 'alice');
  });
});

function gossipFrame(payload: unknown): unknown {
  return { v: 1, type: 'Gossip', body: { id: gossipId('chat', payload).id, topic: 'chat', payload, hops: 1, ttl: 15, sentAt: Date.now() } };
}

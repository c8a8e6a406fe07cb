import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChatKeyPair,
  type DirectEnvelope,
  type DirectReceipt,
  openDirect,
  sealDirect,
  signChatKey,
  signReceipt,
  verifyDirectEnvelope,
  verifyReceipt,
} from '../../src/chat/index';
import { ApiClient } from '../../src/api/index';
import { Identity } from '../../src/identity/index';
import type { NodeInit, PlexusNode } from '../../src/index';
import { canonicalBytes } from '../../src/util/canonical';
import { base64url, fromBase64url } from '../../src/util/encoding';
import { line as lineOf, QUIET } from './fixtures';
import { CLI, nextEvent, RawPeer, Resources, until } from '../helpers';


/** A party of the crypto tests: identity, X25519 key, its signed ChatKey. */
function party() {
  const identity = Identity.generate();
  const keys = ChatKeyPair.generate();
  return { identity, keys, chatKey: signChatKey(identity, keys.publicKey, Date.now()) };
}

/** Flip one bit of a base64url string's bytes. */
function flip(text: string, at = 0): string {
  const b = fromBase64url(text);
  b[at] = b[at]! ^ 1;
  return base64url(b);
}

describe('chat: direct messages', () => {
  const res = new Resources();
  afterEach(() => res.release());

  describe('sealing (X25519 + HKDF-SHA256 + AES-256-GCM, signed)', () => {
    const alice = party();
    const bob = party();
    const eve = party();
    const seal = (text: string) => sealDirect(alice.identity, alice.keys, alice.chatKey, bob.chatKey, { name: 'alice', text, lamport: 1_000 }).envelope;

    it('computes the worked example of docs/protocol.md §20.7 byte for byte', () => {
      const ed = (hex: string): Identity =>
        new Identity(createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(hex, 'hex')]), format: 'der', type: 'pkcs8' }));
      const author = ed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const reader = ed('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
      // RFC 7748 §6.1's Alice and Bob.
      const authorDh = ChatKeyPair.fromRaw(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex'));
      const readerDh = ChatKeyPair.fromRaw(Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex'));
      assert.equal(authorDh.agree(readerDh.publicKey).toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
      const ak = signChatKey(author, authorDh.publicKey, 1764633600000);
      const rk = signChatKey(reader, readerDh.publicKey, 1764633600000);
      assert.equal(ak.signature, 'D3CncGFbAqX82VUFrnF3m3_NjLnHzIzmuVDK4DNmqD0NVR_C90CC_sSjS5oL-lS1xNzwZWpG2YHTQBXDT4NXCQ');
      assert.equal(rk.dh, '3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08');
      const { envelope } = sealDirect(author, authorDh, ak, rk, { name: 'alice', text: 'héllo bob', lamport: 1764633601000 }, {
        ephemeral: ChatKeyPair.fromRaw(Buffer.alloc(32, 0x42)),
        salt: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
      });
      assert.equal(envelope.id, 'dcce7201cd23339e103ac06217d080043c7b98afa1ebdcc34c2ad63b9b39c22e');
      assert.equal(envelope.eph, 'EyxEK-AQ-9V-cmAzKKp25x_MwVA6riGTJ9FNnJmT9HI');
      assert.equal(envelope.ciphertext, 'oi9NndytdPXp_yWN_kRYxinRfWAKVf3U297jNVWuX1bMsCkBzNWJTfcWnfrmB62Q5VVWlQ68b4PkBeyl2PMQxvrUG2qGmCxikvy3FO-cQx1y7-nH');
      assert.equal(envelope.signature, '5e2DNbH1I8RKUXYiouPVh-tr53k6-GxUF3Ql71rsazKADS4Rq5U60UlKIG0btsiNHmTny5Dy1BJFE7RsDtQdBA');
      assert.deepEqual(openDirect(readerDh, envelope), { name: 'alice', salt: 'AAECAwQFBgcICQoLDA0ODw', text: 'héllo bob' });
      const receipt = signReceipt(reader, { id: envelope.id, to: author.nodeId, mark: 'delivered', at: 1764633602000 });
      assert.equal(receipt.signature, 'bMANTzaZBGtTdgusqhOzLc5Z9z1aokCeQpjuY0hIMPgcd1EK0zZ9W8pmzqT3UEGUOiwQtqEbk7PyzMh-flAVCQ');
    });

    it('opens for the recipient only; the envelope carries no plaintext', () => {
      const env = seal('meet at noon');
      assert.deepEqual(verifyDirectEnvelope(JSON.parse(JSON.stringify(env)), 40_000), env);
      const content = openDirect(bob.keys, env);
      assert.equal(content.text, 'meet at noon');
      assert.equal(content.name, 'alice');
      assert.ok(!JSON.stringify(env).includes('noon'));
      assert.throws(() => openDirect(eve.keys, env), (e: Error & { code?: string }) => e.code === 'DECRYPT_FAILED');
      // Sealed again, the same text gives another ID, another ephemeral key, another ciphertext.
      const again = seal('meet at noon');
      assert.notEqual(again.id, env.id);
      assert.notEqual(again.eph, env.eph);
    });

    it('refuses a tampered ciphertext or header: the signature fails for a relay, the tag for the recipient', () => {
      const env = seal('hello bob');
      assert.throws(() => verifyDirectEnvelope({ ...env, ciphertext: flip(env.ciphertext) }, 40_000), /signature does not verify/);
      assert.throws(() => verifyDirectEnvelope({ ...env, to: eve.identity.nodeId }, 40_000), /signature does not verify/);
      assert.throws(() => verifyDirectEnvelope({ ...env, extra: 1 }, 40_000), /fields must be exactly/);
      assert.throws(() => verifyDirectEnvelope({ ...env, author: eve.identity.nodeId }, 40_000), /authorKey does not belong to author/);
      // Someone else's ChatKey as the sender's: refused.
      assert.throws(() => verifyDirectEnvelope({ ...env, senderKey: eve.chatKey }, 40_000), /signature does not verify/);
      // The author itself tampers and signs again: every relay accepts it; the recipient's AEAD tag does not.
      for (const tampered of [{ ...env, ciphertext: flip(env.ciphertext, 3) }, { ...env, lamport: env.lamport + 1 }, { ...env, eph: seal('x').eph }]) {
        const { signature: _s, ...rest } = tampered;
        const resigned = sealDirectResign(alice.identity, rest);
        assert.doesNotThrow(() => verifyDirectEnvelope(resigned, 40_000));
        assert.throws(() => openDirect(bob.keys, resigned), (e: Error & { code?: string }) => e.code === 'DECRYPT_FAILED');
      }
    });

    it('receipts are signed by their recipient', () => {
      const r = signReceipt(bob.identity, { id: seal('x').id, to: alice.identity.nodeId, mark: 'read', at: 5 });
      assert.deepEqual(verifyReceipt(JSON.parse(JSON.stringify(r))), r);
      assert.throws(() => verifyReceipt({ ...r, mark: 'delivered' }), /receipt signature does not verify/);
      assert.throws(() => verifyReceipt({ ...r, by: eve.identity.nodeId }), /byKey does not belong/);
    });
  });

  const line = (n: number, init?: (i: number) => NodeInit): Promise<PlexusNode[]> => lineOf(res, n, init);

  /** Every node knows every other's ChatKey (gossip and catch-up spread them). */
  async function keysKnown(nodes: PlexusNode[]): Promise<void> {
    await until(() => nodes.every((a) => nodes.every((b) => a === b || a.chat.keyOf(b.nodeId)?.dh === b.chat.chatKey().dh)), 'every ChatKey known');
  }

  it('a message relayed through a third node reaches its recipient, which alone can read it; delivered and read marks come back', async () => {
    const nodes = await line(3);
    await keysKnown(nodes);
    const [a, relay, b] = nodes as [PlexusNode, PlexusNode, PlexusNode];
    const relayed: unknown[] = [];
    relay.on('gossip:message', (m) => relayed.push(m));
    const arrived = nextEvent(b, 'chat:message', (m) => 'to' in m);
    const delivered = nextEvent(a, 'chat:mark', (m) => m.mark === 'delivered');
    const sent = await a.chat.sendDirect(b.nodeId, 'the password is swordfish');
    assert.deepEqual(sent.marks.delivered, null);
    const got = await arrived;
    assert.equal(got.text, 'the password is swordfish');
    assert.equal(got.id, sent.id);
    assert.equal(got.from, relay.nodeId, 'came through the relay (a and b are not connected)');
    const mark = await delivered;
    assert.deepEqual([mark.id, mark.with], [sent.id, b.nodeId]);
    // The relay forwarded it but holds no readable copy.
    assert.ok(relayed.length > 0);
    assert.deepEqual(relay.chat.conversations(), []);
    assert.deepEqual(relay.chat.conversation(a.nodeId), []);
    assert.equal(JSON.stringify(relay.store.all('SELECT * FROM chat_direct')), '[]');
    // Conversations on both ends, unread on b's.
    assert.deepEqual(b.chat.conversations().map((c) => [c.with, c.name, c.unread, c.messages]), [[a.nodeId, 'node0', 1, 1]]);
    assert.deepEqual(a.chat.conversation(b.nodeId).map((m) => [m.text, m.outgoing, m.marks.delivered !== null]), [['the password is swordfish', true, true]]);
    const read = nextEvent(a, 'chat:mark', (m) => m.mark === 'read');
    assert.equal(await b.chat.read(a.nodeId), 1);
    assert.equal(await b.chat.read(a.nodeId), 0, 'nothing left unread');
    assert.equal((await read).id, sent.id);
    assert.equal(b.chat.conversations()[0]!.unread, 0);
    assert.ok(a.chat.conversation(b.nodeId)[0]!.marks.read !== null);
    await until(() => a.outbox.list().length === 0, "the message's outbox row settled by the receipt that came by gossip");
    // b keeps its one read receipt for a until they meet directly (gossip carried it already).
    assert.deepEqual(b.outbox.list().map((e) => [e.kind, e.key, e.peerNodeId]), [['chat-receipt', 'read', a.nodeId]]);
    // Two more, read at once: one receipt marks both.
    const more = [await a.chat.sendDirect(b.nodeId, 'one'), await a.chat.sendDirect(b.nodeId, 'two')];
    await until(() => b.chat.conversations()[0]!.unread === 2, 'both arrived');
    const bothRead = new Promise<string[]>((resolve) => {
      const ids: string[] = [];
      a.on('chat:mark', (m) => m.mark === 'read' && ids.push(m.id) === 2 && resolve(ids));
    });
    assert.equal(await b.chat.read(a.nodeId), 2);
    assert.deepEqual((await bothRead).sort(), more.map((m) => m.id).sort());
    assert.equal(b.outbox.list().length, 1, 'the newer read receipt superseded the older');
  });

  it('refuses a forged author and a tampered envelope (penalised), opens nothing it cannot decrypt, and ignores a replay', async () => {
    const node = await res.node({ ...QUIET });
    const raw = new RawPeer(node!.p2pAddress!).answerPingsAndSync() as RawPeer;
    res.add(() => raw.close());
    const mallory = party();
    const joined = nextEvent(node!, 'peer:connect');
    await raw.handshake(mallory.identity);
    await joined;
    const target = node!.chat.chatKey();
    const good = sealDirect(mallory.identity, mallory.keys, mallory.chatKey, target, { name: 'mallory', text: 'hi', lamport: Date.now() }).envelope;
    let nextId = 1000;
    const request = async (body: unknown): Promise<Record<string, unknown>> => {
      const id = nextId++;
      raw.send({ v: 1, type: 'DirectMessage', id, body });
      const reply = await Promise.race([raw.waitFrame('Error', (f) => f.re === id), raw.waitFrame('DirectReceipt', (f) => f.re === id)].map((p) => p.catch(() => new Promise<never>(() => {}))));
      return reply;
    };
    const victim = Identity.generate();
    const cases: [unknown, RegExp, number][] = [
      [{ ...good, ciphertext: flip(good.ciphertext) }, /signature does not verify/, 25],
      [{ ...good, author: victim.nodeId }, /authorKey does not belong to author/, 25],
      [{ ...good, extra: 1 }, /must NOT have additional properties/, 10],
      [{ ...good, to: 'f'.repeat(64) }, /signature does not verify/, 25],
    ];
    let score = 0;
    for (const [bad, what, points] of cases) {
      const reply = await request(bad);
      assert.equal(reply.type, 'Error');
      assert.match(String((reply.body as { message: string }).message), what);
      score -= points;
      assert.equal(node!.peers().find((p) => p.nodeId === mallory.identity.nodeId)!.score, score);
    }
    // The author tampers and signs again: the AEAD tag fails; refused without penalty (relays forward such a message in good faith).
    const { signature: _s, ...unsigned } = { ...good, ciphertext: flip(good.ciphertext, 2) };
    const undecryptable = await request(sealDirectResign(mallory.identity, unsigned));
    assert.equal((undecryptable.body as { code: string }).code, 'DECRYPT_FAILED');
    assert.deepEqual(node!.chat.conversations(), []);

    const events: unknown[] = [];
    node!.on('chat:message', (m) => events.push(m));
    const first = await request(good);
    assert.equal(first.type, 'DirectReceipt');
    const receipt = first.body as DirectReceipt;
    assert.deepEqual([receipt.id, receipt.by, receipt.to, receipt.mark], [good.id, node!.nodeId, mallory.identity.nodeId, 'delivered']);
    assert.doesNotThrow(() => verifyReceipt(receipt));
    const replay = await request(good);
    assert.deepEqual(replay.body, receipt, 'a replay gets the same receipt');
    assert.equal(events.length, 1, 'a replay is not delivered again');
    assert.equal(node!.chat.conversation(mallory.identity.nodeId).length, 1);
    assert.equal(node!.peers().find((p) => p.nodeId === mallory.identity.nodeId)!.score, score);
  });

  it('a direct message to an offline node waits in the outbox and is delivered when it returns; a restarted node keeps its history and catches up on room messages it missed', async () => {
    const dir = res.tmpDir();
    const a = await res.node({ ...QUIET, name: 'alice' });
    let b = await res.node({ ...QUIET, dataDir: dir, name: 'bob' });
    await b.connect(a.p2pAddress!);
    await keysKnown([a, b]);
    const early = await a.chat.send('general', 'before bob left');
    await until(() => b.chat.history('general').length === 1, 'bob has the first message');
    const bobId = b.nodeId;
    await b.stop();
    await until(() => a.peers().length === 0, 'bob gone');

    // While bob is away: room messages and a direct message.
    const missed = [await a.chat.send('general', 'missed 1'), await a.chat.send('general', 'missed 2')];
    const dm = await a.chat.sendDirect(bobId, 'are you there?');
    assert.deepEqual(a.outbox.list().map((e) => [e.kind, e.key, e.peerNodeId]), [['chat-direct', dm.id, bobId]]);

    // Listeners first: bob redials alice from its address book as soon as it starts.
    b = res.unstarted({ ...QUIET, dataDir: dir, name: 'bob' });
    const stored: string[] = [];
    b.on('chat:message', (m) => stored.push(m.id));
    const delivered = nextEvent(a, 'chat:mark', (m) => m.id === dm.id && m.mark === 'delivered');
    const synced = nextEvent(b, 'chat:sync');
    await b.start();
    assert.equal(b.nodeId, bobId);
    assert.ok(b.chat.history('general').some((m) => m.id === early.id), 'history survived the restart');
    const sync = await synced;
    assert.ok(sync.stored >= 2, `catch-up stored ${sync.stored}`);
    assert.deepEqual(b.chat.history('general').map((m) => m.text), ['before bob left', 'missed 1', 'missed 2']);
    assert.deepEqual(missed.map((m) => m.id), b.chat.history('general').slice(1).map((m) => m.id));
    assert.ok(!stored.includes(early.id), 'the message it had is not stored again');
    await delivered;
    await until(() => b.chat.conversation(a.nodeId).length === 1, 'the direct message arrived');
    assert.equal(b.chat.conversation(a.nodeId)[0]!.text, 'are you there?');
    await until(() => a.outbox.list().length === 0, 'outbox empty');
    // A second catch-up receives the overlap again and stores nothing twice.
    const again = await b.chat.syncWith(a.nodeId);
    assert.ok(again.received >= 3);
    assert.equal(again.stored, 0);
    assert.equal(b.chat.history('general').length, 3);
  });

  it('HTTP API and CLI: send to a node, a conversation, conversations, read; bodies checked', async () => {
    const dirs = [res.tmpDir(), res.tmpDir()];
    const [a, b] = await line(2, (i) => ({ dataDir: dirs[i], api: { port: 0 } }));
    await keysKnown([a!, b!]);
    const token = (i: number): string => readFileSync(join(dirs[i]!, 'api-token'), 'utf8').trim();
    const client = new ApiClient(a!.apiUrl!, token(0));
    const { message } = await client.post<{ message: { id: string; to: string; outgoing: boolean } }>('/chat/messages', { to: b!.nodeId, text: 'over http' });
    assert.deepEqual([message.to, message.outgoing], [b!.nodeId, true]);
    await until(() => b!.chat.conversation(a!.nodeId).length === 1, 'arrived');
    const conv = await client.get<{ with: string; messages: { id: string }[] }>(`/chat/messages?with=${b!.nodeId}`);
    assert.deepEqual(conv.messages.map((m) => m.id), [message.id]);
    const bClient = new ApiClient(b!.apiUrl!, token(1));
    assert.equal((await bClient.get<{ conversations: { unread: number }[] }>('/chat/conversations')).conversations[0]!.unread, 1);
    assert.deepEqual(await bClient.post('/chat/read', { with: a!.nodeId }), { with: a!.nodeId, marked: 1 });
    for (const [body, code] of [
      [{ to: 'nope', text: 'x' }, 'INVALID_BODY'],
      [{ to: b!.nodeId, room: 'general', text: 'x' }, 'INVALID_BODY'],
      [{ to: 'a'.repeat(64), text: 'x' }, 'NO_CHAT_KEY'],
      [{ to: a!.nodeId, text: 'x' }, 'INVALID_CHAT_REQUEST'],
    ] as const) {
      await assert.rejects(client.post('/chat/messages', body), (e: { code?: string }) => e.code === code, JSON.stringify(body));
    }
    await assert.rejects(client.get('/chat/messages?with=xyz'), (e: { code?: string }) => e.code === 'INVALID_CHAT_REQUEST');

    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [CLI, ...args, '--api', a!.apiUrl!, '--token', token(0)], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
    assert.match(await run(['chat', 'send', '--to', b!.nodeId, 'from the cli']), new RegExp(`^sent [0-9a-f]{12} to ${b!.nodeId.slice(0, 12)} \\(lamport \\d+\\)`));
    await until(() => b!.chat.conversation(a!.nodeId).length === 2, 'the second arrived');
    await until(() => a!.chat.conversation(b!.nodeId).every((m) => m.marks.delivered !== null), 'both delivered');
    const history = await run(['chat', 'history', '--with', b!.nodeId]);
    assert.match(history, new RegExp(`node0 \\(${a!.nodeId.slice(0, 12)}\\): over http \\[read\\]`));
    assert.match(history, /: from the cli \[delivered\]/);
    assert.match(await run(['chat', 'conversations']), new RegExp(`node1 \\(${b!.nodeId.slice(0, 12)}\\)\\s+2\\s+0`));

    // plexus chat tail: the stored ones first, then what arrives (messages with names, marks), until Ctrl-C.
    const tail = spawn(process.execPath, [CLI, 'chat', 'tail', '--with', b!.nodeId, '--last', '1', '--api', a!.apiUrl!, '--token', token(0)], { env: { ...process.env, NO_COLOR: '1' } });
    res.add(() => void tail.kill('SIGKILL'));
    let printed = '';
    tail.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    await until(() => printed.includes('from the cli'), 'the last stored message printed');
    // The event stream opens just after: send until one is followed.
    for (let k = 0; !printed.includes('live '); k++) {
      await b!.chat.sendDirect(a!.nodeId, `live ${k}`);
      await until(() => printed.includes('live '), 'a new message followed', 1000).catch(() => undefined);
    }
    assert.match(printed, new RegExp(`@${b!.nodeId.slice(0, 12)} \\S+ node1 \\(${b!.nodeId.slice(0, 12)}\\): live \\d`));
    await b!.chat.read(a!.nodeId);
    await a!.chat.read(b!.nodeId);
    await until(() => / read by /.test(printed), 'a read mark followed');
    const exited = new Promise((r) => tail.once('exit', r));
    tail.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});

/** Sign an envelope again as `identity` (what a malicious author can do): §20.7's signed bytes. */
function sealDirectResign(identity: Identity, unsigned: Omit<DirectEnvelope, 'signature'>): DirectEnvelope {
  return { ...unsigned, signature: identity.sign(canonicalBytes({ purpose: 'plexus-chat-direct', ...unsigned })) };
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractAddress, type ContractRecord, signRecord, sourceHashOf, stateHashOf } from '../../src/contracts/index';
import { Identity } from '../../src/identity/index';
import type { NodeInit, PlexusNode } from '../../src/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

const example = (file: string): string => readFileSync(join(__dirname, '../../../examples/contracts', file), 'utf8');
const COUNTER = example('counter.js');
const TOKEN = example('token.js');
const MINUTE = 60_000;

/** A record made and signed by `identity`, outside any node (as a raw peer would). */
function forge(identity: Identity, overrides: Partial<ContractRecord> = {}, now = Date.now()): ContractRecord {
  const source = 'export function get(s) { return s.n }';
  const sourceHash = sourceHashOf(source);
  const nonce = 'ab'.repeat(16);
  const state = { n: 1 };
  return signRecord(
    {
      address: contractAddress(identity.nodeId, sourceHash, nonce),
      name: 'forged',
      source,
      sourceHash,
      functions: ['get'],
      deployer: identity.nodeId,
      nonce,
      createdAt: now,
      state,
      stateHash: stateHashOf(state),
      seq: 0,
      version: { time: now, counter: 0, nodeId: identity.nodeId },
      updatedAt: now,
      updaterPublicKey: identity.publicKey,
      ...overrides,
    },
    identity,
  );
}

describe('contracts between nodes', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function pair(initA: NodeInit = {}, initB: NodeInit = {}): Promise<[PlexusNode, PlexusNode]> {
    const a = await res.node({ name: 'a', ...initA });
    const b = await res.node({ name: 'b', ...initB });
    return [a, b];
  }

  it('deploys on one node and the other gets it on connect, then every update', async () => {
    const [a, b] = await pair();
    const record = await a.contracts.deploy({ name: 'token', source: TOKEN, args: ['T', 'TKN'] });
    assert.equal(record.seq, 0);
    assert.deepEqual(record.state.minters, [a.nodeId]);
    assert.equal(b.contracts.list().length, 0);
    await b.connect(a.p2pAddress!);
    await until(() => b.contracts.list().length === 1, 'b has the contract');
    assert.equal(b.contracts.get(record.address).stateHash, record.stateHash);

    const updated = nextEvent(b, 'contract:update', (u) => u.address === record.address);
    const minted = await a.contracts.call(record.address, 'mint', [b.nodeId, 100]);
    assert.equal(minted.changed, true);
    assert.equal(minted.seq, 1);
    const u = await updated;
    assert.ok(u.mode !== 'chain', 'a replicated contract event has no mode');
    assert.equal(u.seq, 1);
    assert.equal((await b.contracts.call(record.address, 'balanceOf', [b.nodeId])).result, 100);
    await until(() => a.outbox.list().length === 0, "a's outbox empties once b acknowledged");
  });

  it('does not version or broadcast a view call', async () => {
    const [a, b] = await pair();
    await b.connect(a.p2pAddress!);
    const record = await a.contracts.deploy({ name: 'counter', source: COUNTER, args: [5] });
    await until(() => b.contracts.list().length === 1 && a.outbox.list().length === 0, 'b has it');
    let updates = 0;
    b.on('contract:update', () => updates++);
    const view = await a.contracts.call(record.address, 'get');
    assert.equal(view.result, 5);
    assert.equal(view.changed, false);
    assert.deepEqual(view.version, record.version);
    assert.equal(a.outbox.list().length, 0);
    assert.equal(a.contracts.get(record.address).seq, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(updates, 0);
  });

  it('stamps a call after the current version even when the clock restarted behind it', async () => {
    const dir = res.tmpDir();
    const ahead = await res.node({ dataDir: dir, now: () => Date.now() + 30 * MINUTE });
    const { address } = await ahead.contracts.deploy({ name: 'counter', source: COUNTER });
    const before = (await ahead.contracts.call(address, 'increment', [1])).version;
    await ahead.stop();
    // The same node restarts with its clock put right (30 minutes earlier).
    const restarted = await res.node({ dataDir: dir, now: () => Date.now() });
    const after = (await restarted.contracts.call(address, 'increment', [1])).version;
    assert.ok(after.time > before.time || (after.time === before.time && after.counter > before.counter), 'the new version orders after the old one');
    assert.equal(restarted.contracts.get(address).seq, 2);
  });

  it('refuses to run init again after deploy', async () => {
    const [a] = await pair();
    const { address } = await a.contracts.deploy({ name: 'token', source: TOKEN, args: ['T', 'T'] });
    await assert.rejects(a.contracts.call(address, 'init', ['Evil', 'EVL']), (e: Error & { code?: string }) => e.code === 'CONTRACT_FUNCTION_NOT_FOUND');
    assert.equal(a.contracts.get(address).state.name, 'T');
  });

  it('leaves the state as it was when a call fails', async () => {
    const [a] = await pair();
    const record = await a.contracts.deploy({ name: 'token', source: TOKEN });
    await assert.rejects(a.contracts.call(record.address, 'transfer', ['x', 5]), (e: Error & { code?: string }) => e.code === 'CONTRACT_THREW');
    await assert.rejects(a.contracts.call(record.address, 'nope'), (e: Error & { code?: string }) => e.code === 'CONTRACT_FUNCTION_NOT_FOUND');
    await assert.rejects(a.contracts.call('f'.repeat(64), 'get'), (e: Error & { code?: string }) => e.code === 'CONTRACT_NOT_FOUND');
    assert.deepEqual(a.contracts.get(record.address), record);
    assert.equal(a.outbox.list().length, 0);
  });

  it('converges on the later update although the nodes clocks are minutes apart', async () => {
    const a = await res.node({ name: 'a', now: () => Date.now() });
    const slow = await res.node({ name: 'slow', now: () => Date.now() - 7 * MINUTE, peers: [a.p2pAddress!] });
    const fast = await res.node({ name: 'fast', now: () => Date.now() + 4 * MINUTE, peers: [a.p2pAddress!, slow.p2pAddress!] });
    const nodes = [a, slow, fast];
    await until(() => nodes.every((n) => n.peers().length === 2), 'full mesh');
    const { address } = await a.contracts.deploy({ name: 'counter', source: COUNTER });
    await until(() => nodes.every((n) => n.contracts.list().length === 1), 'all have it');

    // Causal: fast writes, slow sees it and writes after. Slow's wall clock is 11 minutes
    // behind fast's, yet its later write must win everywhere.
    await fast.contracts.call(address, 'increment', [10]);
    await until(() => slow.contracts.get(address).seq === 1, 'slow saw the fast update');
    const later = await slow.contracts.call(address, 'increment', [1]);
    await until(() => nodes.every((n) => n.contracts.get(address).seq === 2), 'all took the later update');
    for (const n of nodes) assert.equal(n.contracts.get(address).state.count, 11, 'the later update won');
    assert.equal(later.version.nodeId, slow.nodeId);

    // Concurrent: two writes at once; every node must settle on the same winner.
    await Promise.all([slow.contracts.call(address, 'increment', [100]), fast.contracts.call(address, 'increment', [1000])]);
    await until(() => new Set(nodes.map((n) => n.contracts.get(address).stateHash)).size === 1 && nodes.every((n) => n.outbox.list().length === 0), 'converged', 10_000);
    const winner = a.contracts.get(address);
    assert.ok([111, 1011].includes(winner.state.count as number), `one of the two writes won: ${winner.state.count}`);
  });

  it('syncs incrementally after the first full sync, and pages large answers', async () => {
    const dirB = res.tmpDir();
    const a = await res.node({ name: 'a' });
    const addresses: string[] = [];
    for (let i = 0; i < 30; i++) addresses.push((await a.contracts.deploy({ name: `c${i}`, source: COUNTER, args: [i] })).address);
    let b = await res.node({ name: 'b', dataDir: dirB, contracts: { syncPageLimit: 7 } });
    const first = nextEvent(b, 'contract:sync', (s) => s.nodeId === a.nodeId);
    await b.connect(a.p2pAddress!);
    const full = await first;
    assert.equal(full.full, true);
    assert.equal(full.received, 30);
    assert.equal(full.applied, 30);
    assert.equal(full.pages, 5, '30 records at 7 per page');

    await b.stop();
    await a.contracts.call(addresses[3]!, 'increment', [1]);
    await a.contracts.call(addresses[3]!, 'increment', [1]);
    b = res.unstarted({ name: 'b', dataDir: dirB, contracts: { syncPageLimit: 7 } });
    const resumed = nextEvent(b, 'contract:sync', (s) => s.nodeId === a.nodeId, 10_000);
    await b.start();
    const second = await resumed;
    assert.equal(second.full, false, 'resumed from the stored cursor');
    assert.equal(second.received, 1, 'only the changed contract');
    assert.ok(second.bytes * 5 < full.bytes, `incremental ${second.bytes} bytes vs full ${full.bytes}`);
    assert.equal(b.contracts.get(addresses[3]!).state.count, 5);
  });

  it('does not send a peer back the records it sent', async () => {
    const dirB = res.tmpDir();
    const a = await res.node({ name: 'a' });
    for (let i = 0; i < 10; i++) await a.contracts.deploy({ name: `c${i}`, source: COUNTER });
    let b = res.unstarted({ name: 'b', dataDir: dirB, peers: [a.p2pAddress!] });
    const aSyncedB = nextEvent(a, 'contract:sync', (s) => s.nodeId === b.nodeId);
    await b.start();
    await until(() => b.contracts.list().length === 10, 'b has all ten');
    await aSyncedB;
    await b.stop();
    b = res.unstarted({ name: 'b', dataDir: dirB });
    const again = nextEvent(a, 'contract:sync', (s) => s.nodeId === b.nodeId, 10_000);
    await b.start();
    const s = await again;
    assert.equal(s.received, 0, 'the ten records a sent b do not come back');
  });

  it('caps how many contracts one peer may bring', async () => {
    const [a, b] = await pair({}, { contracts: { maxContractsPerPeer: 4 } });
    for (let i = 0; i < 6; i++) await a.contracts.deploy({ name: `c${i}`, source: COUNTER });
    const penalties: string[] = [];
    b.on('peer:penalty', (p) => penalties.push(p.code));
    await b.connect(a.p2pAddress!);
    await nextEvent(b, 'contract:sync');
    assert.equal(b.contracts.list().length, 4);
    assert.deepEqual(penalties, ['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
  });

  describe('records from a misbehaving peer', () => {
    async function rawPeerOf(node: PlexusNode): Promise<{ raw: RawPeer; id: Identity }> {
      const raw = new RawPeer(node.p2pAddress!);
      res.add(() => raw.close());
      const id = Identity.generate();
      // An empty sync page, so that only our pushes matter.
      raw.answerPingsAndSync();
      await raw.handshake(id);
      await until(() => node.peers().length === 1, 'connected');
      return { raw, id };
    }

    const tampered: Array<[string, (r: ContractRecord, id: Identity) => ContractRecord]> = [
      ['a forged signature', (r) => ({ ...r, signature: Identity.generate().sign(Buffer.from('x')) })],
      ['a tampered state', (r) => ({ ...r, state: { n: 1_000_000 } })],
      ['a state hash that does not match', (r) => ({ ...r, state: { n: 2 }, stateHash: stateHashOf({ n: 2 }).replace(/^./, '0') })],
      ['a tampered source', (r) => ({ ...r, source: 'export function get() { return 666 }' })],
      ['someone else\'s key', (r) => ({ ...r, updaterPublicKey: Identity.generate().publicKey })],
      ['a wrong address', (r, id) => forge(id, { address: 'c'.repeat(64) })],
    ];
    for (const [label, corrupt] of tampered) {
      it(`rejects ${label} with INVALID_CONTRACT and penalises the sender`, async () => {
        const node = await res.node();
        const { raw, id } = await rawPeerOf(node);
        const penalty = nextEvent(node, 'peer:penalty', (p) => p.nodeId === id.nodeId);
        raw.send({ v: 1, type: 'NewContract', id: 9, body: { contract: corrupt(forge(id), id) } });
        const error = await raw.waitFrame('Error', (f) => f.re === 9);
        assert.equal((error.body as { code: string }).code, 'INVALID_CONTRACT');
        assert.equal((await penalty).code, 'INVALID_CONTRACT');
        assert.equal(node.contracts.list().length, 0);
      });
    }

    it('stops a sync whose pages say "more" without moving the cursor', async () => {
      const node = await res.node();
      const raw = new RawPeer(node.p2pAddress!);
      res.add(() => raw.close());
      let asked = 0;
      raw.ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        if (f.type === 'GetContracts') {
          asked++;
          raw.send({ v: 1, type: 'Contracts', re: f.id, body: { epoch: 'e'.repeat(32), contracts: [], cursor: 0, more: true } });
        }
      });
      const penalty = nextEvent(node, 'peer:penalty', (p) => p.code === 'INVALID_MESSAGE');
      const warning = nextEvent(node, 'warning', (w) => w.code === 'SYNC_FAILED');
      await raw.handshake(Identity.generate());
      await penalty;
      assert.match((await warning).message, /does not advance/);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(asked <= 2, `asked ${asked} times`);
    });

    it('accepts a valid record, acknowledges it, applies a resend once, and bans a repeat offender', async () => {
      const node = await res.node();
      const { raw, id } = await rawPeerOf(node);
      const good = forge(id);
      let news = 0;
      node.on('contract:new', () => news++);
      raw.send({ v: 1, type: 'NewContract', id: 1, body: { contract: good } });
      assert.deepEqual((await raw.waitFrame('ContractAck', (f) => f.re === 1)).body, { address: good.address, version: good.version, result: 'new' });
      raw.send({ v: 1, type: 'NewContract', id: 2, body: { contract: good } });
      assert.equal(((await raw.waitFrame('ContractAck', (f) => f.re === 2)).body as { result: string }).result, 'unchanged');
      assert.equal(news, 1, 'a resend changes nothing');
      const banned = nextEvent(node, 'peer:ban', (b) => b.nodeId === id.nodeId);
      for (let i = 0; i < 4; i++) raw.send({ v: 1, type: 'UpdateContract', id: 10 + i, body: { contract: { ...good, state: { n: 100 + i } } } });
      await banned;
      assert.equal((await raw.closed).code, 4009);
      assert.equal(node.contracts.get(good.address).stateHash, good.stateHash);
    });
  });

  describe('outbox', () => {
    it('keeps a broadcast for an offline peer on disk, supersedes it, and delivers it when the peer returns', async () => {
      const dirA = res.tmpDir();
      const dirB = res.tmpDir();
      let a = await res.node({ name: 'a', dataDir: dirA });
      let b = await res.node({ name: 'b', dataDir: dirB });
      const bAddress = b.p2pAddress!;
      await a.connect(bAddress);
      await b.stop();
      await until(() => a.peers().length === 0, 'b gone');

      const { address } = await a.contracts.deploy({ name: 'counter', source: COUNTER });
      assert.equal(a.outbox.list().length, 1);
      assert.equal(a.outbox.list()[0]!.peerAddress, bAddress);
      await a.contracts.call(address, 'increment', [1]);
      await a.contracts.call(address, 'increment', [1]);
      assert.equal(a.outbox.list().length, 1, 'newer versions supersede the pending one');
      assert.equal(JSON.parse(a.outbox.list()[0]!.payload).seq, 2);

      // Restart a: the outbox comes back from disk.
      await a.stop();
      a = await res.node({ name: 'a', dataDir: dirA, p2pPort: 0 });
      assert.equal(a.outbox.list().length, 1);

      const port = Number(bAddress.split(':')[1]);
      b = await res.node({ name: 'b', dataDir: dirB, p2pPort: port });
      await until(() => a.outbox.list().length === 0, 'delivered and acknowledged', 10_000);
      assert.equal(b.contracts.get(address).state.count, 2);
    });

    it('drops an entry after the retry limit with a warning when the peer never acknowledges', async () => {
      const node = await res.node({ outbox: { maxRetries: 3, retryIntervalMs: 30, ackTimeoutMs: 50 }, heartbeat: { intervalMs: 60_000, timeoutMs: 60_000 } });
      const raw = new RawPeer(node.p2pAddress!);
      res.add(() => raw.close());
      const id = Identity.generate();
      // NewContract is never acknowledged.
      raw.answerPingsAndSync({ pings: false });
      await raw.handshake(id, { listenAddress: '127.0.0.1:9' });
      await until(() => node.peers().length === 1, 'connected');
      const dropped = nextEvent(node, 'outbox:dropped', () => true, 5_000);
      const warning = nextEvent(node, 'warning', (w) => w.code === 'OUTBOX_DROPPED', 5_000);
      const { address } = await node.contracts.deploy({ name: 'counter', source: COUNTER });
      const d = await dropped;
      assert.equal(d.contractAddress, address);
      assert.equal(d.retryCount, 3);
      await warning;
      assert.equal(node.outbox.list().length, 0);
      assert.ok(raw.frames.filter((f) => f.type === 'NewContract').length >= 3, 'it was tried each time');
    });
  });
});

describe('contract sync with a peer that sends a bad record', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('refuses a record with a number that is not a finite double (1E400) alone: the rest of the page is applied, the sender penalised, the cursor advanced', async () => {
    const a = await res.node({ name: 'a' });
    const forger = Identity.generate();
    const good1 = forge(forger, { nonce: '01'.repeat(16), address: contractAddress(forger.nodeId, sourceHashOf('export function get(s) { return s.n }'), '01'.repeat(16)) });
    const good2 = forge(forger, { nonce: '02'.repeat(16), address: contractAddress(forger.nodeId, sourceHashOf('export function get(s) { return s.n }'), '02'.repeat(16)) });
    const bad = JSON.stringify(forge(forger, { nonce: '03'.repeat(16), address: contractAddress(forger.nodeId, sourceHashOf('export function get(s) { return s.n }'), '03'.repeat(16)) })).replace('"state":{"n":1}', '"state":{"n":1E400}');
    assert.match(bad, /1E400/);
    const raw = new RawPeer(a.p2pAddress!);
    res.add(() => raw.close());
    const epoch = 'c'.repeat(32);
    const asked: Array<{ since: number; epoch: string | null }> = [];
    raw.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(data.toString());
      if (f.type === 'Ping') raw.send({ v: 1, type: 'Pong', re: f.id, body: f.body });
      if (f.type !== 'GetContracts') return;
      asked.push({ since: f.body.since, epoch: f.body.epoch });
      const page = asked.length === 1 ? `[${JSON.stringify(good1)},${bad},${JSON.stringify(good2)}]` : '[]';
      raw.send(`{"v":1,"type":"Contracts","re":${f.id},"body":{"epoch":"${epoch}","contracts":${page},"cursor":3,"more":false}}`);
    });
    const penalty = nextEvent(a, 'peer:penalty', (p) => p.nodeId === forger.nodeId);
    const synced = nextEvent(a, 'contract:sync', (s) => s.nodeId === forger.nodeId);
    await raw.handshake(forger);
    const p = await penalty;
    assert.ok(p.points > 0, 'the sender loses points');
    const s = await synced;
    assert.equal(s.received, 3);
    assert.equal(s.applied, 2);
    assert.deepEqual(a.contracts.list().map((c) => c.address).sort(), [good1.address, good2.address].sort());
    // The next sync starts after the page: the bad record does not pin the cursor at 0.
    await a.contracts.sync(forger.nodeId);
    assert.deepEqual(asked[1], { since: 3, epoch });
    assert.equal(a.peers().length, 1, 'one bad record is not a ban');
  });

  it('does not serve back to a peer the records it sent, even on its first sync of us', async () => {
    const a = await res.node({ name: 'a' });
    for (let i = 0; i < 5; i++) await a.contracts.deploy({ name: `c${i}`, source: COUNTER });
    const b = await res.node({ name: 'b' });
    const bSynced = nextEvent(b, 'contract:sync', (s) => s.nodeId === a.nodeId);
    const aFirst = nextEvent(a, 'contract:sync', (s) => s.nodeId === b.nodeId);
    await b.connect(a.p2pAddress!);
    assert.equal((await bSynced).applied, 5, 'b pulls all five from a');
    await aFirst;
    await new Promise((r) => setImmediate(r)); // let that sync settle, so the next is a new one
    // Make a's next sync of b its first (no cursor for b), after b holds a's five records.
    a.store.run('DELETE FROM sync_cursors');
    const again = nextEvent(a, 'contract:sync', (s) => s.nodeId === b.nodeId);
    await a.contracts.sync(b.nodeId);
    const s2 = await again;
    assert.equal(s2.full, true);
    assert.equal(s2.received, 0, 'b sends none of the records it got from a');
  });
});

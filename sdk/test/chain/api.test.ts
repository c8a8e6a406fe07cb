import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import { BLOCK_REWARD, type TxStatus } from '../../src/chain/index';
import { Identity } from '../../src/identity/index';
import { chain, createNode, defaultCapabilities } from '../../src/index';
import { CLI, FAST, Resources, until } from '../helpers';
import { chainNode, converged, link, nextChainEvent } from './fixtures';

describe('chain: HTTP API, CLI, mining modes', () => {
  const res = new Resources();
  afterEach(() => res.release());

  const code = (expected: string, status: number) => (e: Error & { code?: string; status?: number }) => e.code === expected && e.status === status;

  it('automine: a transfer is refused without funds, then mined at once when funded', async () => {
    const dir = res.tmpDir();
    const node = await chainNode(res, { mode: 'automine' }, dir);
    const bob = Identity.generate().nodeId;
    // No coins yet: refused before the mempool.
    assert.throws(() => node.chain.transfer(bob, 1, 1), (e: { code?: string }) => e.code === 'TX_INSUFFICIENT_FUNDS');
    await node.chain.mine();
    const confirmed = nextChainEvent(node, 'tx:confirmed');
    const t = node.chain.transfer(bob, 250, 4);
    assert.equal((await confirmed).hash, t.hash);
    assert.equal(node.chain.head().height, 2);
    assert.equal(node.chain.account(bob).balance, 250);
    assert.equal(node.chain.account(node.nodeId).balance, 2 * BLOCK_REWARD - 250);
  });

  /** Two linked automining nodes; `relayedDelayMs` 0 makes both mine every transaction at once (ties). */
  async function autominers(relayedDelayMs?: number) {
    const a = await chainNode(res, { mode: 'automine', automineRelayedDelayMs: relayedDelayMs });
    const b = await chainNode(res, { mode: 'automine', automineRelayedDelayMs: relayedDelayMs });
    await link(a, b);
    const confirmedOn = (n: typeof a, hash: string): boolean => {
      try {
        return n.chain.tx(hash).status === 'confirmed';
      } catch {
        return false; // not seen there yet
      }
    };
    // A's first block funds B (mined on request: a manual block may be empty).
    await a.chain.mine();
    const funded = a.chain.transfer(b.nodeId, 10_000, 1);
    await until(() => confirmedOn(b, funded.hash), 'the funding transfer confirmed on B');
    const to = Identity.generate().nodeId;
    // Both send at the same moment, several transfers each.
    const sent = [
      ...[1, 2, 3].map((i) => ({ by: a.nodeId, hash: a.chain.transfer(to, i, 1).hash })),
      ...[4, 5, 6].map((i) => ({ by: b.nodeId, hash: b.chain.transfer(to, i, 1).hash })),
    ];
    await until(() => sent.every((s) => confirmedOn(a, s.hash) && confirmedOn(b, s.hash)), 'every transfer confirmed on both');
    await converged([a, b]);
    assert.equal(a.chain.account(to).balance, 21);
    assert.equal(b.chain.account(to).balance, 21);
    assert.equal(a.chain.stateRoot(), b.chain.stateRoot());
    return { a, sent };
  }

  it('automine on two nodes: each mines what was submitted to it, relayed transactions wait for their submitter, and no block is empty', async () => {
    const { a, sent } = await autominers();
    for (const s of sent) {
      const height = a.chain.tx(s.hash).receipt!.height;
      assert.equal(a.chain.block(height).block.header.miner, s.by, `the transfer at height ${height} was mined by its submitter's node`);
    }
    for (let h = 2; h <= a.chain.head().height; h++) assert.ok(a.chain.block(h).block.txs.length > 0, `block ${h} is not empty`);
  });

  it('automine on two nodes that both mine every transaction at once: their ties end, and both agree on one head', async () => {
    // converged() inside: without the tie rule, two blocks of equal work would stay each node's tip.
    await autominers(0);
  });

  it('interval mining goes on after blocks asked for with mine() while its own timer was due', async () => {
    const node = await chainNode(res, { mode: 'interval', blockTimeMs: 40 });
    // Blocks on request for a while: the interval timer fires during some of them.
    const deadline = Date.now() + 600;
    while (Date.now() < deadline) await node.chain.mine();
    const after = node.chain.head().height;
    await nextChainEvent(node, 'chain:block', (b) => b.height === after + 3, 5_000);
  });

  it('serves the chain routes with error codes, and the CLI verbs use them', async () => {
    const dir = res.tmpDir();
    const node = await createNode({ ...FAST, dataDir: dir, api: { port: 0 }, capabilities: [...defaultCapabilities({ pex: { targetPeers: 0 } }), chain()] as const });
    res.add(() => node.stop());
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const api = new ApiClient(node.apiUrl!, token);
    const bob = Identity.generate().nodeId;

    const mined = await api.post<{ hash: string; height: number; txs: number }>('/chain/mine', {});
    assert.deepEqual([mined.height, mined.txs], [1, 0]);
    const sent = await api.post<TxStatus>('/chain/txs', { to: bob, amount: 70, fee: 3 });
    assert.equal(sent.status, 'pending');
    const pool = await api.get<{ txs: Array<{ hash: string; fee: number }> }>('/chain/mempool');
    assert.deepEqual(pool.txs.map((e) => [e.hash, e.fee]), [[sent.hash, 3]]);
    await assert.rejects(api.post('/chain/txs', { tx: sent.tx }), code('TX_KNOWN', 409));
    await assert.rejects(api.post('/chain/txs', { tx: { ...sent.tx, amount: 71 } }), code('INVALID_TX', 400));
    await assert.rejects(api.post('/chain/txs', { to: bob, amount: 10 ** 9, fee: 1 }), code('TX_INSUFFICIENT_FUNDS', 400));
    await assert.rejects(api.post('/chain/txs', { to: 'nope', amount: 1, fee: 1 }), code('INVALID_BODY', 400));
    await api.post('/chain/mine', {});
    const receipt = await api.get<TxStatus>(`/chain/txs/${sent.hash}`);
    assert.equal(receipt.status, 'confirmed');
    assert.equal(receipt.receipt!.height, 2);
    assert.equal(receipt.receipt!.confirmations, 1);
    await assert.rejects(api.get(`/chain/txs/${'0'.repeat(64)}`), code('NOT_FOUND', 404));

    const sync = await api.get<{ headerHeight: number; window: unknown; peers: unknown[] }>('/chain/sync');
    assert.deepEqual([sync.window, sync.peers], [null, []]);
    const head = await api.get<{ head: { hash: string; height: number; stateRoot: string }; genesis: string; mode: string }>('/chain/head');
    assert.equal(head.head.height, 2);
    assert.equal(head.genesis, node.chain.genesisHash);
    assert.equal(head.mode, 'manual');
    const byHeight = await api.get<{ hash: string; main: boolean; block: { txs: unknown[] } }>('/chain/blocks/2');
    const byHash = await api.get<{ hash: string }>(`/chain/blocks/${head.head.hash}`);
    assert.equal(byHeight.hash, head.head.hash);
    assert.equal(byHash.hash, head.head.hash);
    assert.equal(byHeight.main, true);
    assert.equal(byHeight.block.txs.length, 1);
    await assert.rejects(api.get('/chain/blocks/99'), code('NOT_FOUND', 404));
    const list = await api.get<{ blocks: Array<{ height: number }> }>('/chain/blocks?limit=2');
    assert.deepEqual(list.blocks.map((b) => b.height), [2, 1]);
    const account = await api.get<{ balance: number; nonce: number }>(`/chain/accounts/${bob}`);
    assert.deepEqual(account, { id: bob, balance: 70, nonce: 0 });
    const all = await api.get<{ stateRoot: string; accounts: unknown[] }>('/chain/accounts');
    assert.equal(all.stateRoot, head.head.stateRoot);
    assert.equal(all.accounts.length, 2);

    const plexus = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) =>
        execFile(process.execPath, [CLI, ...args, '--api', node.apiUrl!, '--token', token], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
    assert.match(await plexus('balance', bob), new RegExp(`^${bob} balance 70 nonce 0`));
    const tx = await plexus('tx', '--to', bob, '--amount', '5', '--fee', '2');
    const hash = /^([0-9a-f]{64}) pending/.exec(tx)?.[1];
    assert.ok(hash, tx);
    assert.match(await plexus('mine'), /^mined block 3 [0-9a-f]{64} with 1 transaction\(s\)/);
    assert.match(await plexus('tx', hash!), / confirmed in block 3 .* index 0, 1 confirmation\(s\)/);
    const blocks = await plexus('blocks', '--limit', '3');
    assert.match(blocks, /HEIGHT/);
    assert.equal(blocks.trim().split('\n').length, 4);
    await until(() => node.chain.account(bob).balance === 75, 'the CLI transfer applied');
  });

  it('plexus node --mine (a child process) mines a submitted transfer at once and prints chain events', async () => {
    const dir = res.tmpDir();
    const cli = await res.cliNode(['--data-dir', dir, '--p2p-port', '0', '--api-port', '0', '--mine']);
    const { addresses } = await cli.started;
    const api = new ApiClient(addresses.api, readFileSync(join(dir, 'api-token'), 'utf8').trim());
    const head = await api.get<{ mode: string; head: { height: number } }>('/chain/head');
    assert.deepEqual([head.mode, head.head.height], ['automine', 0]);
    await api.post('/chain/mine', {}); // coins to send
    const bob = Identity.generate().nodeId;
    const sent = await api.post<TxStatus>('/chain/txs', { to: bob, amount: 9, fee: 1 });
    const confirmed = await cli.waitFor('tx:confirmed', (p) => p.hash === sent.hash);
    assert.equal(confirmed.height, 2);
    await cli.waitFor('chain:block', (p) => p.height === 2);
    assert.deepEqual(await api.get(`/chain/accounts/${bob}`), { id: bob, balance: 9, nonce: 0 });
  });
});

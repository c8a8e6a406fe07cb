import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import { signTx, txHash, type TxStatus } from '../../src/chain/index';
import { Identity } from '../../src/identity/index';
import { eventually, RawPeer, Resources, until } from '../helpers';
import { chainNode, nextChainEvent } from './fixtures';

describe('chain: an acknowledged transaction survives a crash (docs/protocol.md §21.10, §21.11)', function () {
  this.timeout(60_000);
  const res = new Resources();
  afterEach(() => res.release());

  it('a transaction acknowledged by a node SIGKILLed before any miner saw it is back in its mempool after a restart, sent to the next peer (Txs) and mined', async () => {
    // A miner funds a sender; a child node (validating, not mining) syncs that, then loses its only peer.
    const minerDir = res.tmpDir();
    const miner = await chainNode(res, {}, minerDir);
    const sender = Identity.generate();
    await miner.chain.mine();
    miner.chain.transfer(sender.nodeId, 100, 1);
    await miner.chain.mine();
    const genesis = miner.chain.genesisHash;
    const dir = res.tmpDir();
    const args = ['--chain', '--data-dir', dir, '--p2p-port', '0', '--api-port', '0'];
    const first = await res.cliNode([...args, '--peer', miner.p2pAddress!]);
    await first.waitFor('chain:block', (p) => p.height === 2, 15_000);
    await miner.stop();
    await first.waitFor('peer:disconnect', () => true, 15_000);

    // The node acknowledges a transaction (202 once it is on disk), then dies at once.
    const api = async (node: typeof first): Promise<ApiClient> => new ApiClient((await node.started).addresses.api, readFileSync(join(dir, 'api-token'), 'utf8').trim());
    const to = Identity.generate().nodeId;
    const tx = signTx(sender, { kind: 'transfer', chain: genesis, nonce: 0, fee: 2, to, amount: 7 });
    const acked = await (await api(first)).post<TxStatus>('/chain/txs', { tx });
    assert.equal(acked.status, 'pending');
    await first.kill('SIGKILL');

    // Restarted on its folder with no peer up: the transaction is pending in its mempool again.
    const again = await res.cliNode(args);
    const client = await api(again);
    assert.equal((await client.get<TxStatus>(`/chain/txs/${acked.hash}`)).status, 'pending');
    assert.equal((await client.get<{ txs: unknown[] }>('/chain/mempool')).txs.length, 1);

    // The miner comes back (automine now) and dials it: the node sends its pending transaction, the miner mines it.
    const back = await chainNode(res, { mode: 'automine' }, minerDir);
    await back.connect((await again.started).addresses.p2p);
    await again.waitFor('tx:confirmed', (p) => p.hash === acked.hash, 15_000);
    assert.equal(back.chain.account(to).balance, 7);
    assert.equal((await client.get<TxStatus>(`/chain/txs/${acked.hash}`)).receipt?.height, 3);
    await eventually(async () => ((await client.get<{ txs: unknown[] }>('/chain/mempool')).txs.length === 0 ? true : undefined), 'the mempool empty again');
  });

  it('a Txs notice: each transaction is checked as chain-tx gossip; a forged one costs its sender 20 points, a good one is pooled and relayed', async () => {
    const node = await chainNode(res);
    const neighbour = await chainNode(res);
    await neighbour.connect(node.p2pAddress!);
    const sender = Identity.generate();
    await node.chain.mine();
    node.chain.transfer(sender.nodeId, 50, 1);
    await node.chain.mine();
    await until(() => neighbour.chain.head().height === 2, 'the neighbour synced');
    const raw = new RawPeer(node.p2pAddress!);
    res.add(() => raw.close());
    raw.answerPingsAndSync();
    const rawId = Identity.generate();
    await raw.handshake(rawId);
    const good = signTx(sender, { kind: 'transfer', chain: node.chain.genesisHash, nonce: 0, fee: 1, to: rawId.nodeId, amount: 3 });
    const forged = { ...signTx(sender, { kind: 'transfer', chain: node.chain.genesisHash, nonce: 1, fee: 1, to: rawId.nodeId, amount: 3 }), amount: 30 };
    const penalty = nextChainEvent(node, 'peer:penalty', (p) => p.nodeId === rawId.nodeId);
    raw.send({ v: 1, type: 'Txs', body: { txs: [good, forged] } });
    const p = await penalty;
    assert.deepEqual([p.code, p.points], ['INVALID_CHAIN_TX', 20]);
    assert.match(p.message, /INVALID_TX/);
    assert.deepEqual(node.chain.pending().map((e) => e.hash), [txHash(good)]);
    // Relayed on chain-tx: the neighbour pools it too.
    await until(() => neighbour.chain.pending().some((e) => e.hash === txHash(good)), 'the good transaction relayed to the neighbour');
    // A body its schema refuses (an empty list) costs points too; the node keeps running.
    const malformed = nextChainEvent(node, 'peer:penalty', (e) => e.nodeId === rawId.nodeId);
    raw.send({ v: 1, type: 'Txs', body: { txs: [] } });
    const m = await malformed;
    assert.deepEqual([m.code, m.points], ['INVALID_MESSAGE', 10]);
    assert.equal(node.chain.head().height, 2);
  });
});

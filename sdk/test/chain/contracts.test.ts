import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import { BLOCK_REWARD, type ChainInit, signTx, type TxStatus } from '../../src/chain/index';
import { Identity } from '../../src/identity/index';
import { chain, createNode, defaultCapabilities } from '../../src/index';
import { FAST, Resources, until } from '../helpers';
import { type ChainNode, chainNode, converged, link, mineN, nextChainEvent } from './fixtures';

/** The contract of the lost-update scenario (issue 10), plus a function that throws and one that never ends. */
const COUNTER = `
export function init(state, ctx, start) { state.count = start ?? 0; state.by = {}; }
export function increment(state, ctx) { state.count += 1; state.by[ctx.caller] = (state.by[ctx.caller] ?? 0) + 1; return state.count; }
export function get(state) { return state.count; }
export function stamp(state, ctx) { state.at = ctx.time; return ctx.time; }
export function boom(state) { state.count = -1; throw new Error('no such luck'); }
export function spin(state) { state.count = -2; for (;;) {} }
`;

/** A node with every default capability, the chain and its HTTP API, and a client for it. */
async function apiNode(res: Resources, init: ChainInit = {}): Promise<{ node: ChainNode; api: ApiClient }> {
  const dir = res.tmpDir();
  const node = await createNode({ ...FAST, dataDir: dir, api: { port: 0 }, capabilities: [...defaultCapabilities({ pex: { targetPeers: 0 } }), chain(init)] as const });
  res.add(() => node.stop());
  const api = new ApiClient(node.apiUrl!, readFileSync(join(dir, 'api-token'), 'utf8').trim());
  return { node: node as unknown as ChainNode, api };
}

/** Deploy COUNTER from `node` and mine it: the contract's address. */
async function deployCounter(node: ChainNode, start = 0): Promise<string> {
  const d = node.chain.deploy('counter', COUNTER, [start], 0);
  await node.chain.mine();
  const receipt = (await node.chain.waitForReceipt(d.hash)).receipt!;
  assert.equal(receipt.status, 'ok', JSON.stringify(receipt.error));
  assert.equal(receipt.contract, d.hash, "a contract's address is its deploy transaction's hash");
  return d.hash;
}

describe('chain: contracts ordered by the chain', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('the lost-update scenario: 2 connected nodes x 20 concurrent increments through the HTTP API end at 40 on both, with the same state root', async () => {
    const a = await apiNode(res, { mode: 'automine' });
    const b = await apiNode(res);
    await link(a.node, b.node);
    // A node that runs the chain deploys there by default, and waits for the receipt.
    const deployed = await a.api.post<{ mode: string; address: string; contract: { address: string; state: { count: number } } | null; tx: TxStatus }>('/contracts', {
      name: 'counter',
      source: COUNTER,
      args: [0],
    });
    assert.equal(deployed.mode, 'chain');
    assert.equal(deployed.tx.status, 'confirmed');
    assert.deepEqual(deployed.contract!.state, { count: 0, by: {} });
    const address = deployed.address;
    await until(() => b.node.chain.contracts().length === 1, 'the deploy block at b');

    const inc = (n: { api: ApiClient }) => n.api.post<{ mode: string; result: number; changed: boolean; tx: TxStatus }>(`/contracts/${address}/call`, { function: 'increment' });
    const answers = await Promise.all([...Array.from({ length: 20 }, () => inc(a)), ...Array.from({ length: 20 }, () => inc(b))]);
    // Every acknowledged call is in a block, and each saw its own count: 1..40, each once.
    for (const x of answers) assert.equal(x.tx.status, 'confirmed');
    assert.deepEqual(
      answers.map((x) => x.result).sort((p, q) => p - q),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    await converged([a.node, b.node]);
    for (const n of [a, b]) {
      const { contract } = await n.api.get<{ contract: { mode: string; state: { count: number; by: Record<string, number> } } }>(`/contracts/${address}`);
      assert.equal(contract.mode, 'chain');
      assert.equal(contract.state.count, 40);
      assert.deepEqual(contract.state.by, { [a.node.nodeId]: 20, [b.node.nodeId]: 20 });
      assert.equal(n.node.chain.stateRoot(), n.node.chain.head().stateRoot);
    }
    assert.equal(a.node.chain.stateRoot(), b.node.chain.stateRoot());
    // A call that changes nothing is answered from the head state, without a transaction.
    const view = await b.api.post<{ result: number; changed: boolean; tx: unknown }>(`/contracts/${address}/call`, { function: 'get' });
    assert.deepEqual([view.result, view.changed, view.tx], [40, false, null]);
    // wait: false answers at once with the pending transaction; the receipt comes with its block.
    const sent = await b.api.post<{ tx: TxStatus; result: unknown }>(`/contracts/${address}/call`, { function: 'increment', wait: false });
    assert.deepEqual([sent.tx.status, sent.tx.receipt, sent.result], ['pending', null, null]);
    const later = await b.node.chain.waitForReceipt(sent.tx.hash);
    assert.equal(later.receipt!.result, 41);
    // A replicated deploy is still possible on a chain node, when asked for.
    const replicated = await b.api.post<{ mode: string; contract: { address: string } }>('/contracts', { name: 'local', source: COUNTER, mode: 'replicated' });
    assert.equal(replicated.mode, 'replicated');
    // The listing shows the mode of each contract.
    const list = await b.api.get<{ contracts: Array<{ address: string; mode: string }> }>('/contracts');
    assert.deepEqual(list.contracts.map((c) => [c.address, c.mode]), [[replicated.contract.address, 'replicated'], [address, 'chain']]);
  });

  it('a call that throws and one out of gas give failed receipts: the fee is paid, the nonce used, the state unchanged', async () => {
    const node = await chainNode(res, { gasLimit: 40 });
    const caller = Identity.generate();
    await mineN(node, 1);
    const address = await deployCounter(node, 5);
    const fund = node.chain.transfer(caller.nodeId, 1000, 0);
    await node.chain.mine();
    assert.equal(node.chain.tx(fund.hash).status, 'confirmed');
    const before = node.chain.contract(address);

    const send = (method: string, nonce: number, fee: number) =>
      node.chain.submit(signTx(caller, { kind: 'call', chain: node.chain.genesisHash, nonce, fee, contract: address, method, args: [] }));
    const threw = send('boom', 0, 7);
    const spun = send('spin', 1, 9);
    const missing = node.chain.submit(signTx(caller, { kind: 'call', chain: node.chain.genesisHash, nonce: 2, fee: 4, contract: 'ab'.repeat(32), method: 'increment', args: [] }));
    const confirmed = nextChainEvent(node, 'tx:confirmed', (e) => e.hash === spun.hash);
    const block = await node.chain.mine();
    assert.equal(block.txs.length, 3);
    const event = await confirmed;
    assert.deepEqual([event.status, event.error?.code, event.gasUsed], ['failed', 'CONTRACT_OUT_OF_GAS', 40], 'tx:confirmed carries the receipt');

    const r1 = node.chain.tx(threw.hash).receipt!;
    assert.deepEqual([r1.status, r1.error?.code, r1.result, r1.contract], ['failed', 'CONTRACT_THREW', null, null]);
    assert.match(r1.error!.message, /no such luck/);
    const r2 = node.chain.tx(spun.hash).receipt!;
    assert.deepEqual([r2.status, r2.error?.code, r2.gasUsed], ['failed', 'CONTRACT_OUT_OF_GAS', 40]);
    assert.equal(node.chain.tx(missing.hash).receipt!.error?.code, 'CONTRACT_NOT_FOUND');
    assert.deepEqual(node.chain.contract(address), before, 'the state is as it was');
    assert.deepEqual(node.chain.account(caller.nodeId), { id: caller.nodeId, balance: 1000 - 7 - 9 - 4, nonce: 3 });
    // Four blocks mined here; the caller's fees went to the miner.
    assert.equal(node.chain.account(node.nodeId).balance, 4 * BLOCK_REWARD - 1000 + 7 + 9 + 4);
    assert.equal(node.chain.stateRoot(), node.chain.head().stateRoot);

    // The context's time is the block's: re-executing gives the same state everywhere.
    const stamp = node.chain.call(address, 'stamp', [], 0);
    const stamped = await node.chain.mine();
    assert.equal(node.chain.tx(stamp.hash).receipt!.result, stamped.header.time);
    assert.equal(node.chain.contract(address).state.at, stamped.header.time);
    // Views read the head state and write nothing.
    const view = node.chain.view(address, 'get');
    assert.deepEqual([view.result, view.state, view.changed], [5, node.chain.contract(address).state, false]);
    assert.throws(() => node.chain.view(address, 'boom'), (e: { code?: string }) => e.code === 'CONTRACT_THREW');
    assert.equal(node.chain.contract(address).state.count, 5);
  });

  it('a deploy whose init throws creates nothing; one with arguments but no init is refused in its receipt', async () => {
    const node = await chainNode(res);
    const bad = node.chain.deploy('bad', 'export function init() { throw new TypeError("nope"); }', [], 0);
    const noInit = node.chain.deploy('plain', 'export function get(s) { return 1; }', [1], 0);
    await node.chain.mine();
    assert.deepEqual([node.chain.tx(bad.hash).receipt!.status, node.chain.tx(bad.hash).receipt!.error?.code], ['failed', 'CONTRACT_THREW']);
    assert.equal(node.chain.tx(noInit.hash).receipt!.error?.code, 'CONTRACT_INVALID_ARGS');
    assert.deepEqual(node.chain.contracts(), []);
    assert.equal(node.chain.account(node.nodeId).nonce, 2);
  });

  it('a reorg undoes a contract call and a deploy, and the call is mined again from the mempool', async () => {
    const a = await chainNode(res);
    const b = await chainNode(res);
    await link(a, b);
    await mineN(a, 1);
    const address = await deployCounter(a);
    await converged([a, b]);
    a.disconnect(b.nodeId);
    b.disconnect(a.nodeId);
    await until(() => a.peers().length === 0 && b.peers().length === 0, 'apart');
    // Apart: a increments and deploys a second contract in one block; b mines two empty blocks.
    const call = a.chain.call(address, 'increment', [], 0);
    const second = a.chain.deploy('second', COUNTER, [100], 0);
    await a.chain.mine();
    assert.equal(a.chain.contract(address).state.count, 1);
    assert.equal(a.chain.contracts().length, 2);
    await mineN(b, 2);
    const reorg = nextChainEvent(a, 'chain:reorg');
    await link(a, b);
    await reorg;
    await converged([a, b]);
    // b's branch is heavier: a's block is disconnected and its contract changes undone.
    assert.equal(a.chain.contract(address).state.count, 0);
    assert.deepEqual(a.chain.contracts().map((c) => c.address), [address]);
    assert.equal(a.chain.stateRoot(), b.chain.stateRoot());
    assert.equal(a.chain.tx(call.hash).status, 'pending', "back in a's mempool");
    assert.equal(a.chain.tx(second.hash).status, 'pending');
    await a.chain.mine();
    await converged([a, b]);
    for (const n of [a, b]) {
      assert.equal(n.chain.tx(call.hash).receipt!.status, 'ok');
      assert.equal(n.chain.contract(address).state.count, 1);
      assert.equal(n.chain.contract(second.hash).state.count, 100);
    }
    assert.equal(a.chain.stateRoot(), b.chain.stateRoot());
  });

  it('a fresh node replaying the chain gets the identical contract state, receipts and state root', async () => {
    const a = await chainNode(res);
    await mineN(a, 1);
    const address = await deployCounter(a, 3);
    const hashes = [a.chain.call(address, 'increment', [], 1).hash, a.chain.call(address, 'boom', [], 1).hash, a.chain.call(address, 'stamp', [], 1).hash];
    await a.chain.mine();
    hashes.push(a.chain.call(address, 'increment', [], 2).hash);
    await a.chain.mine();
    const fresh = await chainNode(res);
    await link(fresh, a);
    await converged([a, fresh]);
    assert.equal(JSON.stringify(fresh.chain.contracts()), JSON.stringify(a.chain.contracts()));
    assert.equal(fresh.chain.contract(address).state.count, 5);
    for (const h of hashes) assert.deepEqual(fresh.chain.tx(h).receipt, a.chain.tx(h).receipt);
    assert.equal(fresh.chain.stateRoot(), a.chain.stateRoot());
    assert.equal(fresh.chain.head().stateRoot, a.chain.head().stateRoot);
  });

  it('a node without the chain deploys replicated contracts, and refuses mode "chain"', async () => {
    const dir = res.tmpDir();
    const node = await createNode({ ...FAST, dataDir: dir, api: { port: 0 }, capabilities: defaultCapabilities({ pex: { targetPeers: 0 } }) });
    res.add(() => node.stop());
    const api = new ApiClient(node.apiUrl!, readFileSync(join(dir, 'api-token'), 'utf8').trim());
    const made = await api.post<{ mode: string; contract: { mode: string; address: string } }>('/contracts', { name: 'counter', source: COUNTER });
    assert.deepEqual([made.mode, made.contract.mode], ['replicated', 'replicated']);
    const inc = await api.post<{ mode: string; result: number; seq: number }>(`/contracts/${made.contract.address}/call`, { function: 'increment' });
    assert.deepEqual([inc.mode, inc.result, inc.seq], ['replicated', 1, 1]);
    const code = (expected: string, status: number) => (e: Error & { code?: string; status?: number }) => e.code === expected && e.status === status;
    await assert.rejects(api.post('/contracts', { name: 'c', source: COUNTER, mode: 'chain' }), code('CHAIN_NOT_RUNNING', 400));
    await assert.rejects(api.post(`/contracts/${made.contract.address}/call`, { function: 'increment', fee: 1 }), code('INVALID_BODY', 400));
  });
});

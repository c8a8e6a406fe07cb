import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import type { MiningMode } from '../../src/chain/index';
import { type ChainContractEvent, type ContractEventPayload, type ContractRemovedEvent, stateHashOf } from '../../src/contracts/index';
import { chain, createNode, defaultCapabilities } from '../../src/index';
import { FAST, Resources, until } from '../helpers';
import { type ChainNode, chainNode, converged, link, mineN, nextChainEvent } from './fixtures';

const COUNTER = `
export function init(state, ctx, start) { state.count = start ?? 0; }
export function increment(state) { state.count += 1; return state.count; }
export function get(state) { return state.count; }
`;

/** A node with the default capabilities, the chain (mining `mode`) and its HTTP API, and a client for it. */
async function apiNode(res: Resources, mode: MiningMode): Promise<{ node: ChainNode; api: ApiClient }> {
  const dir = res.tmpDir();
  const node = await createNode({ ...FAST, dataDir: dir, api: { port: 0 }, capabilities: [...defaultCapabilities({ pex: { targetPeers: 0 } }), chain({ mode })] as const });
  res.add(() => node.stop());
  const api = new ApiClient(node.apiUrl!, readFileSync(join(dir, 'api-token'), 'utf8').trim());
  return { node: node as unknown as ChainNode, api };
}

/** Every `contract:*` event of a node's GET /events stream, in order, until the test ends. */
function streamed(res: Resources, api: ApiClient): Array<{ name: string; payload: Record<string, unknown> }> {
  const seen: Array<{ name: string; payload: Record<string, unknown> }> = [];
  const abort = new AbortController();
  const done = api.events((name, payload) => name.startsWith('contract:') && seen.push({ name, payload: payload as Record<string, unknown> }), abort.signal);
  res.add(async () => {
    abort.abort();
    await done.catch(() => undefined);
  });
  return seen;
}

/** Every `contract:*` event a node emits, in order. */
function recorded(node: ChainNode): Array<{ name: string; payload: ContractEventPayload | ContractRemovedEvent }> {
  const seen: Array<{ name: string; payload: ContractEventPayload | ContractRemovedEvent }> = [];
  const on = node as unknown as { on(event: string, fn: (p: never) => void): void };
  for (const name of ['contract:new', 'contract:update', 'contract:removed']) on.on(name, (p: ContractEventPayload | ContractRemovedEvent) => seen.push({ name, payload: p }));
  return seen;
}

describe('chain: contract events', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('a deploy and a call in blocks give contract:new and contract:update on both nodes (GET /events), with the block and the transactions', async () => {
    // b does not mine: every block comes from a.
    const a = await apiNode(res, 'automine');
    const b = await apiNode(res, 'manual');
    const atA = streamed(res, a.api);
    const atB = streamed(res, b.api);
    await link(a.node, b.node);
    const deployed = await a.api.post<{ address: string; tx: { receipt: { height: number; block: string } } }>('/contracts', { name: 'counter', source: COUNTER, args: [5] });
    const address = deployed.address;
    await until(() => atB.some((e) => e.name === 'contract:new' && e.payload.address === address), 'contract:new at b');
    const called = await a.api.post<{ tx: { hash: string; receipt: { height: number; block: string } } }>(`/contracts/${address}/call`, { function: 'increment' });
    await until(() => atB.some((e) => e.name === 'contract:update') && atA.some((e) => e.name === 'contract:update'), 'contract:update on both');

    const newAtA = atA.find((e) => e.name === 'contract:new')!.payload;
    assert.deepEqual(newAtA, {
      mode: 'chain',
      address,
      name: 'counter',
      sourceHash: b.node.chain.contract(address).sourceHash,
      functions: ['get', 'increment', 'init'],
      deployer: a.node.nodeId,
      height: deployed.tx.receipt.height,
      stateHash: stateHashOf({ count: 5 }),
      block: deployed.tx.receipt.block,
      blockHeight: deployed.tx.receipt.height,
      txs: [address],
      reorg: false,
      from: null,
    });
    const newAtB = atB.find((e) => e.name === 'contract:new')!.payload;
    assert.equal(newAtB.from, a.node.nodeId, 'at b the block came from a');
    assert.equal(newAtB.stateHash, newAtA.stateHash);
    const update = atB.find((e) => e.name === 'contract:update')!.payload;
    assert.equal(update.mode, 'chain');
    assert.deepEqual(update.txs, [called.tx.hash]);
    assert.equal(update.block, called.tx.receipt.block);
    assert.equal(update.blockHeight, called.tx.receipt.height);
    assert.equal(update.height, deployed.tx.receipt.height, 'height stays the deploy block');
    assert.equal(update.stateHash, b.node.chain.contract(address).stateHash, "the state after the call's block");
    assert.notEqual(update.stateHash, newAtA.stateHash);
    // A view (get) sends nothing and emits nothing; the replicated mode keeps its own payload.
    await a.api.post(`/contracts/${address}/call`, { function: 'get' });
    const replicated = await a.api.post<{ contract: { address: string } }>('/contracts', { name: 'local', source: COUNTER, mode: 'replicated' });
    await until(() => atA.some((e) => e.payload.address === replicated.contract.address), 'the replicated contract:new');
    const r = atA.find((e) => e.payload.address === replicated.contract.address)!.payload;
    assert.equal(r.mode, undefined);
    assert.equal(r.seq, 0);
    assert.deepEqual(
      atA.filter((e) => e.payload.mode === 'chain').map((e) => e.name),
      ['contract:new', 'contract:update'],
    );
  });

  it('a reorg reports the contracts it changed: contract:update (reorg) back to the earlier state, contract:removed for a deploy it undid', async () => {
    const a = await chainNode(res);
    const b = await chainNode(res);
    await link(a, b);
    await mineN(a, 1);
    const d = a.chain.deploy('counter', COUNTER, [0], 0);
    await a.chain.mine();
    const address = d.hash;
    await converged([a, b]);
    a.disconnect(b.nodeId);
    b.disconnect(a.nodeId);
    await until(() => a.peers().length === 0 && b.peers().length === 0, 'apart');
    const seen = recorded(a);
    const call = a.chain.call(address, 'increment', [], 0);
    const second = a.chain.deploy('second', COUNTER, [100], 0);
    const mined = await a.chain.mine();
    assert.deepEqual(
      seen.map((e) => [e.name, e.payload.address, (e.payload as ChainContractEvent).txs]),
      [
        ['contract:update', address, [call.hash]],
        ['contract:new', second.hash, [second.hash]],
      ],
    );
    assert.equal((seen[0]!.payload as ChainContractEvent).blockHeight, mined.header.height);
    seen.length = 0;
    await mineN(b, 2);
    const reorg = nextChainEvent(a, 'chain:reorg');
    await link(a, b);
    await reorg;
    await converged([a, b]);
    const tip = a.chain.head();
    assert.deepEqual(seen, [
      { name: 'contract:update', payload: { mode: 'chain', address, name: 'counter', sourceHash: a.chain.contract(address).sourceHash, functions: ['get', 'increment', 'init'], deployer: a.nodeId, height: 2, stateHash: a.chain.contract(address).stateHash, block: tip.hash, blockHeight: tip.height, txs: [], reorg: true, from: b.nodeId } },
      { name: 'contract:removed', payload: { mode: 'chain', address: second.hash, name: 'second', block: tip.hash, blockHeight: tip.height } },
    ]);
    assert.equal(a.chain.contract(address).state.count, 0);
    // Mined again from the mempool: the call and the deploy come back as events.
    seen.length = 0;
    await a.chain.mine();
    assert.deepEqual(
      seen.map((e) => [e.name, e.payload.address, (e.payload as ChainContractEvent).reorg]),
      [
        ['contract:update', address, false],
        ['contract:new', second.hash, false],
      ],
    );
  });

  it('GET /chain/mempool says what each pending transaction does', async () => {
    const dir = res.tmpDir();
    const node = await createNode({ ...FAST, dataDir: dir, api: { port: 0 }, capabilities: [...defaultCapabilities({ pex: { targetPeers: 0 } }), chain()] as const });
    res.add(() => node.stop());
    const api = new ApiClient(node.apiUrl!, readFileSync(join(dir, 'api-token'), 'utf8').trim());
    const d = node.chain.deploy('counter', COUNTER, [0], 0);
    await node.chain.mine();
    const call = node.chain.call(d.hash, 'increment', [], 0);
    const other = node.chain.deploy('other', COUNTER, [], 0);
    const transfer = node.chain.transfer('ab'.repeat(32), 5, 1);
    const { txs } = await api.get<{ txs: Array<Record<string, unknown>> }>('/chain/mempool');
    const byHash = new Map(txs.map((t) => [t.hash, t]));
    assert.deepEqual([byHash.get(call.hash)?.contract, byHash.get(call.hash)?.method, byHash.get(call.hash)?.args], [d.hash, 'increment', []]);
    assert.equal(byHash.get(other.hash)?.name, 'other');
    assert.deepEqual([byHash.get(transfer.hash)?.to, byHash.get(transfer.hash)?.amount, byHash.get(transfer.hash)?.kind], ['ab'.repeat(32), 5, 'transfer']);
  });
});

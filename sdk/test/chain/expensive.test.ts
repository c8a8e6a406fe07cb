import assert from 'node:assert/strict';
import { BLOCK_TOPIC, type Block, blockHash, meetsTarget, merkleRoot, signBlock, signTx, txHash } from '../../src/chain/index';
import { Identity } from '../../src/identity/index';
import { contracts, createNode, outbox } from '../../src/index';
import { FAST, Resources, until } from '../helpers';
import { chainNode, converged, link, nextChainEvent } from './fixtures';

/**
 * A contract that allocates and frees a large value in a loop reaches a gas poll only every
 * ~10,000 bytecode operations: minutes apart. The chain runs contracts in a worker thread with
 * a wall-clock bound per run (docs/protocol.md §21.14); bounds are shrunk here through options.
 */
const SPINNER = `
export function init(state) { state.n = 0; }
export function spin() { for (;;) "x".repeat(3e6); }
export function bump(state) { state.n += 1; return state.n; }
`;
const BOUNDS = { validateMs: 1_500, mineMs: 500, viewMs: 500 };

describe('chain: a contract that holds the sandbox between gas polls (docs/protocol.md §21.14)', function () {
  this.timeout(60_000);
  const res = new Resources();
  afterEach(() => res.release());

  it('a miner leaves the call out of its block and its mempool, a view of it fails with CONTRACT_TOO_EXPENSIVE, and the node goes on', async () => {
    const node = await chainNode(res, { mode: 'automine', contractBounds: BOUNDS });
    const warnings: string[] = [];
    node.on('warning', (w) => warnings.push(w.code));
    const deployed = await node.chain.waitForReceipt(node.chain.deploy('spinner', SPINNER, [], 0).hash);
    const address = deployed.receipt!.contract!;
    assert.throws(() => node.chain.view(address, 'spin'), (e: { code?: string }) => e.code === 'CONTRACT_TOO_EXPENSIVE');
    const height = node.chain.head().height;
    const spin = node.chain.call(address, 'spin', [], 0);
    await until(() => warnings.includes('TX_TOO_EXPENSIVE'), 'the miner to leave the call out');
    assert.equal(node.chain.pending().length, 0);
    assert.equal(node.chain.head().height, height, 'no block was mined with it');
    // The same nonce again, for a call that does something: mined as usual.
    const bump = node.chain.call(address, 'bump', [], 0);
    assert.equal(bump.tx.nonce, spin.tx.nonce);
    const done = await node.chain.waitForReceipt(bump.hash);
    assert.deepEqual([done.receipt!.status, done.receipt!.result], ['ok', 1]);
  });

  const blockCases = [
    { what: 'a run past its bound', bounds: BOUNDS, bound: BOUNDS.validateMs },
    { what: "the block's runs past the block's bound", bounds: { ...BOUNDS, validateMs: 30_000, validateBlockMs: 800 }, bound: 800 },
  ];
  for (const c of blockCases) it(`a block with such a call (${c.what}) is refused as BLOCK_TOO_EXPENSIVE, marked invalid, its sender discouraged, and the node goes on`, async () => {
    const victim = await chainNode(res, { contractBounds: c.bounds });
    const attacker = await chainNode(res, { contractBounds: BOUNDS });
    await link(attacker, victim);
    const deployed = victim.chain.deploy('spinner', SPINNER, [], 0);
    await victim.chain.mine();
    await converged([attacker, victim]);
    const address = victim.chain.tx(deployed.hash).receipt!.contract!;
    // The attacker mines, by hand, a block holding a call to spin (its state root cannot be known: any will do).
    const evil = Identity.generate();
    const call = signTx(evil, { kind: 'call', chain: victim.chain.genesisHash, nonce: 0, fee: 0, contract: address, method: 'spin', args: [] });
    const tip = victim.chain.head();
    const header = { version: 1, height: tip.height + 1, prev: tip.hash, merkleRoot: merkleRoot([txHash(call)]), stateRoot: 'ab'.repeat(32), time: Math.max(Date.now(), tip.time + 1), target: victim.chain.nextTarget(tip.hash), nonce: 0, miner: evil.nodeId };
    while (!meetsTarget(blockHash(header), header.target)) header.nonce++;
    const block: Block = signBlock(evil, header, [call]);
    const rejected = nextChainEvent(victim, 'chain:rejected', undefined, 20_000);
    const penalty = nextChainEvent(victim, 'peer:penalty', (p) => p.nodeId === attacker.nodeId, 20_000);
    attacker.gossip.publish(BLOCK_TOPIC, block);
    const r = await rejected;
    assert.deepEqual([r.code, r.marked, r.hash], ['BLOCK_TOO_EXPENSIVE', true, blockHash(header)]);
    const stoppedAfter = Number(/more than (\d+) ms/.exec(r.message)?.[1]);
    assert.ok(stoppedAfter > 0 && stoppedAfter <= c.bound, `the run was stopped at its bound: ${r.message}`);
    assert.equal((await penalty).code, 'INVALID_CHAIN_BLOCK');
    assert.equal(victim.chain.head().hash, tip.hash);
    assert.equal(victim.chain.block(blockHash(header)).status, 'invalid');
    // The node goes on: its contract still runs, and it mines.
    const bump = victim.chain.call(address, 'bump', [], 0);
    await victim.chain.mine();
    assert.equal(victim.chain.tx(bump.hash).receipt!.result, 1);
  });

  it('a replicated contract doing the same ends with CONTRACT_TIMEOUT a moment after its deadline, and the node goes on', async () => {
    const node = await createNode({ ...FAST, capabilities: [outbox(), contracts({ deadlineMs: 300 })] as const });
    res.add(() => node.stop());
    const record = await node.contracts.deploy({ name: 'spinner', source: SPINNER });
    await assert.rejects(node.contracts.call(record.address, 'spin'), (e: { code?: string }) => e.code === 'CONTRACT_TIMEOUT');
    const bumped = await node.contracts.call(record.address, 'bump');
    assert.equal(bumped.result, 1);
  });
});

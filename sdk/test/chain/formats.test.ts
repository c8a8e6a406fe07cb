import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import {
  type Account,
  blockHash,
  blockWork,
  decodeHeader,
  encodeHeader,
  genesisHeader,
  Mempool,
  merkleRoot,
  stateRoot,
  signTx,
  TRIVIAL_TARGET,
  txHash,
  txSigningPayload,
  verifyTx,
} from '../../src/chain/index';
import { sourceHashOf, stateHashOf } from '../../src/contracts/index';
import { Identity } from '../../src/identity/index';

const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
// RFC 8032 test vector 1 as the sender's key (Ed25519 signatures are deterministic).
const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const alice = new Identity(createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' }));
const GENESIS = '829b5aa36c4c402b5da7dce9d10ca57486fee4d39334e991f278e892c8879e22';
const BOB = 'ab'.repeat(32);

describe('chain: formats (docs/protocol.md §21 worked examples)', () => {
  it('encodes the default genesis header into 184 bytes and hashes it', () => {
    const g = genesisHeader(1764547200000, TRIVIAL_TARGET);
    const bytes = encodeHeader(g);
    assert.equal(bytes.length, 184);
    assert.equal(
      bytes.toString('hex'),
      '00000001' + '00000000' + '00'.repeat(32) + 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' + '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945' + '0000019ad7358400' + TRIVIAL_TARGET + '0000000000000000' + '00'.repeat(32),
    );
    assert.equal(blockHash(g), GENESIS);
    assert.deepEqual(decodeHeader(bytes), g);
    assert.throws(() => decodeHeader(bytes.subarray(1)), RangeError);
    assert.equal(blockWork(TRIVIAL_TARGET), 2n);
    assert.equal(blockWork('f'.repeat(64)), 1n);
  });

  it('signs and hashes a transfer as the worked example says, and refuses every tampering', () => {
    const tx = signTx(alice, { kind: 'transfer', chain: GENESIS, nonce: 0, fee: 2, to: BOB, amount: 500 });
    assert.equal(tx.from, '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9');
    assert.equal(txSigningPayload(tx).length, 355);
    assert.equal(txHash(tx), 'c239119633a110268912012b26da945cb0535b76c947f08da6e818102deb31da');
    assert.equal(tx.signature, 'rLyWEto26f8C9dLxKPAxKOA95wlRvUhBE0entx9t1LpkijxhzCfVC8lu5W1IyuOQA7xlFM9iLkBMhdGMmkCTAA');
    assert.equal(verifyTx(JSON.parse(JSON.stringify(tx)), GENESIS).hash, txHash(tx));
    const refused = (v: unknown, chain = GENESIS) => assert.throws(() => verifyTx(v, chain), (e: { code?: string }) => e.code === 'INVALID_TX');
    refused({ ...tx, amount: 501 }); // signature no longer covers it
    refused({ ...tx, extra: 1 });
    refused({ ...tx, from: BOB }); // key of someone else
    refused({ ...tx, fee: -1 });
    refused({ ...tx, amount: 2 ** 53 });
    refused(tx, 'ff'.repeat(32)); // another chain
    refused({ ...tx, kind: 'mint' });
  });

  it('computes RFC 6962 Merkle roots without duplicated leaves', () => {
    const [a, b, c] = ['c239119633a110268912012b26da945cb0535b76c947f08da6e818102deb31da', BOB, 'cd'.repeat(32)].map((h) => Buffer.from(h, 'hex'));
    const leaf = (d: Buffer) => sha(Buffer.from([0]), d);
    const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);
    assert.equal(merkleRoot([]), sha().toString('hex'));
    assert.equal(merkleRoot([a!.toString('hex')]), '2c918698ab245b99b9cac018324bf01d867becaf69054ab7547f1e71c76bdfce');
    assert.equal(merkleRoot([a!, b!].map((x) => x.toString('hex'))), node(leaf(a!), leaf(b!)).toString('hex'));
    const three = node(node(leaf(a!), leaf(b!)), leaf(c!)).toString('hex');
    assert.equal(merkleRoot([a!, b!, c!].map((x) => x.toString('hex'))), three);
    assert.equal(three, '9ae73d1579bbb19aa577316036763d99d3d2129004b07f0a203922ecc1d506a1');
    // [a, b, c, c] is not the same tree as [a, b, c] (Bitcoin's CVE-2012-2459 mutation).
    assert.notEqual(merkleRoot([a!, b!, c!, c!].map((x) => x.toString('hex'))), three);
  });

  it('commits to the accounts sorted by id, leaving out empty ones', () => {
    const accounts: Account[] = [
      { id: alice.nodeId, balance: 1_000_000, nonce: 0 },
      { id: BOB, balance: 500, nonce: 0 },
      { id: 'cd'.repeat(32), balance: 0, nonce: 0 },
    ];
    const expected = createHash('sha256').update(JSON.stringify([[alice.nodeId, 1_000_000, 0], [BOB, 500, 0]])).digest('hex');
    assert.equal(stateRoot(accounts), expected);
    assert.equal(stateRoot([...accounts].reverse()), expected);
    assert.equal(expected, 'ce61d99eaf54143691db6462c16e6547e51523168514a1c57dc84b532837200f');
    assert.equal(stateRoot([]), '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945');
  });

  it('hashes a deploy as §21.14 says, and commits to its contract after the accounts (§21.7)', () => {
    const source = 'export function init(state) { state.count = 0; }';
    const deploy = signTx(alice, { kind: 'deploy', chain: GENESIS, nonce: 0, fee: 0, name: 'counter', source, args: [] });
    assert.equal(txHash(deploy), 'c3aa4ff01e9437fddd9b36d0d213426eec436e0574f497f5e932663d7184e5ea');
    assert.equal(deploy.signature, 'FCcFi3gr1q3HBr4kwiFFcV8CaEebNUgBuixCLNeH6hNCQcvyJeVXfjEx71cyA4Mmp6ToodkhFEKKymNn6GGSAg');
    const contract = { address: txHash(deploy), sourceHash: sourceHashOf(source), stateHash: stateHashOf({ count: 0 }) };
    assert.equal(contract.sourceHash, '897021a075beffc02d0f10af7ec32cd8d629072bbcca7d97c33bb68a95d19fd7');
    assert.equal(contract.stateHash, createHash('sha256').update('{"count":0}').digest('hex'));
    const bytes = JSON.stringify([[alice.nodeId, 1_000_000, 1], [contract.address, contract.sourceHash, contract.stateHash]]);
    assert.equal(Buffer.byteLength(bytes), 283);
    const root = stateRoot([{ id: alice.nodeId, balance: 1_000_000, nonce: 1 }], [contract]);
    assert.equal(root, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(root, 'dca32383ad7332e4f14d77fb71d23056a127f5b331a070949aa109154c06d6d5');
  });
});

describe('chain: mempool', () => {
  const senders = [Identity.generate(), Identity.generate(), Identity.generate()];
  const balances = new Map<string, Account>(senders.map((s) => [s.nodeId, { id: s.nodeId, balance: 1000, nonce: 0 }]));
  const pool = (maxTxs = 100) => new Mempool({ account: (id) => balances.get(id) ?? { id, balance: 0, nonce: 0 } }, { maxTxs, maxFutureNonces: 4 });
  const tx = (who: number, nonce: number, fee: number, amount = 10) => {
    const t = signTx(senders[who]!, { kind: 'transfer', chain: GENESIS, nonce, fee, to: BOB, amount });
    const v = verifyTx(t, GENESIS);
    return [v.tx, v.hash, v.size] as const;
  };
  const code = (fn: () => unknown, expected: string) => assert.throws(fn, (e: { code?: string }) => e.code === expected);

  it('orders per sender by nonce and across senders by fee rate; a gap stops a sender', () => {
    const p = pool();
    p.add(...tx(0, 1, 50));
    p.add(...tx(0, 0, 1));
    p.add(...tx(1, 0, 20));
    p.add(...tx(2, 1, 99)); // nonce 0 missing: not minable yet
    const picked = p.select(10, 1 << 20).map((t) => [senders.findIndex((s) => s.nodeId === t.from), t.nonce]);
    assert.deepEqual(picked, [[1, 0], [0, 0], [0, 1]]);
    assert.equal(p.nextNonce(senders[0]!.nodeId, 0), 2);
    assert.equal(p.select(1, 1 << 20).length, 1);
  });

  it('deduplicates, bounds nonces, checks funds, and asks 10% more fee for a replacement', () => {
    const p = pool();
    const first = tx(0, 0, 10);
    p.add(...first);
    code(() => p.add(...first), 'TX_KNOWN');
    code(() => p.add(...tx(0, 5, 10)), 'TX_NONCE_TOO_HIGH');
    code(() => p.add(...tx(0, 1, 10, 981)), 'TX_INSUFFICIENT_FUNDS'); // 10+10 + 981+10 > 1000
    code(() => p.add(...tx(0, 0, 10, 11)), 'TX_REPLACEMENT_UNDERPRICED');
    code(() => p.add(...tx(0, 0, 10)), 'TX_KNOWN');
    const replacement = tx(0, 0, 11);
    assert.equal(p.add(...replacement), first[1]);
    assert.equal(p.has(first[1]), false);
    assert.equal(p.size, 1);
    code(() => p.add(...tx(0, 0, 12)), 'TX_REPLACEMENT_UNDERPRICED'); // 11 * 1.1 = 12.1 -> 13
    p.add(...tx(0, 0, 13));
    // Deploys and calls are held like transfers; they cost their sender the fee only.
    const deploy = signTx(senders[1]!, { kind: 'deploy', chain: GENESIS, nonce: 0, fee: 1000, name: 'counter', source: 'export function init() {}', args: [] });
    const d = verifyTx(deploy, GENESIS);
    p.add(d.tx, d.hash, d.size);
    assert.equal(p.has(d.hash), true);
    code(() => verifyTx(signTx(senders[1]!, { kind: 'deploy', chain: GENESIS, nonce: 1, fee: 0, name: ' counter', source: 'export function init() {}', args: [] }), GENESIS), 'INVALID_TX');
  });

  it('at its cap evicts the lowest fee rate for a better transaction, and refuses a worse one', () => {
    const p = pool(2);
    const low = tx(0, 0, 1);
    p.add(...low);
    p.add(...tx(1, 0, 5));
    code(() => p.add(...tx(2, 0, 1)), 'TX_POOL_FULL');
    assert.equal(p.add(...tx(2, 0, 9)), low[1]);
    assert.equal(p.size, 2);
    assert.deepEqual(p.list().map((e) => e.tx.fee), [9, 5]);
  });

  it('drops what the head state made stale', () => {
    const p = pool();
    p.add(...tx(0, 0, 1));
    p.add(...tx(0, 1, 1));
    balances.set(senders[0]!.nodeId, { id: senders[0]!.nodeId, balance: 1000, nonce: 1 });
    p.prune();
    assert.deepEqual(p.list().map((e) => e.tx.nonce), [1]);
    code(() => p.add(...tx(0, 0, 5)), 'TX_NONCE_TOO_LOW');
  });
});

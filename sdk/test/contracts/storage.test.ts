import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { CONTRACT_MIGRATIONS, contractAddress, signRecord, sourceHashOf, stateHashOf, type ContractRecord } from '../../src/contracts/index';
import { Identity } from '../../src/identity/index';
import { META_MIGRATIONS } from '../../src/store/index';
import { PEER_MIGRATIONS } from '../../src/peers/index';
import { TRANSFER_MIGRATIONS } from '../../src/transfer/index';
import { Resources } from '../helpers';

const SOURCE = 'export function init(s) { s.n = 0 }\nexport function inc(s) { s.n++ }';

function record(identity: Identity, nonce: string, n: number): ContractRecord {
  const sourceHash = sourceHashOf(SOURCE);
  const now = Date.now();
  const state = { n };
  return signRecord(
    {
      address: contractAddress(identity.nodeId, sourceHash, nonce),
      name: `c-${nonce.slice(0, 4)}`,
      source: SOURCE,
      sourceHash,
      functions: ['inc', 'init'],
      deployer: identity.nodeId,
      nonce,
      createdAt: now,
      state,
      stateHash: stateHashOf(state),
      seq: n,
      version: { time: now, counter: n, nodeId: identity.nodeId },
      updatedAt: now,
      updaterPublicKey: identity.publicKey,
    },
    identity,
  );
}

describe('contract storage', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('upgrades a store from before sources were kept apart: every record reads back whole, each source stored once', async () => {
    const dir = res.tmpDir();
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    // The schema as it was at PRAGMA user_version 4, before per-capability migrations.
    for (const m of [...META_MIGRATIONS, ...PEER_MIGRATIONS, ...CONTRACT_MIGRATIONS.slice(0, 2), ...TRANSFER_MIGRATIONS]) db.exec(m.sql);
    db.exec('PRAGMA user_version = 4');
    const identity = Identity.generate();
    const records = ['01', '02', '03'].map((b, i) => record(identity, b.repeat(16), i));
    records.forEach((r, i) => {
      const json = JSON.stringify(r);
      db.run(
        `INSERT INTO contracts (address, record, name, version_time, version_counter, version_node, state_hash, seq, change_seq, origin_peer, size_bytes, updated_at, source_peer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)`,
        [r.address, json, r.name, r.version.time, r.version.counter, r.version.nodeId, r.stateHash, r.seq, i + 1, json.length, r.updatedAt],
      );
    });
    writeFileSync(join(dir, 'node.db'), db.export());
    db.close();

    const node = await res.node({ dataDir: dir });
    for (const r of records) assert.deepEqual(node.contracts.get(r.address), r);
    assert.equal(node.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM contract_sources')!.n, 1, 'one source for three records');
    const stored = node.store.all<{ record: string }>('SELECT record FROM contracts');
    assert.ok(stored.every((row) => !row.record.includes('"source":')), 'records are stored without their source');
    // New deploys of the same source add no second copy.
    await node.contracts.deploy({ name: 'again', source: SOURCE });
    assert.equal(node.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM contract_sources')!.n, 1);
  });
});

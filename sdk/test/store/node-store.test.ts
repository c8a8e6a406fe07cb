import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSqlJs } from '../../src/store/sqljs';
import { encodeHeader, encodeRecord } from '../../src/store/wal';
import { Resources } from '../helpers';
import { MIGRATIONS } from './migrations';

// The node's side of the store: migrations at start, the log's warning as the node's event.
describe('store in the node', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('migrates at start, stops with no log left, and reports a torn log tail as a warning event', async () => {
    const dir = res.tmpDir();
    const node = await res.node({ dataDir: dir });
    await node.stop();
    assert.ok(!existsSync(join(dir, 'node.db-wal')), 'a clean stop checkpoints and removes the log');
    const SQL = await loadSqlJs();
    const db = new SQL.Database(readFileSync(join(dir, 'node.db')));
    const ids = db.exec('SELECT id FROM schema_migrations ORDER BY rowid')[0]!.values.map((r) => r[0]);
    const checkpoint = Number(db.exec("SELECT value FROM store_engine WHERE key = 'checkpoint'")[0]!.values[0]![0]);
    db.close();
    assert.deepEqual(ids, MIGRATIONS.map((m) => m.id));
    // A crash mid-append leaves a torn record at the end of the log.
    const record = encodeRecord([{ sql: "INSERT INTO meta (key, value) VALUES ('torn', 'x')", params: undefined }]);
    writeFileSync(join(dir, 'node.db-wal'), Buffer.concat([encodeHeader(checkpoint), record.subarray(0, record.length - 2)]));
    const again = res.unstarted({ dataDir: dir });
    const warnings: Array<{ code: string }> = [];
    again.on('warning', (w) => warnings.push(w));
    await again.start();
    assert.deepEqual(warnings.map((w) => w.code), ['STORE_LOG_TRUNCATED']);
    assert.equal(again.store.get("SELECT value FROM meta WHERE key = 'torn'"), undefined);
  });
});

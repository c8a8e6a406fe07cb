import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import type { DownloadProgress, ShareInfo } from '../../src/transfer/index';
import { type CliNode, Resources } from '../helpers';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Proc {
  name: string;
  dir: string;
  node: CliNode;
  api: ApiClient;
  p2p: string;
}

describe('parallel downloads between node processes', () => {
  const res = new Resources();
  afterEach(() => res.release());

  // Every node uploads at most 1.5 MiB/s so that a 12 MiB file takes seconds, long enough
  // to kill nodes in the middle of it.
  const RATE = ['--upload-rate', '1.5MiB', '--heartbeat-interval', '300ms', '--heartbeat-timeout', '600ms'];

  async function start(root: string, name: string, peers: string[] = [], port = 0): Promise<Proc> {
    const dir = join(root, name);
    const node = await res.cliNode(['--data-dir', dir, '--name', name, '--p2p-port', String(port), '--api-port', '0', ...RATE, ...peers.flatMap((p) => ['--peer', p])]);
    const info = await node.started;
    return { name, dir, node, api: await ApiClient.fromDataDir(dir), p2p: info.addresses.p2p };
  }

  const progressOf = async (p: Proc, id: string): Promise<DownloadProgress> => (await p.api.get<{ download: DownloadProgress }>(`/downloads/${id}`)).download;
  const completeOf = (p: Proc, id: string): Promise<DownloadProgress> =>
    eventually(async () => {
      const d = await progressOf(p, id);
      return d.status === 'complete' ? d : undefined;
    }, `${p.name} completes`, 60_000);

  it('one seeder, three downloaders: survives one and then two downloaders SIGKILLed mid-transfer, and a killed one resumes', async function () {
    this.timeout(180_000);
    const root = res.tmpDir();
    const data = randomBytes(12 * MiB);
    const source = join(root, 'source.bin');
    writeFileSync(source, data);

    const seeder = await start(root, 'seeder');
    const share = (await seeder.api.post<{ file: ShareInfo }>('/files', { path: source })).file;
    const d1 = await start(root, 'd1', [seeder.p2p]);
    const d2 = await start(root, 'd2', [seeder.p2p, d1.p2p]);
    const d3 = await start(root, 'd3', [seeder.p2p, d1.p2p, d2.p2p]);
    const all = [d1, d2, d3];
    await eventually(async () => ((await d3.api.get<{ peers: unknown[] }>('/network/peers')).peers.length === 3 ? true : undefined), 'mesh');

    // Round 1: all three in parallel; d1 is killed once it has some pieces.
    const ids = new Map<Proc, string>();
    for (const d of all) ids.set(d, (await d.api.post<{ download: DownloadProgress }>('/downloads', { link: share.link, out: join(root, `${d.name}-1.bin`) })).download.id);
    // Kill d1 while the others are fetching from it: blocks are reserved on it right now.
    const d1Id = (await d1.node.started).nodeId;
    await eventually(async () => {
      for (const d of [d2, d3]) {
        const p = await progressOf(d, ids.get(d)!);
        if (p.perPeer.some((x) => x.nodeId === d1Id && x.inFlight > 0 && x.bytes > 0)) return true;
      }
      return undefined;
    }, 'd2 or d3 is fetching from d1');
    await d1.node.kill('SIGKILL');
    const [p2, p3] = await Promise.all([completeOf(d2, ids.get(d2)!), completeOf(d3, ids.get(d3)!)]);
    for (const d of [d2, d3]) assert.equal(sha(readFileSync(join(root, `${d.name}-1.bin`))), sha(data), `${d.name} has the right file`);
    // They fetched from several peers at once, not just the seeder.
    for (const p of [p2, p3]) assert.ok(p.perPeer.filter((x) => x.bytes > 0).length >= 2, `${p.id} used several peers: ${JSON.stringify(p.perPeer)}`);
    const recovered = p2.recovery.blocksRecovered + p3.recovery.blocksRecovered;
    assert.ok(recovered >= 1, 'the blocks d1 held were taken back and fetched elsewhere');

    // Round 2: a second file; d2 and d3 start again with d1 restarted later. Kill d2 and d3's
    // partner... here: d2 and d3 fetch it, both are killed, and the restarted d1 must finish
    // from the seeder alone.
    const data2 = randomBytes(12 * MiB);
    const source2 = join(root, 'source2.bin');
    writeFileSync(source2, data2);
    const share2 = (await seeder.api.post<{ file: ShareInfo }>('/files', { path: source2 })).file;
    const d1b = await start(root, 'd1', [seeder.p2p, d2.p2p, d3.p2p], Number(d1.p2p.split(':')[1]));
    const round2 = new Map<Proc, string>();
    for (const d of [d1b, d2, d3]) round2.set(d, (await d.api.post<{ download: DownloadProgress }>('/downloads', { link: share2.link, out: join(root, `${d.name}-2.bin`) })).download.id);
    await eventually(async () => ((await progressOf(d2, round2.get(d2)!)).pieces >= 4 && (await progressOf(d3, round2.get(d3)!)).pieces >= 4 ? true : undefined), 'd2 and d3 have pieces');
    const d3Before = await progressOf(d3, round2.get(d3)!);
    await Promise.all([d2.node.kill('SIGKILL'), d3.node.kill('SIGKILL')]);
    const last = await completeOf(d1b, round2.get(d1b)!);
    assert.equal(sha(readFileSync(join(root, 'd1-2.bin'))), sha(data2), 'the last one finished from the seeder');
    assert.equal(last.status, 'complete');

    // Round 3: d3 restarts on its data folder and resumes file 2 without fetching again the
    // pieces it had verified. (Its verified pieces were recorded within a group commit of
    // being verified, so at most the last one or two may be fetched again.)
    const d3b = await start(root, 'd3', [seeder.p2p, d1.p2p]);
    const resumedId = round2.get(d3)!;
    const done = await completeOf(d3b, resumedId);
    assert.equal(sha(readFileSync(join(root, 'd3-2.bin'))), sha(data2));
    const pieceLength = done.total / done.piecesTotal;
    assert.ok(done.resumedBytes >= d3Before.bytes - 2 * pieceLength, `resumed with ${done.resumedBytes} verified bytes (had ${d3Before.bytes} before it was killed)`);
    const fetchedAfterRestart = done.perPeer.reduce((sum, p) => sum + p.bytes, 0);
    const missingAtRestart = done.total - done.resumedBytes;
    assert.ok(
      fetchedAfterRestart <= missingAtRestart + done.wastedBytes,
      `fetched ${fetchedAfterRestart} bytes after restart for ${missingAtRestart} missing bytes (+${done.wastedBytes} endgame duplicates)`,
    );
  });
});

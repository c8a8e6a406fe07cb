import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from '../../src/identity/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('transfer service', () => {
  const res = new Resources();
  afterEach(() => res.release());

  function file(bytes: number, dir = res.tmpDir()): { path: string; data: Buffer; dir: string } {
    const data = randomBytes(bytes);
    const path = join(dir, `f-${bytes}.bin`);
    writeFileSync(path, data);
    return { path, data, dir };
  }

  it('creates missing folders for the target, refuses an unwritable one without recording it', async () => {
    const { path, data, dir } = file(200 * 1024);
    const seeder = await res.node();
    const share = await seeder.files.share(path);
    const downloader = await res.node({ dataDir: join(dir, 'node') });
    await downloader.connect(seeder.p2pAddress!);
    for (const bad of [join(path, 'under-a-file', 'out.bin'), '/proc/no/such/dir/out.bin']) {
      await assert.rejects(downloader.files.download(share.link, bad), (e: Error & { code?: string }) => e.code === 'OUT_NOT_WRITABLE', bad);
    }
    assert.deepEqual(downloader.files.downloads(), []);
    const done = nextEvent(downloader, 'transfer:complete');
    await downloader.files.download(share.link, join(dir, 'deep', 'er', 'out.bin'));
    await done;
    assert.equal(sha(readFileSync(join(dir, 'deep', 'er', 'out.bin'))), sha(data));
  });

  it('starts even when a recorded download can no longer be resumed', async () => {
    const { path, dir } = file(2 * 1024 * 1024);
    const seeder = await res.node({ transfer: { uploadRateBytesPerSec: 256 * 1024 } });
    const share = await seeder.files.share(path);
    const nodeDir = join(dir, 'node');
    let downloader = await res.node({ dataDir: nodeDir, peers: [seeder.p2pAddress!] });
    await until(() => downloader.peers().length === 1, 'connected');
    await downloader.files.download(share.link, join(dir, 'gone', 'out.bin'));
    await downloader.stop();
    rmSync(join(dir, 'gone'), { recursive: true, force: true });
    downloader = res.unstarted({ dataDir: nodeDir });
    const warning = nextEvent(downloader, 'warning', (w) => w.code === 'DOWNLOAD_RESUME_FAILED');
    await downloader.start();
    await warning;
    assert.equal(downloader.state, 'running');
  });

  it('serves uploads slower than one block per second, and stops without waiting for them', async function () {
    this.timeout(20_000);
    const { path, data, dir } = file(40 * 1024);
    const seeder = await res.node({ transfer: { uploadRateBytesPerSec: 12 * 1024, pieceLength: 16 * 1024 } });
    const share = await seeder.files.share(path);
    const downloader = await res.node();
    await downloader.connect(seeder.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 15_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
    // A seeder with blocks still waiting for its rate limit stops at once.
    const big = file(1024 * 1024, dir);
    const slow = await res.node({ transfer: { uploadRateBytesPerSec: 1024 } });
    const bigShare = await slow.files.share(big.path);
    const other = await res.node();
    await other.connect(slow.p2pAddress!);
    await other.files.download(bigShare.link, join(dir, 'big-out.bin'));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await slow.stop();
    assert.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`);
  });

  it('does not ask a peer again for a piece it rejected', async () => {
    const { path, dir } = file(512 * 1024);
    const seeder = await res.node({ transfer: { uploadRateBytesPerSec: 128 * 1024 } });
    const share = await seeder.files.share(path);
    const downloader = await res.node();
    const raw = new RawPeer(downloader.p2pAddress!);
    res.add(() => raw.close());
    raw.answerPingsAndSync();
    let requests = 0;
    raw.ws.on('message', (message, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(message.toString());
      if (f.type === 'GetManifest') raw.send({ v: 1, type: 'Error', re: f.id, body: { code: 'FILE_NOT_FOUND', message: 'no' } });
      if (f.type === 'Interested') raw.send({ v: 1, type: 'Bitfield', re: f.id, body: { fileId: share.fileId, bitfield: Buffer.from([0xff, 0xff]).toString('base64') } });
      if (f.type === 'Request') {
        requests++;
        raw.send({ v: 1, type: 'Reject', body: { ...f.body, reason: 'changed my mind' } });
      }
    });
    await raw.handshake(Identity.generate());
    await downloader.connect(seeder.p2pAddress!);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(requests <= share.pieces * 4, `${requests} requests for ${share.pieces} pieces`);
  });

  it('finds a peer that starts sharing the file after the download began', async function () {
    this.timeout(20_000);
    const { path, data, dir } = file(3 * 1024 * 1024);
    const first = await res.node({ transfer: { uploadRateBytesPerSec: 512 * 1024 } });
    const share = await first.files.share(path);
    const late = await res.node();
    const downloader = await res.node({ transfer: { rediscoverIntervalMs: 100 } });
    await downloader.connect(first.p2pAddress!);
    await downloader.connect(late.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 15_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await new Promise((r) => setTimeout(r, 300));
    await late.files.share(path);
    const complete = await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
    assert.ok((complete.perPeer.find((p) => p.nodeId === late.nodeId)?.bytes ?? 0) > 0, 'the late sharer sent blocks');
  });

  it('serves pieces too large to cache (over 4 MiB) block by block', async () => {
    const { path, data, dir } = file(9 * 1024 * 1024 + 123);
    const seeder = await res.node({ transfer: { pieceLength: 8 * 1024 * 1024 } });
    const share = await seeder.files.share(path);
    assert.equal(share.pieces, 2);
    const downloader = await res.node();
    await downloader.connect(seeder.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 15_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
  });

  it('keeps an earlier completed download when a new fetch of the same file fails', async () => {
    const { path, dir } = file(300 * 1024);
    const seeder = await res.node();
    const share = await seeder.files.share(path);
    const downloader = await res.node();
    await downloader.connect(seeder.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete');
    await downloader.files.download(share.link, join(dir, 'first.bin'));
    await done;
    await assert.rejects(downloader.files.download(share.link, join(path, 'not-a-folder', 'x.bin')), (e: Error & { code?: string }) => e.code === 'OUT_NOT_WRITABLE');
    assert.equal(downloader.files.downloads().length, 1);
    assert.equal(downloader.files.downloads()[0]!.status, 'complete');
  });

  it('tells requesters at once when a file stops being shared, so they fetch elsewhere without waiting for a snub', async function () {
    this.timeout(20_000);
    const { path, data, dir } = file(2 * 1024 * 1024);
    const leaving = await res.node({ transfer: { uploadRateBytesPerSec: 256 * 1024 } });
    const staying = await res.node({ transfer: { uploadRateBytesPerSec: 1024 * 1024 } });
    const share = await leaving.files.share(path);
    await staying.files.share(path);
    const downloader = await res.node({ transfer: { snubTimeoutMs: 60_000 } });
    await downloader.connect(leaving.p2pAddress!);
    await downloader.connect(staying.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 15_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await new Promise((r) => setTimeout(r, 300));
    await leaving.files.unshare(share.fileId);
    await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
  });

  it('fetches a file again to another path, and keeps the pieces already in the target', async () => {
    const { path, data, dir } = file(600 * 1024);
    const seeder = await res.node();
    const share = await seeder.files.share(path);
    const downloader = await res.node();
    await downloader.connect(seeder.p2pAddress!);
    let done = nextEvent(downloader, 'transfer:complete');
    await downloader.files.download(share.link, join(dir, 'a.bin'));
    await done;
    // The same file to another path, which already holds a copy: nothing needs fetching.
    writeFileSync(join(dir, 'b.bin'), data);
    done = nextEvent(downloader, 'transfer:complete');
    await downloader.files.download(share.link, join(dir, 'b.bin'));
    const second = await done;
    assert.equal(second.perPeer.reduce((sum, p) => sum + p.bytes, 0), 0, 'every piece was already there');
    assert.equal(downloader.files.downloads().length, 1, 'the earlier completed download made way');
    assert.ok(existsSync(join(dir, 'a.bin')), 'its file stays');
  });
});

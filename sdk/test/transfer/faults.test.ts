import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import { Identity } from '../../src/identity/index';
import type { PlexusNode } from '../../src/index';
import { BLOCK_HEADER_BYTES, type ShareInfo, writeBlockHeader } from '../../src/transfer/index';
import { nextEvent, RawPeer, Resources, until } from '../helpers';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('downloads with faulty peers', () => {
  const res = new Resources();
  afterEach(() => res.release());

  function file(bytes: number): { path: string; data: Buffer; dir: string } {
    const dir = res.tmpDir();
    const data = randomBytes(bytes);
    const path = join(dir, 'data.bin');
    writeFileSync(path, data);
    return { path, data, dir };
  }

  /**
   * A raw peer that claims to have the whole file. `serve` decides what to send for each
   * requested block: the right bytes, corrupted bytes, or nothing.
   */
  async function fakeSeeder(node: PlexusNode, share: ShareInfo, data: Buffer, serve: 'corrupt' | 'silent'): Promise<{ raw: RawPeer; id: Identity; requests: number[] }> {
    const raw = new RawPeer(node.p2pAddress!);
    res.add(() => raw.close());
    const id = Identity.generate();
    const requests: number[] = [];
    const pieces = share.pieces;
    raw.answerPingsAndSync();
    raw.ws.on('message', (message, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(message.toString());
      if (f.type === 'GetManifest') raw.send({ v: 1, type: 'Error', re: f.id, body: { code: 'FILE_NOT_FOUND', message: 'ask someone else' } });
      if (f.type === 'Interested') {
        const bits = Buffer.alloc(Math.ceil(pieces / 8), 0xff);
        if (pieces % 8) bits[bits.length - 1] = 0xff << (8 - (pieces % 8));
        raw.send({ v: 1, type: 'Bitfield', re: f.id, body: { fileId: share.fileId, bitfield: bits.toString('base64') } });
      }
      if (f.type === 'Request') {
        const { piece, offset, length } = f.body;
        requests.push(piece);
        if (serve === 'silent') return;
        const frame = Buffer.alloc(BLOCK_HEADER_BYTES + length);
        writeBlockHeader(frame, share.fileId, piece, offset);
        const start = piece * share.pieceLength + offset;
        data.copy(frame, BLOCK_HEADER_BYTES, start, start + length);
        frame[BLOCK_HEADER_BYTES + 5]! ^= 0xff; // corrupt one byte
        raw.ws.send(frame);
      }
    });
    await raw.handshake(id);
    return { raw, id, requests };
  }

  it('completes with the right hash despite a peer sending corrupt blocks, and blames only that peer', async function () {
    this.timeout(30_000);
    const { path, data, dir } = file(3 * 1024 * 1024);
    const seeder = await res.node({ name: 'seeder', transfer: { pieceLength: 64 * 1024, uploadRateBytesPerSec: 4 * 1024 * 1024 } });
    const share = await seeder.files.share(path);
    const downloader = await res.node({ name: 'downloader' });
    const penalties: Array<{ nodeId: string; code: string }> = [];
    downloader.on('peer:penalty', (p) => penalties.push(p));
    const badPeer = nextEvent(downloader, 'transfer:bad-peer', () => true, 20_000);
    const liar = await fakeSeeder(downloader, share, data, 'corrupt');
    await downloader.connect(seeder.p2pAddress!);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 25_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
    assert.ok(liar.requests.length > 0, 'the liar was asked for blocks');
    assert.equal((await badPeer).nodeId, liar.id.nodeId);
    assert.ok(penalties.some((p) => p.nodeId === liar.id.nodeId && p.code === 'BAD_PIECE'));
    assert.ok(!penalties.some((p) => p.nodeId === seeder.nodeId), 'the honest seeder is never blamed');
  });

  it('snubs a peer that goes silent without closing its socket and gets its blocks elsewhere', async function () {
    this.timeout(30_000);
    const { path, data, dir } = file(2 * 1024 * 1024);
    // Slow enough (about 2 s) that the silent peer is snubbed long before endgame could cover for it.
    const seeder = await res.node({ name: 'seeder', transfer: { uploadRateBytesPerSec: 1024 * 1024 } });
    const share = await seeder.files.share(path);
    const downloader = await res.node({ name: 'downloader', transfer: { snubTimeoutMs: 300 } });
    const silent = await fakeSeeder(downloader, share, data, 'silent');
    await downloader.connect(seeder.p2pAddress!);
    const snubbed = nextEvent(downloader, 'transfer:snubbed', (s) => s.nodeId === silent.id.nodeId, 20_000);
    const done = nextEvent(downloader, 'transfer:complete', () => true, 25_000);
    await downloader.files.download(share.link, join(dir, 'out.bin'));
    assert.ok((await snubbed).blocks > 0);
    const complete = await done;
    assert.equal(sha(readFileSync(join(dir, 'out.bin'))), sha(data));
    assert.ok(complete.recovery.recoveries >= 1, 'the snub counts as a recovery');
    assert.ok(downloader.peers().some((p) => p.nodeId === silent.id.nodeId), 'snubbed, not disconnected: it still answers pings');
  });

  it('finishes from the other downloaders when the seeder is SIGKILLed while they hold every piece between them', async function () {
    this.timeout(60_000);
    const { path, data, dir } = file(2 * 1024 * 1024);
    // The seeder runs as a process so it can really die; it uploads slowly.
    const seeder = await res.cliNode(['--data-dir', join(dir, 'seeder'), '--p2p-port', '0', '--api-port', '0', '--upload-rate', '400KiB']);
    const seederInfo = await seeder.started;
    const share = (await (await ApiClient.fromDataDir(join(dir, 'seeder'))).post<{ file: ShareInfo }>('/files', { path })).file;
    const d1 = await res.node({ name: 'd1', peers: [seederInfo.addresses.p2p] });
    const d2 = await res.node({ name: 'd2', peers: [seederInfo.addresses.p2p, d1.p2pAddress!] });
    await until(() => d1.peers().length === 2 && d2.peers().length === 2, 'all connected');

    const have = [new Set<number>(), new Set<number>()];
    let killedAt: number | null = null;
    let completeAtKill = 0;
    const onPiece = (i: number) => (p: { piece: number }) => {
      have[i]!.add(p.piece);
      const union = new Set([...have[0]!, ...have[1]!]);
      if (killedAt === null && union.size === share.pieces) {
        killedAt = Date.now();
        completeAtKill = have.filter((h) => h.size === share.pieces).length;
        seeder.child.kill('SIGKILL');
      }
    };
    d1.on('transfer:piece', onPiece(0));
    d2.on('transfer:piece', onPiece(1));
    const done1 = nextEvent(d1, 'transfer:complete', () => true, 40_000);
    const done2 = nextEvent(d2, 'transfer:complete', () => true, 40_000);
    await d1.files.download(share.link, join(dir, 'd1.bin'));
    await d2.files.download(share.link, join(dir, 'd2.bin'));
    await Promise.all([done1, done2]);
    assert.notEqual(killedAt, null, 'the seeder was killed once the two held every piece');
    assert.ok(completeAtKill < 2, 'at least one was still missing pieces when the seeder died');
    await seeder.exited;
    assert.equal(sha(readFileSync(join(dir, 'd1.bin'))), sha(data));
    assert.equal(sha(readFileSync(join(dir, 'd2.bin'))), sha(data));
  });
});

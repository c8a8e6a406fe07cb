import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from '../../src/identity/index';
import { Bitfield, createManifest, decodeBlockFrame, formatLink, parseLink, pieceSize, verifyManifest, writeBlockHeader } from '../../src/transfer/index';
import { Resources } from '../helpers';

describe('transfer model', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('lays out bitfields as BEP 3 does (high bit first) and round-trips base64', () => {
    const b = new Bitfield(10);
    b.set(0);
    b.set(9);
    assert.deepEqual([...b.bytes], [0x80, 0x40]);
    assert.equal(b.count, 2);
    const back = Bitfield.fromBase64(b.toBase64(), 10);
    assert.ok(back.get(0) && back.get(9) && !back.get(1));
    b.clear(0);
    assert.equal(b.count, 1);
    assert.throws(() => Bitfield.fromBase64(Buffer.alloc(5).toString('base64'), 10));
    // Spare bits sent set are cleared, not counted.
    assert.equal(new Bitfield(10, Uint8Array.from([0xff, 0xff])).count, 10);
  });

  it('hashes a file into a signed manifest whose ID depends on the content only', async () => {
    const dir = res.tmpDir();
    const data = randomBytes(300 * 1024 + 7);
    writeFileSync(join(dir, 'f.bin'), data);
    const a = await createManifest(join(dir, 'f.bin'), Identity.generate(), { pieceLength: 64 * 1024 });
    const b = await createManifest(join(dir, 'f.bin'), Identity.generate(), { pieceLength: 64 * 1024 });
    assert.equal(a.id, b.id, 'same content, same ID, whoever shares it');
    assert.equal(a.pieces.length, 5);
    assert.equal(pieceSize(a, 4), 300 * 1024 + 7 - 4 * 64 * 1024);
    assert.equal(a.pieces[1], createHash('sha256').update(data.subarray(64 * 1024, 128 * 1024)).digest('hex'));
    verifyManifest(a);
    assert.throws(() => verifyManifest({ ...a, pieces: [...a.pieces.slice(0, 4), a.pieces[0]!] }), (e: Error & { code?: string }) => e.code === 'INVALID_MANIFEST');
    assert.throws(() => verifyManifest({ ...a, sharer: b.sharer }), (e: Error & { code?: string }) => e.code === 'INVALID_MANIFEST');
    await assert.rejects(createManifest(dir, Identity.generate()), (e: Error & { code?: string }) => e.code === 'NOT_A_FILE');
  });

  it('formats and parses links (magnet style) and rejects malformed ones', () => {
    const link = formatLink({ id: 'a'.repeat(64), name: 'my file.bin', size: 1234 }, ['127.0.0.1:5000']);
    assert.equal(link, `plexus:?xt=urn:plexus:${'a'.repeat(64)}&dn=my%20file.bin&xl=1234&x.pe=127.0.0.1%3A5000`);
    assert.deepEqual(parseLink(link), { fileId: 'a'.repeat(64), name: 'my file.bin', size: 1234, peers: ['127.0.0.1:5000'] });
    assert.equal(parseLink('b'.repeat(64)).fileId, 'b'.repeat(64));
    for (const bad of ['magnet:?xt=urn:btih:abc', 'plexus:?xt=urn:plexus:xyz', `plexus:?xt=urn:plexus:${'a'.repeat(64)}&xl=-1`, '']) {
      assert.throws(() => parseLink(bad), (e: Error & { code?: string }) => e.code === 'INVALID_LINK', bad);
    }
  });

  it('encodes block frames as documented', () => {
    const frame = Buffer.alloc(41 + 3);
    writeBlockHeader(frame, 'ab'.repeat(32), 7, 16384);
    frame.set([1, 2, 3], 41);
    assert.equal(frame[0], 1);
    assert.equal(frame.readUInt32BE(33), 7);
    const decoded = decodeBlockFrame(frame)!;
    assert.deepEqual([decoded.fileId, decoded.piece, decoded.offset, [...decoded.data]], ['ab'.repeat(32), 7, 16384, [1, 2, 3]]);
    assert.equal(decodeBlockFrame(Buffer.from([2, 0, 0])), null);
  });
});

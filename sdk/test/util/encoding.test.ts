import assert from 'node:assert/strict';
import { keyBelongsTo, Identity } from '../../src/identity/index';
import { base64url, fromBase64url } from '../../src/util/encoding';

describe('base64url', () => {
  it('round-trips and accepts only the canonical spelling', () => {
    const bytes = Buffer.from([0xff, 0xee, 0x01]);
    assert.deepEqual(fromBase64url(base64url(bytes)), bytes);
    const key = Identity.generate().publicKey; // 32 bytes: 43 characters, 2 unused bits at the end
    const last = key.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The same 32 bytes with a non-zero unused bit: a second spelling of one key.
    const twin = key.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(key, 'base64url'), 'Node decodes both to the same bytes');
    assert.throws(() => fromBase64url(twin), /not canonical/);
    assert.throws(() => fromBase64url('A'), /not canonical/);
    assert.throws(() => fromBase64url('AA=='), /not base64url/);
  });

  it('a non-canonical spelling of a key belongs to no node', () => {
    const id = Identity.generate();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = id.publicKey.slice(0, -1) + alphabet[alphabet.indexOf(id.publicKey.at(-1)!) + 1];
    assert.equal(keyBelongsTo(id.publicKey, id.nodeId), true);
    assert.equal(keyBelongsTo(twin, id.nodeId), false);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveNodeId, Identity, IdentityFileError, loadOrCreateIdentity, verifySignature } from '../../src/identity/index';
import { Resources } from '../helpers';

describe('identity', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('creates identity.key with mode 0600 on first start and reuses it', async () => {
    const dir = res.tmpDir();
    const first = await loadOrCreateIdentity(dir);
    const path = join(dir, 'identity.key');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(readFileSync(path, 'utf8'), /BEGIN PRIVATE KEY/);
    const second = await loadOrCreateIdentity(dir);
    assert.equal(second.nodeId, first.nodeId);
    assert.equal(second.publicKey, first.publicKey);
  });

  it('derives the node ID as hex SHA-256 of the raw 32-byte public key', () => {
    const id = Identity.generate();
    const raw = Buffer.from(id.publicKey, 'base64url');
    assert.equal(raw.length, 32);
    assert.equal(id.nodeId, createHash('sha256').update(raw).digest('hex'));
    assert.equal(deriveNodeId(id.publicKey), id.nodeId);
  });

  it('signs and verifies, and rejects tampered data, other keys and malformed input', () => {
    const a = Identity.generate();
    const b = Identity.generate();
    const data = Buffer.from('hello');
    const sig = a.sign(data);
    assert.equal(verifySignature(a.publicKey, data, sig), true);
    assert.equal(verifySignature(a.publicKey, Buffer.from('hellp'), sig), false);
    assert.equal(verifySignature(b.publicKey, data, sig), false);
    assert.equal(verifySignature('not base64!', data, sig), false);
    assert.equal(verifySignature(a.publicKey, data, sig.slice(0, 20)), false);
  });

  it('refuses an unreadable key file with IDENTITY_FILE_INVALID and does not replace it', async () => {
    const dir = res.tmpDir();
    const path = join(dir, 'identity.key');
    writeFileSync(path, 'garbage');
    await assert.rejects(loadOrCreateIdentity(dir), (err: unknown) => err instanceof IdentityFileError && err.code === 'IDENTITY_FILE_INVALID');
    assert.equal(readFileSync(path, 'utf8'), 'garbage');
  });
});

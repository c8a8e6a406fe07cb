import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { IdentityFileError } from './errors.js';
import { base64url, fromBase64url } from '../util/encoding.js';

export const IDENTITY_FILE = 'identity.key';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A node's key pair. `publicKey` is base64url of the raw 32-byte key; `nodeId` is hex SHA-256 of it. */
export class Identity {
  readonly nodeId: string;
  readonly publicKey: string;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const raw = rawPublicKey(createPublicKey(privateKey));
    this.publicKey = base64url(raw);
    this.nodeId = deriveNodeId(raw);
  }

  /** Ed25519 signature (64 bytes, base64url) over `data`. */
  sign(data: Uint8Array): string {
    return base64url(sign(null, data, this.#privateKey));
  }

  static generate(): Identity {
    return new Identity(generateKeyPairSync('ed25519').privateKey);
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/** Node ID of a public key: lowercase hex SHA-256 of the raw 32 bytes. Accepts raw bytes or base64url. */
export function deriveNodeId(publicKey: Uint8Array | string): string {
  const raw = typeof publicKey === 'string' ? fromBase64url(publicKey) : publicKey;
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * Whether `publicKey` (base64url, canonical) is the key of `nodeId`. Never throws: a key
 * that is not canonical base64url of 32 bytes belongs to no node.
 */
export function keyBelongsTo(publicKey: string, nodeId: string): boolean {
  try {
    const raw = fromBase64url(publicKey);
    return raw.length === 32 && deriveNodeId(raw) === nodeId;
  } catch {
    return false;
  }
}

/**
 * Verify an Ed25519 signature. `publicKey` and `signature` are base64url; returns false
 * (never throws) for malformed keys or signatures.
 */
export function verifySignature(publicKey: string, data: Uint8Array, signature: string): boolean {
  try {
    const sig = fromBase64url(signature);
    if (sig.length !== 64) return false;
    const key = publicKeyObject(publicKey);
    return key !== null && verify(null, data, key, sig);
  } catch {
    return false;
  }
}

/**
 * verifySignature on libuv's thread pool (node:crypto's `verify` with a callback): resolves
 * false for malformed keys or signatures, never rejects.
 */
export function verifySignatureAsync(publicKey: string, data: Uint8Array, signature: string): Promise<boolean> {
  let sig: Buffer;
  let key: KeyObject | null;
  try {
    sig = fromBase64url(signature);
    key = sig.length === 64 ? publicKeyObject(publicKey) : null;
  } catch {
    return Promise.resolve(false);
  }
  if (!key) return Promise.resolve(false);
  return new Promise((resolve) => verify(null, data, key, sig, (err, ok) => resolve(!err && ok)));
}

// Importing a key costs about as much as a verification; signers repeat (one peer signs
// thousands of records), so recently used keys are kept. Immutable key objects, bounded.
const KEY_CACHE_SIZE = 1024;
const keyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: string): KeyObject | null {
  let key = keyCache.get(publicKey);
  if (key) return key;
  const raw = fromBase64url(publicKey);
  if (raw.length !== 32) return null;
  key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(publicKey, key);
  return key;
}

/**
 * Load `DIR/identity.key`, or create it (mode 0600) when absent.
 * @throws IdentityFileError when the file exists but is not an Ed25519 PKCS#8 PEM key.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<Identity> {
  const path = join(dataDir, IDENTITY_FILE);
  let pem: string | undefined;
  try {
    pem = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new IdentityFileError(path, String(err));
  }
  if (pem !== undefined) {
    try {
      const key = createPrivateKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${key.asymmetricKeyType}, not ed25519`);
      return new Identity(key);
    } catch (err) {
      throw new IdentityFileError(path, (err as Error).message);
    }
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const out = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  // 'wx' fails if another process created the file meanwhile; then read theirs.
  try {
    await fs.writeFile(path, out, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateIdentity(dataDir);
    throw err;
  }
  return new Identity(privateKey);
}

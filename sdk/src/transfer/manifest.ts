import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { keyBelongsTo, type Identity, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { MAX_PIECES, PIECE_LENGTH } from './constants.js';
import { transferError } from './errors.js';

/** The `purpose` string bound into manifest signatures. */
export const MANIFEST_PURPOSE = 'plexus-manifest';

/**
 * What a shared file is: name, size, piece length and the SHA-256 of every piece (the
 * "info" of BEP 3), plus who shared it and their signature. The ID depends on the info only,
 * so the same content shared by two nodes has one ID and downloads from both.
 */
export interface FileManifest {
  /** hex SHA-256 of JCS({name, size, pieceLength, pieces}). */
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes per piece (the last piece may be shorter); a power of two, at least 16 KiB. */
  pieceLength: number;
  /** hex SHA-256 of each piece. */
  pieces: string[];
  /** Node ID of the sharer. */
  sharer: string;
  sharerPublicKey: string;
  createdAt: number;
  /** Ed25519 over JCS of the manifest without `signature`, plus `purpose: "plexus-manifest"`. */
  signature: string;
}

export function manifestId(info: Pick<FileManifest, 'name' | 'size' | 'pieceLength' | 'pieces'>): string {
  const { name, size, pieceLength, pieces } = info;
  return createHash('sha256').update(canonicalBytes({ name, size, pieceLength, pieces })).digest('hex');
}

function signingPayload(m: Omit<FileManifest, 'signature'>): Buffer {
  const { id, name, size, pieceLength, pieces, sharer, sharerPublicKey, createdAt } = m;
  return canonicalBytes({ purpose: MANIFEST_PURPOSE, id, name, size, pieceLength, pieces, sharer, sharerPublicKey, createdAt });
}

/** Piece length for a file of `size` bytes: PIECE_LENGTH, doubled until there are at most MAX_PIECES pieces. */
export function choosePieceLength(size: number): number {
  let length = PIECE_LENGTH;
  while (Math.ceil(size / length) > MAX_PIECES) length *= 2;
  return length;
}

/** Bytes in piece `index` of a file. */
export function pieceSize(m: Pick<FileManifest, 'size' | 'pieceLength'>, index: number): number {
  return Math.min(m.pieceLength, m.size - index * m.pieceLength);
}

/**
 * Hash a file into a signed manifest (reads it once, piece by piece).
 * @throws TransferError NOT_A_FILE
 */
export async function createManifest(path: string, identity: Identity, options: { pieceLength?: number; name?: string } = {}): Promise<FileManifest> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch {
    throw transferError.notAFile(path);
  }
  if (!stat.isFile()) throw transferError.notAFile(path);
  const size = stat.size;
  const pieceLength = options.pieceLength ?? choosePieceLength(size);
  const pieces: string[] = [];
  const handle = await fs.open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(pieceLength);
    for (let offset = 0; offset < size; offset += pieceLength) {
      const length = Math.min(pieceLength, size - offset);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw transferError.notAFile(`${path} changed while it was read`);
      pieces.push(createHash('sha256').update(buffer.subarray(0, length)).digest('hex'));
    }
  } finally {
    await handle.close();
  }
  const name = options.name ?? basename(path);
  const unsigned = { id: manifestId({ name, size, pieceLength, pieces }), name, size, pieceLength, pieces, sharer: identity.nodeId, sharerPublicKey: identity.publicKey, createdAt: Date.now() };
  return { ...unsigned, signature: identity.sign(signingPayload(unsigned)) };
}

/**
 * Check a manifest: its ID derives from its info, pieces fit the size, the sharer's key
 * matches its node ID and the signature verifies. @throws TransferError INVALID_MANIFEST
 */
export function verifyManifest(m: FileManifest): void {
  const fail = (why: string): never => {
    throw transferError.invalidManifest(`manifest ${String(m.id).slice(0, 12)}: ${why}`);
  };
  if (manifestId(m) !== m.id) fail('id is not the hash of its info');
  if (!Number.isSafeInteger(m.size) || m.size < 0) fail('bad size');
  if (m.pieceLength < 16 * 1024 || (m.pieceLength & (m.pieceLength - 1)) !== 0) fail('pieceLength must be a power of two of at least 16 KiB');
  if (m.pieces.length !== Math.ceil(m.size / m.pieceLength)) fail('the number of pieces does not fit the size');
  if (!keyBelongsTo(m.sharerPublicKey, m.sharer)) fail('sharerPublicKey does not belong to sharer');
  if (!verifySignature(m.sharerPublicKey, signingPayload(m), m.signature)) fail('signature does not verify');
}

/** A parsed link: the file ID and hints. */
export interface FileLink {
  fileId: string;
  name: string | null;
  size: number | null;
  /** Peer addresses ("host:port") that had the file. */
  peers: string[];
}

/**
 * The link form, modelled on magnet links (BEP 9):
 * `plexus:?xt=urn:plexus:<64 hex id>&dn=<name>&xl=<size>&x.pe=<host:port>` (x.pe repeatable).
 */
export function formatLink(m: Pick<FileManifest, 'id' | 'name' | 'size'>, peers: string[] = []): string {
  const params = [`xt=urn:plexus:${m.id}`, `dn=${encodeURIComponent(m.name)}`, `xl=${m.size}`, ...peers.map((p) => `x.pe=${encodeURIComponent(p)}`)];
  return `plexus:?${params.join('&')}`;
}

/** Parse a link, or a bare 64-hex file ID. @throws TransferError INVALID_LINK */
export function parseLink(link: string): FileLink {
  const text = link.trim();
  if (/^[0-9a-f]{64}$/.test(text)) return { fileId: text, name: null, size: null, peers: [] };
  if (!text.startsWith('plexus:?')) throw transferError.invalidLink(text, 'it must start with plexus:? (or be a 64-hex file ID)');
  const params = new URLSearchParams(text.slice('plexus:?'.length));
  const xt = params.get('xt') ?? '';
  const match = /^urn:plexus:([0-9a-f]{64})$/.exec(xt);
  if (!match) throw transferError.invalidLink(text, 'xt must be urn:plexus:<64 hex characters>');
  const xl = params.get('xl');
  const size = xl === null ? null : Number(xl);
  if (size !== null && !(Number.isSafeInteger(size) && size >= 0)) throw transferError.invalidLink(text, 'xl must be a size in bytes');
  return { fileId: match[1]!, name: params.get('dn'), size, peers: params.getAll('x.pe') };
}

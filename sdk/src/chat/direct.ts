import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { keyBelongsTo, type Identity, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { base64url, fromBase64url } from '../util/encoding.js';
import { CHAT_FORGED_PENALTY, CHAT_INVALID_PENALTY, MAX_NAME_CHARS, MAX_TEXT_CHARS } from './constants.js';
import { InvalidChatMessageError } from './errors.js';
import { codePoints } from './message.js';

/*
 * Direct messages, end to end encrypted (docs/protocol.md §20.6-20.9).
 *
 * Each node has a static X25519 key (RFC 7748) besides its Ed25519 identity, bound to it by a
 * signed ChatKey. A message is sealed in the shape of Noise's X pattern / HPKE's auth mode
 * (RFC 9180 §5.1.3): a fresh ephemeral key e; ikm = X25519(e, R) || X25519(S, R) with R the
 * recipient's static key and S the sender's; HKDF-SHA256 (RFC 5869) gives a 32-byte AES key
 * and a 12-byte nonce; AES-256-GCM (NIST SP 800-38D) encrypts {name, salt, text} with the
 * message's header (which holds its ID) as associated data; the author signs the whole
 * envelope with Ed25519, so relays can check the author without reading the text.
 */

/** `purpose` strings bound into each signature and into the key derivation (domain separation). */
export const CHAT_KEY_PURPOSE = 'plexus-chat-key';
export const DIRECT_PURPOSE = 'plexus-chat-direct';
export const RECEIPT_PURPOSE = 'plexus-chat-receipt';
/** HKDF `info` of the message key (RFC 5869 §2.3). */
export const DIRECT_HKDF_INFO = 'plexus-chat-direct v1';
/** The file in the data folder that holds this node's X25519 private key (PKCS#8 PEM, mode 0600). */
export const CHAT_KEY_FILE = 'chat.key';

const HEX64 = /^[0-9a-f]{64}$/;
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEY32 = /^[A-Za-z0-9_-]{43}$/;
const SIG64 = /^[A-Za-z0-9_-]{86}$/;
const SALT16 = /^[A-Za-z0-9_-]{22}$/;

/**
 * A node's X25519 public key, bound to its node identity: signed by its Ed25519 key. The
 * newest (`created`) binding of a node is the one used.
 */
export interface ChatKey {
  /** Node ID. */
  node: string;
  /** Its Ed25519 public key (base64url, 32 bytes); SHA-256 of it is `node`. */
  nodeKey: string;
  /** Its X25519 public key (base64url, 32 bytes). */
  dh: string;
  /** When the binding was made (ms since epoch, the node's clock). */
  created: number;
  /** Ed25519 signature over JCS({purpose: "plexus-chat-key", node, nodeKey, dh, created}). */
  signature: string;
}

/** A direct message on the wire: header in the clear, content sealed to the recipient. */
export interface DirectEnvelope {
  /** hex SHA-256 of JCS({author, lamport, name, salt, text, to}): the idempotency key. */
  id: string;
  author: string;
  authorKey: string;
  /** Recipient node ID. */
  to: string;
  lamport: number;
  /** The author's ChatKey (so a recipient needs nothing beforehand). */
  senderKey: ChatKey;
  /** The recipient's X25519 key it was sealed to (base64url). */
  toDh: string;
  /** Ephemeral X25519 public key (base64url). */
  eph: string;
  /** base64url of AES-256-GCM(JCS({name, salt, text})) followed by its 16-byte tag. */
  ciphertext: string;
  /** Ed25519 signature over JCS({purpose: "plexus-chat-direct", every other field}). */
  signature: string;
}

/** What only the two ends read. */
export interface DirectContent {
  name: string | null;
  text: string;
  /** 16 random bytes (base64url): the ID reveals nothing about a guessable text. */
  salt: string;
}

/** A signed mark on a direct message by its recipient, for its author. */
export interface DirectReceipt {
  /** The message's ID. */
  id: string;
  /** The recipient who marks it. */
  by: string;
  byKey: string;
  /** The message's author. */
  to: string;
  mark: 'delivered' | 'read';
  /** When (ms since epoch, the recipient's clock). */
  at: number;
  /** Ed25519 signature over JCS({purpose: "plexus-chat-receipt", id, by, byKey, to, mark, at}). */
  signature: string;
}

/** This node's static X25519 key pair. */
export class ChatKeyPair {
  readonly #privateKey: KeyObject;
  /** base64url of the raw 32-byte public key. */
  readonly publicKey: string;

  constructor(privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'x25519') throw new TypeError(`key type is ${privateKey.asymmetricKeyType}, not x25519`);
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey).export({ format: 'jwk' }).x!;
  }

  static generate(): ChatKeyPair {
    return new ChatKeyPair(generateKeyPairSync('x25519').privateKey);
  }

  /** The key pair of a raw 32-byte X25519 private key (RFC 7748 §5: clamped when used). */
  static fromRaw(raw: Uint8Array): ChatKeyPair {
    if (raw.length !== 32) throw new TypeError('an X25519 private key is 32 bytes');
    return new ChatKeyPair(createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' }));
  }

  /** X25519(private, peer). @throws on a key whose result is all zeros (a low-order point). */
  agree(peerPublicKey: string): Buffer {
    return diffieHellman({ privateKey: this.#privateKey, publicKey: x25519Public(peerPublicKey) });
  }

  pem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }
}

/**
 * Load `DIR/chat.key`, or create it (mode 0600). `dir` null: a key for this run only.
 * @throws Error when the file exists but is not an X25519 PKCS#8 PEM key
 */
export async function loadOrCreateChatKey(dir: string | null): Promise<ChatKeyPair> {
  if (dir === null) return ChatKeyPair.generate();
  const path = join(dir, CHAT_KEY_FILE);
  try {
    return new ChatKeyPair(createPrivateKey(await fs.readFile(path, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path}: not an X25519 private key (${(err as Error).message})`);
  }
  const pair = ChatKeyPair.generate();
  try {
    await fs.writeFile(path, pair.pem(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateChatKey(dir);
    throw err;
  }
  return pair;
}

function x25519Public(key: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: key }, format: 'jwk' });
}

const bad = (why: string, penalty = CHAT_INVALID_PENALTY): never => {
  throw new InvalidChatMessageError(why, penalty);
};

function exactFields(value: unknown, fields: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`${what} is not an object`);
  const m = value as Record<string, unknown>;
  if (Object.keys(m).length !== fields.length || !fields.every((f) => Object.prototype.hasOwnProperty.call(m, f))) bad(`${what} fields must be exactly ${fields.join(', ')}`);
  return m;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// ChatKey

const KEY_FIELDS = ['node', 'nodeKey', 'dh', 'created', 'signature'] as const;

function keySigningPayload(k: Omit<ChatKey, 'signature'>): Buffer {
  return canonicalBytes({ purpose: CHAT_KEY_PURPOSE, node: k.node, nodeKey: k.nodeKey, dh: k.dh, created: k.created });
}

/** Bind `dh` to `identity`. */
export function signChatKey(identity: Identity, dh: string, created: number): ChatKey {
  const unsigned = { node: identity.nodeId, nodeKey: identity.publicKey, dh, created };
  return { ...unsigned, signature: identity.sign(keySigningPayload(unsigned)) };
}

/**
 * Check a ChatKey: exact fields, formats, the key is the node's, the signature.
 * @throws InvalidChatMessageError with the penalty its sender earns
 */
export function verifyChatKey(value: unknown): ChatKey {
  const k = exactFields(value, KEY_FIELDS, 'ChatKey');
  if (typeof k.node !== 'string' || !HEX64.test(k.node)) bad('ChatKey node is not a node ID');
  if (typeof k.nodeKey !== 'string' || !KEY32.test(k.nodeKey)) bad('ChatKey nodeKey is not a base64url Ed25519 public key');
  if (typeof k.dh !== 'string' || !KEY32.test(k.dh)) bad('ChatKey dh is not a base64url X25519 public key');
  if (!isTime(k.created)) bad('ChatKey created is not a non-negative integer');
  if (typeof k.signature !== 'string' || !SIG64.test(k.signature)) bad('ChatKey signature is not a base64url Ed25519 signature');
  const key = k as unknown as ChatKey;
  if (!keyBelongsTo(key.nodeKey, key.node)) bad('ChatKey nodeKey does not belong to node', CHAT_FORGED_PENALTY);
  if (!verifySignature(key.nodeKey, keySigningPayload(key), key.signature)) bad('ChatKey signature does not verify', CHAT_FORGED_PENALTY);
  return key;
}

// Direct messages

const ENVELOPE_FIELDS = ['id', 'author', 'authorKey', 'to', 'lamport', 'senderKey', 'toDh', 'eph', 'ciphertext', 'signature'] as const;
const CONTENT_FIELDS = ['name', 'salt', 'text'] as const;
/** AES-GCM tag length (bytes). */
const TAG_BYTES = 16;

/** The direct message ID: hex SHA-256 of JCS({author, lamport, name, salt, text, to}). */
export function directMessageId(m: { author: string; to: string; lamport: number } & DirectContent): string {
  return createHash('sha256').update(canonicalBytes({ author: m.author, to: m.to, lamport: m.lamport, name: m.name, salt: m.salt, text: m.text })).digest('hex');
}

/** The associated data of the AEAD: JCS({purpose, id, author, to, lamport, eph}). */
function associatedData(e: Pick<DirectEnvelope, 'id' | 'author' | 'to' | 'lamport' | 'eph'>): Buffer {
  return canonicalBytes({ purpose: DIRECT_PURPOSE, id: e.id, author: e.author, to: e.to, lamport: e.lamport, eph: e.eph });
}

function envelopeSigningPayload(e: Omit<DirectEnvelope, 'signature'>): Buffer {
  return canonicalBytes({
    purpose: DIRECT_PURPOSE,
    id: e.id,
    author: e.author,
    authorKey: e.authorKey,
    to: e.to,
    lamport: e.lamport,
    senderKey: e.senderKey,
    toDh: e.toDh,
    eph: e.eph,
    ciphertext: e.ciphertext,
  });
}

/** HKDF-SHA256(ikm = es || ss, salt = eph || senderDh || toDh, info) -> 32-byte key, 12-byte nonce. */
function messageKey(es: Buffer, ss: Buffer, eph: string, senderDh: string, toDh: string): { key: Buffer; iv: Buffer } {
  const salt = Buffer.concat([fromBase64url(eph), fromBase64url(senderDh), fromBase64url(toDh)]);
  const okm = Buffer.from(hkdfSync('sha256', Buffer.concat([es, ss]), salt, DIRECT_HKDF_INFO, 44));
  return { key: okm.subarray(0, 32), iv: okm.subarray(32, 44) };
}

/**
 * Seal and sign a direct message from `identity` (static key `keys`, bound by `senderKey`) to
 * the node whose ChatKey is `recipient`. `fixed` replaces the fresh ephemeral key and the random
 * salt: only for test vectors (docs/protocol.md §20.7); reusing them breaks the encryption.
 */
export function sealDirect(
  identity: Identity,
  keys: ChatKeyPair,
  senderKey: ChatKey,
  recipient: ChatKey,
  fields: { name: string | null; text: string; lamport: number },
  fixed: { ephemeral?: ChatKeyPair; salt?: Buffer } = {},
): { envelope: DirectEnvelope; content: DirectContent } {
  const content: DirectContent = { name: fields.name, salt: base64url(fixed.salt ?? randomBytes(16)), text: fields.text };
  const id = directMessageId({ author: identity.nodeId, to: recipient.node, lamport: fields.lamport, ...content });
  const ephemeral = fixed.ephemeral ?? ChatKeyPair.generate();
  const eph = ephemeral.publicKey;
  const { key, iv } = messageKey(ephemeral.agree(recipient.dh), keys.agree(recipient.dh), eph, keys.publicKey, recipient.dh);
  const header = { id, author: identity.nodeId, to: recipient.node, lamport: fields.lamport, eph };
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(header));
  const sealed = Buffer.concat([cipher.update(canonicalBytes({ name: content.name, salt: content.salt, text: content.text })), cipher.final(), cipher.getAuthTag()]);
  const unsigned = { ...header, authorKey: identity.publicKey, senderKey, toDh: recipient.dh, ciphertext: base64url(sealed) };
  return { envelope: { ...unsigned, signature: identity.sign(envelopeSigningPayload(unsigned)) }, content };
}

/**
 * What anyone (a relay too) can check of an envelope: exact fields, formats, the author's key
 * and signature, the sender's ChatKey is the author's. Cheap checks first.
 * @throws InvalidChatMessageError with the penalty its sender earns
 */
export function verifyDirectEnvelope(value: unknown, maxCiphertextChars: number): DirectEnvelope {
  const e = exactFields(value, ENVELOPE_FIELDS, 'DirectMessage');
  if (typeof e.id !== 'string' || !HEX64.test(e.id)) bad('id is not 64 lowercase hex characters');
  if (typeof e.author !== 'string' || !HEX64.test(e.author)) bad('author is not a node ID');
  if (typeof e.authorKey !== 'string' || !KEY32.test(e.authorKey)) bad('authorKey is not a base64url Ed25519 public key');
  if (typeof e.to !== 'string' || !HEX64.test(e.to)) bad('to is not a node ID');
  if (e.to === e.author) bad('to is the author');
  if (!isTime(e.lamport)) bad('lamport is not a non-negative integer');
  if (typeof e.toDh !== 'string' || !KEY32.test(e.toDh)) bad('toDh is not a base64url X25519 public key');
  if (typeof e.eph !== 'string' || !KEY32.test(e.eph)) bad('eph is not a base64url X25519 public key');
  if (typeof e.ciphertext !== 'string' || !/^[A-Za-z0-9_-]+$/.test(e.ciphertext) || e.ciphertext.length > maxCiphertextChars) bad(`ciphertext is not base64url of at most ${maxCiphertextChars} characters`);
  if (typeof e.signature !== 'string' || !SIG64.test(e.signature)) bad('signature is not a base64url Ed25519 signature');
  const env = e as unknown as DirectEnvelope;
  if (!keyBelongsTo(env.authorKey, env.author)) bad('authorKey does not belong to author', CHAT_FORGED_PENALTY);
  if (!verifySignature(env.authorKey, envelopeSigningPayload(env), env.signature)) bad('signature does not verify', CHAT_FORGED_PENALTY);
  const senderKey = verifyChatKey(env.senderKey);
  if (senderKey.node !== env.author) bad('senderKey is not the author\'s', CHAT_FORGED_PENALTY);
  return env;
}

/**
 * Open an envelope addressed to this node (checked already by verifyDirectEnvelope):
 * decrypt, check the content and that the ID is its hash.
 * @throws InvalidChatMessageError (`DECRYPT_FAILED` when the tag does not verify: a tampered
 *   ciphertext or header, or a key that is not this node's)
 */
export function openDirect(keys: ChatKeyPair, env: DirectEnvelope): DirectContent {
  if (env.toDh !== keys.publicKey) throw new InvalidChatMessageError(`sealed to X25519 key ${env.toDh.slice(0, 8)}…, not this node's`, 0, 'DECRYPT_FAILED');
  let plain: Buffer;
  try {
    const { key, iv } = messageKey(keys.agree(env.eph), keys.agree(env.senderKey.dh), env.eph, env.senderKey.dh, env.toDh);
    const sealed = fromBase64url(env.ciphertext);
    if (sealed.length < TAG_BYTES) throw new Error('shorter than the tag');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(env));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new InvalidChatMessageError(`cannot decrypt: ${(err as Error).message}`, 0, 'DECRYPT_FAILED');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    return bad('decrypted content is not JSON', CHAT_FORGED_PENALTY);
  }
  const c = exactFields(parsed, CONTENT_FIELDS, 'content');
  if (c.name !== null && (typeof c.name !== 'string' || codePoints(c.name) < 1 || codePoints(c.name) > MAX_NAME_CHARS)) bad(`name is not null or 1..${MAX_NAME_CHARS} characters`, 0);
  if (typeof c.text !== 'string' || codePoints(c.text) < 1 || codePoints(c.text) > MAX_TEXT_CHARS) bad(`text is not 1..${MAX_TEXT_CHARS} characters`, 0);
  if (typeof c.salt !== 'string' || !SALT16.test(c.salt)) bad('salt is not 16 bytes of base64url', 0);
  const content = c as unknown as DirectContent;
  if (directMessageId({ author: env.author, to: env.to, lamport: env.lamport, ...content }) !== env.id) bad('id is not the hash of the content', 0);
  return content;
}

// Receipts

const RECEIPT_FIELDS = ['id', 'by', 'byKey', 'to', 'mark', 'at', 'signature'] as const;

function receiptSigningPayload(r: Omit<DirectReceipt, 'signature'>): Buffer {
  return canonicalBytes({ purpose: RECEIPT_PURPOSE, id: r.id, by: r.by, byKey: r.byKey, to: r.to, mark: r.mark, at: r.at });
}

/** Sign a receipt for message `id` from `author`. */
export function signReceipt(identity: Identity, fields: { id: string; to: string; mark: 'delivered' | 'read'; at: number }): DirectReceipt {
  const unsigned = { id: fields.id, by: identity.nodeId, byKey: identity.publicKey, to: fields.to, mark: fields.mark, at: fields.at };
  return { ...unsigned, signature: identity.sign(receiptSigningPayload(unsigned)) };
}

/**
 * Check a receipt: exact fields, formats, the signer's key, the signature.
 * @throws InvalidChatMessageError with the penalty its sender earns
 */
export function verifyReceipt(value: unknown): DirectReceipt {
  const r = exactFields(value, RECEIPT_FIELDS, 'DirectReceipt');
  if (typeof r.id !== 'string' || !HEX64.test(r.id)) bad('receipt id is not 64 lowercase hex characters');
  if (typeof r.by !== 'string' || !HEX64.test(r.by)) bad('receipt by is not a node ID');
  if (typeof r.byKey !== 'string' || !KEY32.test(r.byKey)) bad('receipt byKey is not a base64url Ed25519 public key');
  if (typeof r.to !== 'string' || !HEX64.test(r.to)) bad('receipt to is not a node ID');
  if (r.mark !== 'delivered' && r.mark !== 'read') bad('receipt mark is not "delivered" or "read"');
  if (!isTime(r.at)) bad('receipt at is not a non-negative integer');
  if (typeof r.signature !== 'string' || !SIG64.test(r.signature)) bad('receipt signature is not a base64url Ed25519 signature');
  const receipt = r as unknown as DirectReceipt;
  if (!keyBelongsTo(receipt.byKey, receipt.by)) bad('receipt byKey does not belong to by', CHAT_FORGED_PENALTY);
  if (!verifySignature(receipt.byKey, receiptSigningPayload(receipt), receipt.signature)) bad('receipt signature does not verify', CHAT_FORGED_PENALTY);
  return receipt;
}

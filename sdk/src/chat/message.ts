import { createHash } from 'node:crypto';
import { keyBelongsTo, type Identity, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { CHAT_FORGED_PENALTY, CHAT_INVALID_PENALTY, CHAT_PURPOSE, MAX_NAME_CHARS, MAX_TEXT_CHARS, ROOM_PATTERN } from './constants.js';
import { InvalidChatMessageError } from './errors.js';

/**
 * A chat message as nodes sign, gossip and store it (docs/protocol.md §20). Immutable: its
 * `id` is the hash of everything but `id` and `signature`, so a resend is the same message.
 */
export interface ChatMessage {
  /** hex SHA-256 of JCS({author, authorKey, lamport, name, room, text}). */
  id: string;
  room: string;
  /** Node ID of the author. */
  author: string;
  /** The author's public key (base64url, raw 32 bytes); its SHA-256 is `author`. */
  authorKey: string;
  /** The author's display name when it sent this, or null. A label, not an identity. */
  name: string | null;
  text: string;
  /** Lamport timestamp: max(author's wall clock in ms, last timestamp it had seen + 1). */
  lamport: number;
  /** Ed25519 signature (base64url) over JCS({purpose: "plexus-chat-message", author, authorKey, lamport, name, room, text}). */
  signature: string;
}

export type UnsignedChatMessage = Omit<ChatMessage, 'id' | 'signature'>;

const FIELDS = ['id', 'room', 'author', 'authorKey', 'name', 'text', 'lamport', 'signature'] as const;
const roomRe = new RegExp(ROOM_PATTERN);

/** The fields the id and the signature cover, in a fresh object (no `id`, no `signature`, nothing else). */
function contentOf(m: UnsignedChatMessage): UnsignedChatMessage {
  return { room: m.room, author: m.author, authorKey: m.authorKey, name: m.name, text: m.text, lamport: m.lamport };
}

/** The message ID: hex SHA-256 of the canonical JSON of its content. */
export function chatMessageId(m: UnsignedChatMessage): string {
  return createHash('sha256').update(canonicalBytes(contentOf(m))).digest('hex');
}

/** The bytes the signature covers: canonical JSON of the content plus `purpose`. */
export function chatSigningPayload(m: UnsignedChatMessage): Buffer {
  return canonicalBytes({ purpose: CHAT_PURPOSE, ...contentOf(m) });
}

/** Build and sign a message as `identity`. */
export function signChatMessage(identity: Identity, fields: { room: string; name: string | null; text: string; lamport: number }): ChatMessage {
  const unsigned: UnsignedChatMessage = { room: fields.room, author: identity.nodeId, authorKey: identity.publicKey, name: fields.name, text: fields.text, lamport: fields.lamport };
  return { id: chatMessageId(unsigned), ...unsigned, signature: identity.sign(chatSigningPayload(unsigned)) };
}

/** A room name check. */
export function isRoomName(room: unknown): room is string {
  return typeof room === 'string' && roomRe.test(room);
}

/** Unicode code points of a string. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Check everything a receiver can check, in the order of docs/protocol.md §20.4 (the clock
 * check is the caller's): schema and sizes, id, key ownership, signature.
 * @throws InvalidChatMessageError with the penalty its sender earns
 */
export function verifyChatMessage(value: unknown): ChatMessage {
  const bad = (why: string, penalty = CHAT_INVALID_PENALTY): never => {
    throw new InvalidChatMessageError(why, penalty);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not an object');
  const m = value as Record<string, unknown>;
  const keys = Object.keys(m);
  if (keys.length !== FIELDS.length || !FIELDS.every((f) => Object.prototype.hasOwnProperty.call(m, f))) return bad(`fields must be exactly ${FIELDS.join(', ')}`);
  if (typeof m.id !== 'string' || !/^[0-9a-f]{64}$/.test(m.id)) bad('id is not 64 lowercase hex characters');
  if (!isRoomName(m.room)) bad('room is not a room name');
  if (typeof m.author !== 'string' || !/^[0-9a-f]{64}$/.test(m.author)) bad('author is not a node ID');
  if (typeof m.authorKey !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(m.authorKey)) bad('authorKey is not a base64url Ed25519 public key');
  if (m.name !== null && (typeof m.name !== 'string' || codePoints(m.name) < 1 || codePoints(m.name) > MAX_NAME_CHARS)) bad(`name is not null or 1..${MAX_NAME_CHARS} characters`);
  if (typeof m.text !== 'string' || codePoints(m.text) < 1 || codePoints(m.text) > MAX_TEXT_CHARS) bad(`text is not 1..${MAX_TEXT_CHARS} characters`);
  if (typeof m.lamport !== 'number' || !Number.isSafeInteger(m.lamport) || m.lamport < 0) bad('lamport is not a non-negative integer');
  if (typeof m.signature !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(m.signature)) bad('signature is not a base64url Ed25519 signature');
  const msg = m as unknown as ChatMessage;
  if (chatMessageId(msg) !== msg.id) bad('id is not the hash of the content', CHAT_FORGED_PENALTY);
  if (!keyBelongsTo(msg.authorKey, msg.author)) bad('authorKey does not belong to author', CHAT_FORGED_PENALTY);
  if (!verifySignature(msg.authorKey, chatSigningPayload(msg), msg.signature)) bad('signature does not verify', CHAT_FORGED_PENALTY);
  return msg;
}

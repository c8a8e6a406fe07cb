/**
 * The direct-message routes of the node's chat API, as the extension calls them:
 *
 *   POST /api/v1/chat/messages {to, text}                 -> 201 {message: DirectMessage}
 *   GET  /api/v1/chat/messages?with=ID&limit=&before=     -> {with, messages: DirectMessage[]} oldest first
 *   GET  /api/v1/chat/conversations                       -> {conversations: Conversation[]}
 *   POST /api/v1/chat/read {with}                         -> {with, marked}
 *   SSE  chat:message (a DirectMessage plus `from`), chat:mark {id, with, mark, at}
 *
 * Called through the client's raw requests, so the extension also runs against a node
 * without them (older ones answer 404 NOT_FOUND: the chat view then shows rooms only).
 */
import type { TypedApiClient } from '@plexus/sdk';

/** A direct message as the node shows it (`to` instead of a room). */
export interface DirectMessage {
  id: string;
  /** Node ID of the recipient. */
  to: string;
  /** Node ID of the author. */
  author: string;
  /** The author's display name when it wrote this, or null. */
  name: string | null;
  text: string;
  lamport: number;
  /** When it was written, ms since the epoch on the sender's clock. */
  time: number;
  /** Written by this node. */
  outgoing: boolean;
  /** Sent / delivered / read (ms since the epoch, or null); meaningful on outgoing messages. */
  marks: { sent: number | null; delivered: number | null; read: number | null };
}

/** The direct messages with one node. */
export interface Conversation {
  with: string;
  name: string | null;
  last: DirectMessage | null;
  /** Received messages not marked read. */
  unread: number;
}

/** Payload of `chat:mark`: a mark of a message this node sent changed. */
export interface ChatMarkEvent {
  id: string;
  with: string;
  mark: 'delivered' | 'read';
  at: number;
}

export function isDirectMessage(m: unknown): m is DirectMessage {
  return typeof m === 'object' && m !== null && typeof (m as { to?: unknown }).to === 'string';
}

/** Send `text` to node `to`. @throws ApiClientError (INVALID_BODY, ...) */
export async function sendDirect(client: TypedApiClient, to: string, text: string): Promise<DirectMessage> {
  return (await client.raw.post<{ message: DirectMessage }>('/chat/messages', { to, text })).message;
}

/** Messages with `peer`, oldest first: the newest `limit`, before message `before` when given. */
export async function conversation(client: TypedApiClient, peer: string, options: { limit?: number; before?: string } = {}): Promise<DirectMessage[]> {
  const q = new URLSearchParams({ with: peer });
  if (options.limit !== undefined) q.set('limit', String(options.limit));
  if (options.before !== undefined) q.set('before', options.before);
  return (await client.raw.get<{ messages: DirectMessage[] }>(`/chat/messages?${q}`)).messages;
}

/** Every conversation, or null when the node does not serve direct messages (404). */
export async function conversations(client: TypedApiClient): Promise<Conversation[] | null> {
  try {
    return (await client.raw.get<{ conversations: Conversation[] }>('/chat/conversations')).conversations;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
}

/** Mark the messages received from `peer` read (the peer gets read receipts); resolves with how many. */
export async function markRead(client: TypedApiClient, peer: string): Promise<number> {
  return (await client.raw.post<{ marked: number }>('/chat/read', { with: peer })).marked;
}

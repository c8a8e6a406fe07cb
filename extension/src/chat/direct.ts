/**
 * The capability check for direct messages: a node that does not serve them answers
 * `GET /api/v1/chat/conversations` with 404 (docs/api.md §6.30), and the chat view then shows
 * rooms only. Everything else goes through the typed client (chatSendDirect,
 * chatConversation, chatConversations, chatRead).
 */
import type { ChatMessageEvent, Conversation, DirectMessage, TypedApiClient } from '@plexus/sdk';

/** Every conversation, or null when the node does not serve direct messages (404). */
export async function conversationsOrNull(client: TypedApiClient): Promise<Conversation[] | null> {
  try {
    return await client.chatConversations();
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
}

/** A `chat:message` payload that is a direct message (it has `to`, a room message has `room`). */
export function isDirectMessage(m: ChatMessageEvent | DirectMessage): m is DirectMessage & { from: string | null } {
  return typeof (m as { to?: unknown }).to === 'string';
}

/**
 * Chat: rooms of signed messages carried by gossip (topic `chat`), ordered by Lamport
 * timestamp, stored in `chat_messages`; end-to-end encrypted direct messages with receipts
 * (`chat_direct`); catch-up on connect. Format and checks: docs/protocol.md §20.
 */
export { Chat, type ChatInit, type ChatEvents, type ChatMessageEvent, type ChatSyncEvent, type HistoryOptions } from './chat.js';
export { DirectChat, type ChatMarkEvent, type DirectChatInit } from './direct-chat.js';
export {
  type ChatKey,
  ChatKeyPair,
  type DirectContent,
  type DirectEnvelope,
  type DirectReceipt,
  CHAT_KEY_FILE,
  directMessageId,
  loadOrCreateChatKey,
  openDirect,
  sealDirect,
  signChatKey,
  signReceipt,
  verifyChatKey,
  verifyDirectEnvelope,
  verifyReceipt,
} from './direct.js';
export { LamportClock, AuthorRateLimit } from './lamport.js';
export { chat, type ChatApi } from './capability.js';
export { type ChatMessage, chatMessageId, chatSigningPayload, signChatMessage, verifyChatMessage } from './message.js';
export { type ChatRoom, ChatRepository, type Conversation, type DirectMessage, DirectRepository } from './repository.js';
export { CHAT_MIGRATIONS } from './migrations.js';
export { InvalidChatMessageError, ChatRequestError } from './errors.js';
export * from './constants.js';

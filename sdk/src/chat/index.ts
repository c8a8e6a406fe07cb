/**
 * Chat: rooms of signed messages carried by gossip (topic `chat`), ordered by Lamport
 * timestamp, stored in `chat_messages`. Format and checks: docs/protocol.md §20.
 */
export { Chat, type ChatInit, type ChatEvents, type ChatMessageEvent, type HistoryOptions } from './chat.js';
export { chat, type ChatApi } from './capability.js';
export { type ChatMessage, chatMessageId, chatSigningPayload, signChatMessage, verifyChatMessage } from './message.js';
export { type ChatRoom, ChatRepository } from './repository.js';
export { CHAT_MIGRATIONS } from './migrations.js';
export { InvalidChatMessageError, ChatRequestError } from './errors.js';
export * from './constants.js';

import { type Capability, defineMessage } from '../capability/index.js';
import { Chat, type ChatEvents, type ChatInit } from './chat.js';
import { registerChatCommands } from './cli.js';
import {
  CHAT_HISTORY_SCHEMA,
  CHAT_KEYS_SCHEMA,
  CHAT_SYNC_SCHEMA,
  type ChatSyncBody,
  DIRECT_MARK_ACK_SCHEMA,
  DIRECT_MESSAGE_SCHEMA,
  DIRECT_RECEIPT_SCHEMA,
  GET_CHAT_KEYS_SCHEMA,
} from './messages.js';
import { CHAT_MIGRATIONS } from './migrations.js';
import { chatRoutes } from './routes.js';

/** What `node.chat` exposes. */
export type ChatApi = Pick<
  Chat,
  'send' | 'history' | 'rooms' | 'join' | 'leave' | 'accept' | 'lamport' | 'sendDirect' | 'conversation' | 'conversations' | 'read' | 'chatKey' | 'keyOf' | 'syncWith'
>;

/**
 * The chat capability: signed room messages over gossip with a Lamport order, end-to-end
 * encrypted direct messages with receipts (through the outbox), and catch-up on connect.
 */
export function chat(init: ChatInit = {}): Capability<'chat', ChatApi, ChatEvents> {
  return {
    name: 'chat',
    dependsOn: ['gossip', 'outbox'],
    migrations: CHAT_MIGRATIONS,
    cli: registerChatCommands,
    create(ctx) {
      const c = new Chat(ctx, init);
      c.register();
      return {
        api: c,
        messages: [
          defineMessage({ type: 'DirectMessage', kind: 'request', schema: DIRECT_MESSAGE_SCHEMA, handle: (e, p) => c.direct.onDirectMessage(e, p) }),
          defineMessage({ type: 'DirectReceipt', kind: 'reply', schema: DIRECT_RECEIPT_SCHEMA }),
          defineMessage({ type: 'DirectMark', kind: 'request', schema: DIRECT_RECEIPT_SCHEMA, handle: (e, p) => c.direct.onDirectMark(e, p) }),
          defineMessage({ type: 'DirectMarkAck', kind: 'reply', schema: DIRECT_MARK_ACK_SCHEMA }),
          defineMessage({ type: 'GetChatKeys', kind: 'request', schema: GET_CHAT_KEYS_SCHEMA, handle: (e, p) => c.onGetChatKeys(e, p) }),
          defineMessage({ type: 'ChatKeys', kind: 'reply', schema: CHAT_KEYS_SCHEMA }),
          defineMessage<ChatSyncBody>({ type: 'ChatSync', kind: 'request', schema: CHAT_SYNC_SCHEMA, handle: (e, p) => c.onChatSync(e, p) }),
          defineMessage({ type: 'ChatHistory', kind: 'reply', schema: CHAT_HISTORY_SCHEMA }),
        ],
        onPeerConnect: (peer) => c.onPeerConnect(peer),
        routes: chatRoutes(c),
        start: () => c.start(),
        stop: () => c.stop(),
      };
    },
  };
}

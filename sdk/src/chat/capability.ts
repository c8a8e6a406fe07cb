import type { Capability } from '../capability/index.js';
import { Chat, type ChatEvents, type ChatInit } from './chat.js';
import { registerChatCommands } from './cli.js';
import { CHAT_MIGRATIONS } from './migrations.js';
import { chatRoutes } from './routes.js';

/** What `node.chat` exposes. */
export type ChatApi = Pick<Chat, 'send' | 'history' | 'rooms' | 'join' | 'leave' | 'accept' | 'lamport'>;

/** The chat capability: signed room messages over gossip, with a Lamport order, stored. */
export function chat(init: ChatInit = {}): Capability<'chat', ChatApi, ChatEvents> {
  return {
    name: 'chat',
    dependsOn: ['gossip'],
    migrations: CHAT_MIGRATIONS,
    cli: registerChatCommands,
    create(ctx) {
      const c = new Chat(ctx, init);
      return { api: c, routes: chatRoutes(c), start: () => c.start(), stop: () => c.stop() };
    },
  };
}

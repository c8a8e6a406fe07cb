import type { RouteDef } from '../capability/index.js';
import type { Chat } from './chat.js';
import { HISTORY_MAX_LIMIT, MAX_TEXT_CHARS, ROOM_PATTERN } from './constants.js';
import { ChatRequestError } from './errors.js';

const ROOM = '([a-z0-9][a-z0-9_-]{0,63})';
const NODE_ID_PATTERN = '^[0-9a-f]{64}$';
const TEXT = { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS } as const;

/** The chat routes of the HTTP API (docs/api.md, "Chat"). */
export function chatRoutes(chat: Chat): RouteDef[] {
  return [
    { method: 'GET', path: '/chat/rooms', handle: () => [200, { rooms: chat.rooms(), lamport: chat.lamport() }] },
    {
      method: 'POST',
      path: '/chat/rooms',
      body: { type: 'object', properties: { room: { type: 'string', pattern: ROOM_PATTERN } }, required: ['room'], additionalProperties: false },
      handle: (r) => {
        const { room } = r.body as { room: string };
        return [200, { room, joined: chat.join(room) }];
      },
    },
    {
      method: 'DELETE',
      path: `/chat/rooms/${ROOM}`,
      handle: (r) => [200, { room: r.params[0]!, left: chat.leave(r.params[0]!) }],
    },
    {
      method: 'POST',
      path: '/chat/messages',
      body: {
        oneOf: [
          { type: 'object', properties: { room: { type: 'string', pattern: ROOM_PATTERN }, text: TEXT }, required: ['room', 'text'], additionalProperties: false },
          { type: 'object', properties: { to: { type: 'string', pattern: NODE_ID_PATTERN }, text: TEXT }, required: ['to', 'text'], additionalProperties: false },
        ],
      },
      handle: async (r) => {
        const { room, to, text } = r.body as { room?: string; to?: string; text: string };
        return [201, { message: to !== undefined ? await chat.sendDirect(to, text) : await chat.send(room!, text) }];
      },
    },
    {
      method: 'GET',
      path: '/chat/messages',
      handle: (r) => {
        const q = r.url.searchParams;
        const limitText = q.get('limit');
        const limit = limitText === null ? undefined : Number(limitText);
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= HISTORY_MAX_LIMIT)) throw new ChatRequestError(`limit must be an integer 1..${HISTORY_MAX_LIMIT}`);
        const before = q.get('before') ?? undefined;
        const peer = q.get('with');
        if (peer !== null) {
          if (q.has('room')) throw new ChatRequestError('give room or with, not both');
          return [200, { with: peer, messages: chat.conversation(peer, { limit, before }) }];
        }
        const room = q.get('room') ?? 'general';
        return [200, { room, messages: chat.history(room, { limit, before }) }];
      },
    },
    { method: 'GET', path: '/chat/conversations', handle: () => [200, { conversations: chat.conversations() }] },
    {
      method: 'POST',
      path: '/chat/read',
      body: { type: 'object', properties: { with: { type: 'string', pattern: NODE_ID_PATTERN } }, required: ['with'], additionalProperties: false },
      handle: async (r) => {
        const peer = (r.body as { with: string }).with;
        return [200, { with: peer, marked: await chat.read(peer) }];
      },
    },
    { method: 'GET', path: '/chat/key', handle: () => [200, { key: chat.chatKey() }] },
  ];
}

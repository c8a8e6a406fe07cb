import type { RouteDef } from '../capability/index.js';
import type { Chat } from './chat.js';
import { HISTORY_MAX_LIMIT, MAX_TEXT_CHARS, ROOM_PATTERN } from './constants.js';
import { ChatRequestError } from './errors.js';

const ROOM = '([a-z0-9][a-z0-9_-]{0,63})';

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
        type: 'object',
        properties: { room: { type: 'string', pattern: ROOM_PATTERN }, text: { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS } },
        required: ['room', 'text'],
        additionalProperties: false,
      },
      handle: async (r) => {
        const { room, text } = r.body as { room: string; text: string };
        return [201, { message: await chat.send(room, text) }];
      },
    },
    {
      method: 'GET',
      path: '/chat/messages',
      handle: (r) => {
        const room = r.url.searchParams.get('room') ?? 'general';
        const limitText = r.url.searchParams.get('limit');
        const limit = limitText === null ? undefined : Number(limitText);
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= HISTORY_MAX_LIMIT)) throw new ChatRequestError(`limit must be an integer 1..${HISTORY_MAX_LIMIT}`);
        const before = r.url.searchParams.get('before') ?? undefined;
        return [200, { room, messages: chat.history(room, { limit, before }) }];
      },
    },
  ];
}

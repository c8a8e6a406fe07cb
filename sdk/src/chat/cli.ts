import type { Command } from 'commander';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { paint, shortId, table } from '../terminal/format.js';
import type { ChatMessage } from './message.js';
import type { ChatRoom } from './repository.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** One history line: time, name with short node ID (a name is a label, not an identity), text. */
export function formatChatLine(m: ChatMessage): string {
  const who = m.name ? `${m.name} (${shortId(m.author)})` : shortId(m.author);
  return `${paint.dim(new Date(m.lamport).toISOString())} ${paint.bold(who)}: ${m.text}`;
}

/** `plexus chat send|history|rooms|join|leave` (they talk to the running node's HTTP API). */
export function registerChatCommands(program: Command): void {
  const chat = program.command('chat').description('chat rooms: send, history, rooms, join, leave');

  withClientOptions(chat.command('send').argument('<room>', 'room name (e.g. general)').argument('<text>', 'the message').description('send a message to a room; it reaches every node')).action(
    async (room: string, text: string, opts: ClientOptions) => {
      const { message } = await (await clientFor(opts)).post<{ message: ChatMessage }>('/chat/messages', { room, text });
      if (opts.json) return out(JSON.stringify(message, null, 2));
      out(`sent ${message.id.slice(0, 12)} to ${room} (lamport ${message.lamport})`);
    },
  );

  withClientOptions(
    chat
      .command('history')
      .argument('<room>', 'room name')
      .option('--limit <n>', 'most messages (the newest)', (v) => Number(v))
      .description("a room's stored messages, oldest first"),
  ).action(async (room: string, opts: ClientOptions & { limit?: number }) => {
    const q = new URLSearchParams({ room });
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const { messages } = await (await clientFor(opts)).get<{ messages: ChatMessage[] }>(`/chat/messages?${q}`);
    if (opts.json) return out(JSON.stringify(messages, null, 2));
    if (messages.length === 0) return out(paint.dim(`(no messages in ${room})`));
    for (const m of messages) out(formatChatLine(m));
  });

  withClientOptions(chat.command('rooms').description('the rooms this node is in')).action(async (opts: ClientOptions) => {
    const { rooms } = await (await clientFor(opts)).get<{ rooms: ChatRoom[] }>('/chat/rooms');
    if (opts.json) return out(JSON.stringify(rooms, null, 2));
    out(table(['ROOM', 'MESSAGES', 'LAST'], rooms.map((r) => [r.room, String(r.messages), r.lastLamport == null ? '-' : new Date(r.lastLamport).toISOString()])));
  });

  withClientOptions(chat.command('join').argument('<room>', 'room name').description('join a room: its messages are stored from now on')).action(async (room: string, opts: ClientOptions) => {
    const r = await (await clientFor(opts)).post<{ joined: boolean }>('/chat/rooms', { room });
    if (opts.json) return out(JSON.stringify(r));
    out(r.joined ? `joined ${room}` : `already in ${room}`);
  });

  withClientOptions(chat.command('leave').argument('<room>', 'room name').description('leave a room (its stored messages stay)')).action(async (room: string, opts: ClientOptions) => {
    const r = await (await clientFor(opts)).delete<{ left: boolean }>(`/chat/rooms/${encodeURIComponent(room)}`);
    if (opts.json) return out(JSON.stringify(r));
    out(r.left ? `left ${room}` : `not in ${room}`);
  });
}

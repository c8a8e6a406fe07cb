import type { Command } from 'commander';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { paint, shortId, table } from '../terminal/format.js';
import type { ChatMessageEvent } from './chat.js';
import type { ChatMarkEvent } from './direct-chat.js';
import type { ChatMessage } from './message.js';
import type { ChatRoom, Conversation, DirectMessage } from './repository.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** A name with its short node ID: a name is a label, not an identity. */
const who = (name: string | null, node: string): string => (name ? `${name} (${shortId(node)})` : shortId(node));

/** The mark of a direct message this node sent: sent, delivered or read. */
export function markOf(m: DirectMessage): string {
  return m.marks.read !== null ? 'read' : m.marks.delivered !== null ? 'delivered' : 'sent';
}

/** One history line: time, name with short node ID, text; a sent direct message ends with its mark. */
export function formatChatLine(m: ChatMessage | DirectMessage): string {
  const mark = 'outgoing' in m && m.outgoing ? ` ${paint.dim(`[${markOf(m)}]`)}` : '';
  return `${paint.dim(new Date(m.lamport).toISOString())} ${paint.bold(who(m.name, m.author))}: ${m.text}${mark}`;
}

const NODE_ID = /^[0-9a-f]{64}$/;

/** `plexus chat send|history|tail|rooms|join|leave|conversations|read` (they talk to the running node's HTTP API). */
export function registerChatCommands(program: Command): void {
  const chat = program.command('chat').description('chat: rooms, end-to-end encrypted direct messages, history, marks');

  withClientOptions(
    chat
      .command('send')
      .argument('[room]', 'room name (e.g. general); leave out with --to')
      .argument('[text]', 'the message')
      .option('--to <node>', 'send a direct message to this node ID (end-to-end encrypted) instead of a room')
      .description('send a message to a room (it reaches every node) or, with --to, to one node')
      .addHelpText('after', '\nExamples:\n  plexus chat send general "hello everyone"\n  plexus chat send --to 3f2a...(64 hex) "hello, just you"'),
  ).action(async (room: string | undefined, text: string | undefined, opts: ClientOptions & { to?: string }) => {
    const client = await clientFor(opts);
    if (opts.to !== undefined) {
      const body = text ?? room;
      if (body === undefined || text !== undefined) throw new Error('with --to, give the text only: plexus chat send --to NODE "text"');
      if (!NODE_ID.test(opts.to)) throw new Error('--to must be a node ID (64 lowercase hex characters; see plexus peers)');
      const { message } = await client.post<{ message: DirectMessage }>('/chat/messages', { to: opts.to, text: body });
      if (opts.json) return out(JSON.stringify(message, null, 2));
      return out(`sent ${message.id.slice(0, 12)} to ${shortId(opts.to)} (lamport ${message.lamport}); delivered when it reaches the node`);
    }
    if (room === undefined || text === undefined) throw new Error('give a room and a text (plexus chat send general "hi"), or --to NODE and a text');
    const { message } = await client.post<{ message: ChatMessage }>('/chat/messages', { room, text });
    if (opts.json) return out(JSON.stringify(message, null, 2));
    out(`sent ${message.id.slice(0, 12)} to ${room} (lamport ${message.lamport})`);
  });

  withClientOptions(
    chat
      .command('history')
      .argument('[room]', 'room name', 'general')
      .option('--with <node>', 'the conversation with this node ID instead of a room')
      .option('--limit <n>', 'most messages (the newest)', (v) => Number(v))
      .description("a room's or a conversation's stored messages, oldest first"),
  ).action(async (room: string, opts: ClientOptions & { limit?: number; with?: string }) => {
    const q = new URLSearchParams(opts.with !== undefined ? { with: opts.with } : { room });
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const { messages } = await (await clientFor(opts)).get<{ messages: (ChatMessage | DirectMessage)[] }>(`/chat/messages?${q}`);
    if (opts.json) return out(JSON.stringify(messages, null, 2));
    if (messages.length === 0) return out(paint.dim(opts.with !== undefined ? `(no messages with ${shortId(opts.with)})` : `(no messages in ${room})`));
    for (const m of messages) out(formatChatLine(m));
  });

  withClientOptions(
    chat
      .command('tail')
      .option('--room <room>', 'only this room')
      .option('--with <node>', 'only the conversation with this node ID')
      .option('--last <n>', 'stored messages to show first (of the room or conversation)', (v) => Number(v), 10)
      .description('follow new messages and marks as they arrive, with names and marks (Ctrl-C stops)'),
  ).action(async (opts: ClientOptions & { room?: string; with?: string; last: number }) => {
    const client = await clientFor(opts);
    if (opts.last > 0) {
      const q = new URLSearchParams(opts.with !== undefined ? { with: opts.with } : { room: opts.room ?? 'general' });
      q.set('limit', String(opts.last));
      for (const m of (await client.get<{ messages: (ChatMessage | DirectMessage)[] }>(`/chat/messages?${q}`)).messages) out(opts.json ? JSON.stringify(m) : formatChatLine(m));
    }
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const wanted = (m: ChatMessageEvent): boolean => {
      if ('room' in m) return opts.with === undefined && (opts.room === undefined || m.room === opts.room);
      return opts.room === undefined && (opts.with === undefined || m.author === opts.with || m.to === opts.with);
    };
    await client
      .events(
        (name, payload) => {
          if (name === 'chat:message' && wanted(payload as ChatMessageEvent)) {
            const m = payload as ChatMessageEvent;
            const where = 'room' in m ? `#${m.room}` : `@${shortId(m.outgoing ? m.to : m.author)}`;
            out(opts.json ? JSON.stringify({ event: name, ...m }) : `${paint.dim(where)} ${formatChatLine(m)}`);
          } else if (name === 'chat:mark') {
            const k = payload as ChatMarkEvent;
            if (opts.room !== undefined || (opts.with !== undefined && k.with !== opts.with)) return;
            out(opts.json ? JSON.stringify({ event: name, ...k }) : paint.dim(`${new Date(k.at).toISOString()} ${k.id.slice(0, 12)} ${k.mark} by ${shortId(k.with)}`));
          }
        },
        abort.signal,
        ['chat:message', 'chat:mark'],
      )
      .catch((err: Error) => {
        if (!abort.signal.aborted) throw err;
      });
  });

  withClientOptions(chat.command('rooms').description('the rooms this node is in')).action(async (opts: ClientOptions) => {
    const { rooms } = await (await clientFor(opts)).get<{ rooms: ChatRoom[] }>('/chat/rooms');
    if (opts.json) return out(JSON.stringify(rooms, null, 2));
    out(table(['ROOM', 'MESSAGES', 'LAST'], rooms.map((r) => [r.room, String(r.messages), r.lastLamport == null ? '-' : new Date(r.lastLamport).toISOString()])));
  });

  withClientOptions(chat.command('conversations').description('direct-message conversations, the most recent first, with unread counts')).action(async (opts: ClientOptions) => {
    const { conversations } = await (await clientFor(opts)).get<{ conversations: Conversation[] }>('/chat/conversations');
    if (opts.json) return out(JSON.stringify(conversations, null, 2));
    if (conversations.length === 0) return out(paint.dim('(no conversations; start one with plexus chat send --to NODE "text")'));
    out(
      table(
        ['WITH', 'MESSAGES', 'UNREAD', 'LAST'],
        conversations.map((c) => [who(c.name, c.with), String(c.messages), String(c.unread), c.last ? new Date(c.last.lamport).toISOString() : '-']),
      ),
    );
  });

  withClientOptions(chat.command('read').argument('<node>', 'node ID of the conversation').description('mark the messages received from a node read (it gets read receipts)')).action(
    async (node: string, opts: ClientOptions) => {
      const r = await (await clientFor(opts)).post<{ marked: number }>('/chat/read', { with: node });
      if (opts.json) return out(JSON.stringify(r));
      out(r.marked === 0 ? 'nothing unread' : `marked ${r.marked} read`);
    },
  );

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

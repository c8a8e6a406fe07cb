import type { Command } from 'commander';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { formatDuration, paint, shortId, table } from '../terminal/format.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** An entry as GET /outbox lists it: the common fields plus its kind's (docs/api.md §5.8). */
type ListedEntry = { id: number; kind: string; key: string; peerAddress: string; createdAt: number; retryCount: number } & Record<string, unknown>;

/** What an entry carries, in a few words: per kind, from the fields its kind adds. */
export function describeEntry(e: ListedEntry): string {
  switch (e.kind) {
    case 'contract':
      return `contract ${shortId(e.key)} seq ${String(e.seq)}`;
    case 'chat-direct':
      return `direct message ${shortId(e.key)}`;
    case 'chat-receipt':
      return `${e.key} receipt`;
    default:
      return shortId(e.key);
  }
}

/** `plexus outbox`: what still waits for a peer's acknowledgement, of every kind. */
export function registerOutboxCommands(program: Command): void {
  withClientOptions(program.command('outbox').description("list what still waits for a peer's acknowledgement (contract versions, direct messages, read receipts)")).action(
    async (opts: ClientOptions) => {
      const { entries } = await (await clientFor(opts)).get<{ entries: ListedEntry[] }>('/outbox');
      if (opts.json) return out(JSON.stringify(entries, null, 2));
      if (entries.length === 0) return out(paint.dim('(outbox empty: every peer has acknowledged everything)'));
      const now = Date.now();
      out(
        table(
          ['ID', 'KIND', 'PEER', 'WHAT', 'WAITING', 'RETRIES'],
          entries.map((e) => [String(e.id), e.kind, e.peerAddress, describeEntry(e), formatDuration(now - e.createdAt), String(e.retryCount)]),
        ),
      );
    },
  );
}

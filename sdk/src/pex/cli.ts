import type { Command } from 'commander';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { shortId, table } from '../terminal/format.js';
import type { KnownAddress } from './exchange.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** `plexus known`: the known set (GET /network/known). */
export function registerPexCommands(program: Command): void {
  withClientOptions(program.command('known').description('list every address the node knows, with its state (connected, candidate, off, banned)')).action(
    async (opts: ClientOptions) => {
      const { entries } = await (await clientFor(opts)).get<{ entries: KnownAddress[] }>('/network/known');
      if (opts.json) return out(JSON.stringify(entries, null, 2));
      const seen = (e: KnownAddress): number | null => Math.max(e.lastSeen ?? 0, e.heard?.lastSeen ?? 0) || null;
      out(
        table(
          ['ADDRESS', 'NODE ID', 'STATE', 'FAILURES', 'LAST SEEN', 'HEARD FROM'],
          entries.map((e) => {
            const id = e.nodeId ?? e.heard?.nodeId ?? null;
            const s = seen(e);
            return [e.address, id ? shortId(id) : '-', e.state, String(e.failures), s ? new Date(s).toISOString() : '-', e.heard ? shortId(e.heard.heardFrom) : '-'];
          }),
        ),
      );
    },
  );
}

import type { Command } from 'commander';
import type { NodeInfo } from '../api/index.js';
import type { PeerInfo } from '../peers/index.js';
import type { BanRecord, PeerRecord } from '../peers/index.js';
import { CHATTY_EVENTS, eventLine, formatDuration, paint, peersTable, shortId, table } from '../terminal/format.js';
import { durationOption } from '../terminal/options.js';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

export function registerClientCommands(program: Command, done: (code: number) => void): void {
  withClientOptions(program.command('info').description("show a running node's identity, addresses and uptime")).action(
    async (opts: ClientOptions) => {
      const info = await (await clientFor(opts)).get<NodeInfo>('/node');
      if (opts.json) return out(JSON.stringify(info, null, 2));
      out(
        table(
          ['FIELD', 'VALUE'],
          [
            ['node ID', info.nodeId],
            ['name', info.name ?? '-'],
            ['version', `${info.version} (protocol ${info.protocolVersion})`],
            ['p2p', info.addresses.p2p ?? '-'],
            ['api', info.addresses.api ?? '-'],
            ['uptime', formatDuration(info.uptimeMs)],
            ['peers', String(info.peerCount)],
          ],
        ),
      );
    },
  );

  withClientOptions(program.command('peers').description('list connected peers with round-trip times')).action(async (opts: ClientOptions) => {
    const { peers } = await (await clientFor(opts)).get<{ peers: PeerInfo[] }>('/network/peers');
    out(opts.json ? JSON.stringify(peers, null, 2) : peersTable(peers));
  });

  withClientOptions(program.command('connect').argument('<host:port>', 'where the other node listens').description('connect to a peer and keep connected')).action(
    async (address: string, opts: ClientOptions) => {
      const { peer } = await (await clientFor(opts)).post<{ peer: PeerInfo }>('/network/connect', { address });
      out(opts.json ? JSON.stringify(peer, null, 2) : `connected to ${shortId(peer.nodeId)}${peer.name ? ` (${peer.name})` : ''} at ${peer.address}`);
    },
  );

  withClientOptions(program.command('disconnect').argument('<nodeId>', 'full node ID of the peer').description('drop a peer and stop redialing it')).action(
    async (nodeId: string, opts: ClientOptions) => {
      await (await clientFor(opts)).delete(`/network/peers/${nodeId}`);
      out(`disconnected ${shortId(nodeId)}`);
    },
  );

  withClientOptions(program.command('address-book').description('list the addresses the node keeps connected')).action(async (opts: ClientOptions) => {
    const { entries } = await (await clientFor(opts)).get<{ entries: PeerRecord[] }>('/network/address-book');
    if (opts.json) return out(JSON.stringify(entries, null, 2));
    out(
      table(
        ['ADDRESS', 'NODE ID', 'AUTO-DIAL', 'FAILURES', 'LAST SEEN'],
        entries.map((e) => [e.address, e.nodeId ? shortId(e.nodeId) : '-', e.autoDial ? 'yes' : 'no', String(e.failures), e.lastSeen ? new Date(e.lastSeen).toISOString() : '-']),
      ),
    );
  });

  withClientOptions(program.command('bans').description('list banned node IDs')).action(async (opts: ClientOptions) => {
    const { bans } = await (await clientFor(opts)).get<{ bans: BanRecord[] }>('/network/bans');
    if (opts.json) return out(JSON.stringify(bans, null, 2));
    out(bans.length ? table(['NODE ID', 'UNTIL', 'REASON'], bans.map((b) => [b.nodeId, new Date(b.until).toISOString(), b.reason])) : paint.dim('(no bans)'));
  });

  withClientOptions(
    program
      .command('ban')
      .argument('<nodeId>', 'full node ID to ban')
      .option('--for <duration>', 'how long (e.g. 30m, 2h, 7d)', durationOption)
      .option('--reason <text>', 'why, shown in the ban list')
      .description('ban a node ID and drop it if connected'),
  ).action(async (nodeId: string, opts: ClientOptions & { for?: number; reason?: string }) => {
    const { ban } = await (await clientFor(opts)).post<{ ban: BanRecord }>('/network/bans', { nodeId, durationMs: opts.for, reason: opts.reason });
    out(`banned ${shortId(ban.nodeId)} until ${new Date(ban.until).toISOString()}`);
  });

  withClientOptions(program.command('unban').argument('<nodeId>', 'full node ID').description('lift a ban')).action(async (nodeId: string, opts: ClientOptions) => {
    await (await clientFor(opts)).delete(`/network/bans/${nodeId}`);
    out(`unbanned ${shortId(nodeId)}`);
  });

  withClientOptions(
    program
      .command('events')
      .option('--types <list>', 'only these event names, comma separated (e.g. peer:connect,peer:dead)')
      .description("follow a running node's events until Ctrl-C"),
  ).action(async (opts: ClientOptions & { types?: string }) => {
    const client = await clientFor(opts);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    await client.events(
      (name, payload) => {
        if (opts.json) out(JSON.stringify({ event: name, payload }));
        else if (!CHATTY_EVENTS.has(name) || opts.types) out(eventLine(name, payload));
      },
      abort.signal,
      opts.types?.split(','),
    );
    done(0);
  });
}

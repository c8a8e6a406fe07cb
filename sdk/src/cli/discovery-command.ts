import type { Command } from 'commander';
import {
  DISCOVERY_CHECK_INTERVAL_MS,
  DISCOVERY_EXPIRY_MS,
  DISCOVERY_HEARTBEAT_MS,
  DISCOVERY_MAX_ENTRIES,
  DISCOVERY_MAX_LIST,
  DISCOVERY_MAX_PER_ADDRESS,
  DISCOVERY_PORT,
} from '../discovery/index.js';
import { discoveryServerInit, PlexusNode } from '../node/index.js';
import { eventLine, formatDuration, paint } from '../terminal/format.js';
import { announceOption, durationOption, portOption, positiveInt } from '../terminal/options.js';

interface DiscoveryOptions {
  port: number;
  host: string;
  announce?: string;
  dataDir?: string;
  heartbeatInterval: number;
  expiry: number;
  checkInterval: number;
  maxEntries: number;
  maxPerAddress: number;
  maxList: number;
  json?: boolean;
  quiet?: boolean;
}

/** `plexus discovery`: run a discovery (bootstrap) server until SIGINT/SIGTERM. */
export function registerDiscoveryCommand(program: Command, done: (code: number) => void): void {
  program
    .command('discovery')
    .description('run a discovery server: nodes started with --discovery HOST:PORT register here and learn each other')
    .option('-p, --port <port>', 'port nodes connect to (WebSocket, path /plexus)', portOption, DISCOVERY_PORT)
    .option('--host <ip>', 'interface to listen on', '127.0.0.1')
    .option('--announce <host:port>', 'address this server is reached at, when it differs from host:port', announceOption)
    .option('-d, --data-dir <dir>', 'folder for the server identity, so its node ID survives restarts (default: a new identity each run)')
    .option('--heartbeat-interval <duration>', 'how often registered nodes are told to heartbeat', durationOption, DISCOVERY_HEARTBEAT_MS)
    .option('--expiry <duration>', 'drop a registration silent for this long', durationOption, DISCOVERY_EXPIRY_MS)
    .option('--check-interval <duration>', 'how often silent registrations are looked for', durationOption, DISCOVERY_CHECK_INTERVAL_MS)
    .option('--max-entries <n>', 'most registrations (then DISCOVERY_FULL)', positiveInt, DISCOVERY_MAX_ENTRIES)
    .option('--max-per-address <n>', 'most registrations from one IP address (then DISCOVERY_ADDRESS_LIMIT)', positiveInt, DISCOVERY_MAX_PER_ADDRESS)
    .option('--max-list <n>', 'most peers in the list a node gets when it registers (a random sample)', positiveInt, DISCOVERY_MAX_LIST)
    .option('--json', 'print events as JSON lines (for scripts)')
    .option('-q, --quiet', 'print only the start banner and errors')
    .addHelpText(
      'after',
      `
A discovery server is a Plexus node that only keeps a registry: it speaks the same WebSocket
protocol and handshake (docs/protocol.md §18), holds no contracts or files, and is never a
peer of the nodes. Nodes stay connected to each other when it stops or dies.

Examples:
  plexus discovery --port 9999 --data-dir ./disc
  plexus node --data-dir ./a --discovery 127.0.0.1:9999
  plexus node --data-dir ./b --discovery 127.0.0.1:9999 --discovery other.example:9999

Events printed: discovery:join, discovery:leave (unregistered, expired, disconnected),
discovery:refused (with its Error code).`,
    )
    .action(async (opts: DiscoveryOptions) => {
      const print = (line: string): void => void process.stdout.write(line + '\n');
      const server = new PlexusNode(
        discoveryServerInit({
          dataDir: opts.dataDir ?? null,
          host: opts.host,
          port: opts.port,
          announceAddress: opts.announce,
          heartbeatMs: opts.heartbeatInterval,
          expiryMs: opts.expiry,
          checkIntervalMs: opts.checkInterval,
          maxEntries: opts.maxEntries,
          maxPerAddress: opts.maxPerAddress,
          maxList: opts.maxList,
        }),
      );
      // Subscribe before start: a node that redials at once registers while the server is still
      // starting, and its discovery:join must not be lost. Held until the banner is printed.
      let early: Array<[string, unknown]> | null = [];
      const onEvent = (event: string, payload: unknown): void => {
        if (early) return void early.push([event, payload]);
        if (opts.json) print(JSON.stringify({ event, at: Date.now(), payload }));
        else if (!opts.quiet && event.startsWith('discovery:')) print(eventLine(event, payload));
        else if (event === 'warning' && !opts.quiet) print(eventLine(event, payload));
      };
      server.onAny(onEvent);
      await server.start();
      const info = server.info();
      if (opts.json) print(JSON.stringify({ event: 'discovery:start', at: Date.now(), payload: { nodeId: info.nodeId, address: info.addresses.p2p } }));
      else {
        print(`${paint.bold('Plexus discovery server')} ${info.nodeId}`);
        print(`  listening  ${info.addresses.p2p}  ${paint.dim(`(ws://${info.addresses.p2p}/plexus)`)}`);
        print(`  heartbeat every ${formatDuration(opts.heartbeatInterval)}, silent nodes dropped after ${formatDuration(opts.expiry)} (checked every ${formatDuration(opts.checkInterval)})`);
        print(`  at most ${opts.maxEntries} registrations, ${opts.maxPerAddress} per IP address`);
        print(paint.dim('Press Ctrl-C to stop.'));
      }
      // discovery:start (above) is the server's node:start.
      const held = (early ?? []).filter(([event]) => event !== 'node:start');
      early = null;
      for (const [event, payload] of held) onEvent(event, payload);
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) process.exit(130);
        stopping = true;
        if (!opts.json) print(paint.dim(`${signal}: stopping...`));
        server.stop().then(
          () => (done(0), finish()),
          (err) => (process.stderr.write(`error while stopping: ${(err as Error).message}\n`), done(1), finish()),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await finished;
    });
}

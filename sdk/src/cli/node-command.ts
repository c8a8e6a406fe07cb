import { type Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { TOKEN_FILE } from '../api/index.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '../heartbeat/index.js';
import { readRunFile } from '../datadir/index.js';
import { chain, type MiningMode } from '../chain/index.js';
import { defaultCapabilities, type DefaultCapabilities, type NodeInit, PlexusNode } from '../node/index.js';
import { MAX_PEERS } from '../peers/index.js';
import { PEX_INTERVAL_MS, TARGET_PEERS } from '../pex/index.js';
import { CHATTY_EVENTS, eventLine, formatDuration, paint, shortId } from '../terminal/format.js';
import { addressOption, announceOption, defaultDataDir, durationOption, portOption, positiveInt, rateOption } from '../terminal/options.js';

interface NodeOptions {
  dataDir: string;
  p2pPort?: number;
  apiPort?: number;
  host: string;
  apiHost: string;
  announce?: string;
  peer?: string[];
  discovery?: string[];
  name?: string;
  maxPeers: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  targetPeers: number;
  pexInterval: number;
  json?: boolean;
  quiet?: boolean;
  uploadRate?: number;
  snubTimeout?: number;
  chain?: boolean;
  mine?: MiningMode | true;
  blockTime?: number;
}

/** `--mine [mode]`: automine or interval. */
function miningMode(value: string): MiningMode {
  if (value !== 'automine' && value !== 'interval') throw new InvalidArgumentError('automine or interval');
  return value;
}

/** The port this data folder's node used last time, so peers' address books stay right. */
async function previousPort(dataDir: string, kind: 'p2p' | 'api'): Promise<number> {
  const run = await readRunFile(dataDir);
  const address = kind === 'p2p' ? run?.p2pAddress : run?.apiUrl;
  return Number(/:(\d+)$/.exec(address ?? '')?.[1] ?? 0);
}

export function registerNodeCommand(program: Command, done: (code: number) => void): void {
  program
    .command('node')
    .description('run a node until Ctrl-C (SIGINT) or SIGTERM, with the HTTP API on 127.0.0.1')
    .option('-d, --data-dir <dir>', 'folder for identity, database and API token', defaultDataDir())
    .option('-p, --p2p-port <port>', 'port for peers; 0 picks a free one (default: the port used last time, else any)', portOption)
    .option('-a, --api-port <port>', 'port of the HTTP API (default: the port used last time, else any)', portOption)
    .option('--host <ip>', 'interface peers connect to', '127.0.0.1')
    .option('--api-host <ip>', 'interface of the HTTP API; keep it on loopback unless you know why', '127.0.0.1')
    .option('--announce <host:port>', 'address announced to peers when it differs from host:port', announceOption)
    .option('--peer <host:port>', 'peer to connect to and keep connected (repeatable)', addressOption)
    .option('--discovery <host:port>', 'discovery server to register with and learn peers from (repeatable)', addressOption)
    .option('-n, --name <name>', 'display name shown to peers')
    .option('--max-peers <n>', 'most connected peers', positiveInt, MAX_PEERS)
    .option('--heartbeat-interval <duration>', 'pause between heartbeat pings (e.g. 5s, 500ms)', durationOption, HEARTBEAT_INTERVAL_MS)
    .option('--heartbeat-timeout <duration>', 'how long a ping waits for its pong before the peer is dead', durationOption, HEARTBEAT_TIMEOUT_MS)
    .option('--target-peers <n>', 'outbound connections kept from the address book (peer exchange)', positiveInt, TARGET_PEERS)
    .option('--pex-interval <duration>', 'pause between peer-exchange rounds (GetAddr to a random peer)', durationOption, PEX_INTERVAL_MS)
    .option('--upload-rate <rate>', 'limit uploads of shared files, per second (e.g. 2MiB, 500KB); default unlimited', rateOption)
    .option('--snub-timeout <duration>', 'drop a download peer that sends nothing for this long', durationOption)
    .option('--chain', 'run the proof-of-work chain (docs/protocol.md §21); mine with plexus mine')
    .option('--mine [mode]', 'run the chain and mine: automine (a block as soon as there are transactions, the default) or interval', miningMode)
    .option('--block-time <duration>', 'with --mine interval: a block every this long', durationOption)
    .option('--json', 'print events as JSON lines (for scripts)')
    .option('-q, --quiet', 'print only the start banner and errors')
    .addHelpText(
      'after',
      `
Examples:
  plexus node --p2p-port 5000 --api-port 8080 --data-dir ./a --name alice
  plexus node --p2p-port 5001 --api-port 8081 --data-dir ./b --peer 127.0.0.1:5000
  plexus node --data-dir ./c --discovery 127.0.0.1:9999      (see plexus discovery --help)

Other commands find this node's API through --data-dir (DIR/node.json, DIR/${TOKEN_FILE}).`,
    )
    .action(async (opts: NodeOptions) => {
      const init: NodeInit = {
        dataDir: opts.dataDir,
        name: opts.name ?? null,
        host: opts.host,
        p2pPort: opts.p2pPort ?? (await previousPort(opts.dataDir, 'p2p')),
        announceAddress: opts.announce,
        peers: opts.peer ?? [],
        maxPeers: opts.maxPeers,
        heartbeat: { intervalMs: opts.heartbeatInterval, timeoutMs: opts.heartbeatTimeout },
        discovery: opts.discovery ?? [],
        pex: { targetPeers: opts.targetPeers, intervalMs: opts.pexInterval },
        transfer: { uploadRateBytesPerSec: opts.uploadRate ?? null, snubTimeoutMs: opts.snubTimeout },
        api: { host: opts.apiHost, port: opts.apiPort ?? (await previousPort(opts.dataDir, 'api')) },
      };
      // The chain is opt-in: the default capabilities plus chain(), when asked for.
      const withChain = (i: NodeInit): NodeInit => {
        if (!opts.chain && opts.mine === undefined) return i;
        const mode: MiningMode = opts.mine === undefined ? 'manual' : opts.mine === true ? 'automine' : opts.mine;
        return { ...i, capabilities: [...defaultCapabilities(i), chain({ mode, blockTimeMs: opts.blockTime })] as unknown as DefaultCapabilities };
      };
      const print = (line: string): void => void process.stdout.write(line + '\n');
      const banner = (): void => {
        const info = node.info();
        if (opts.json) {
          print(JSON.stringify({ event: 'node:start', at: Date.now(), payload: { ...info, dataDir: opts.dataDir } }));
          return;
        }
        print(`${paint.bold('Plexus node')} ${info.nodeId}${info.name ? ` (${info.name})` : ''}`);
        print(`  p2p   ${info.addresses.p2p}  ${paint.dim(`(ws://${info.addresses.p2p}/plexus)`)}`);
        print(`  api   ${info.addresses.api}/api/v1  ${paint.dim(`(token in ${join(opts.dataDir, TOKEN_FILE)})`)}`);
        print(`  data  ${opts.dataDir}`);
        print(`  heartbeat every ${formatDuration(opts.heartbeatInterval)}, a silent peer is dropped within ${formatDuration(node.heartbeat.detectionBoundMs)}`);
        print(paint.dim('Press Ctrl-C to stop.'));
      };
      // Subscribe before start so that nothing emitted while starting is lost; events from
      // before node:start are printed right after the banner.
      let early: Array<[string, unknown]> | null = [];
      const onEvent = (event: string, payload: unknown): void => {
        if (event === 'node:start') {
          banner();
          const held = early ?? [];
          early = null;
          for (const [e, p] of held) onEvent(e, p);
          return;
        }
        if (early) return void early.push([event, payload]);
        if (opts.json) print(JSON.stringify({ event, at: Date.now(), payload }));
        else if (!opts.quiet && !CHATTY_EVENTS.has(event)) print(eventLine(event, payload));
      };
      let node = new PlexusNode(withChain(init));
      node.onAny(onEvent);
      try {
        await node.start();
      } catch (err) {
        // A remembered port that is taken now: fall back to any free port rather than fail.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || opts.p2pPort !== undefined || opts.apiPort !== undefined) throw err;
        process.stderr.write(paint.yellow(`the ports used last time are taken; picking free ones\n`));
        early = [];
        node = new PlexusNode(withChain({ ...init, p2pPort: 0, api: { host: opts.apiHost, port: 0 } }));
        node.onAny(onEvent);
        await node.start();
      }
      const info = node.info();
      let stopping = false;
      let stopped!: () => void;
      const finished = new Promise<void>((resolve) => (stopped = resolve));
      const stop = (signal: string): void => {
        if (stopping) {
          process.stderr.write(`second ${signal}: exiting without a clean stop\n`);
          process.exit(130);
        }
        stopping = true;
        if (!opts.json) print(paint.dim(`${signal}: stopping ${shortId(info.nodeId)}...`));
        node.stop().then(
          () => {
            if (!opts.json) print(paint.dim('stopped cleanly'));
            done(0);
            stopped();
          },
          (err) => {
            process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
            done(1);
            stopped();
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await finished;
    });
}

import { type Command, InvalidArgumentError } from 'commander';
import { PlexusError } from '../errors.js';
import { canonicalBytes } from '../util/canonical.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ApiClient, type NodeInfo } from '../api/index.js';
import type { PeerInfo } from '../peers/index.js';
import type { ContractRecord } from '../contracts/index.js';
import type { ChatMessage, DirectMessage } from '../chat/index.js';
import type { DownloadProgress, ShareInfo } from '../transfer/index.js';
import type { ChainHead, TxStatus } from '../chain/index.js';
import { progressLine } from '../transfer/cli.js';
import { CHATTY_EVENTS, eventLine, formatBytes, paint, peersTable, shortId, sliceVisible, table, visibleLength } from '../terminal/format.js';
import { durationOption, portOption, positiveInt } from '../terminal/options.js';

/** How long node2 may take to receive the token node1 deployed before the demo mints there (ms). */
const CONTRACT_ARRIVAL_MS = 10_000;

interface DevnetOptions {
  contract: boolean;
  file: boolean;
  chat: boolean;
  nodes: number;
  dir: string;
  basePort: number;
  once?: boolean;
  timeout: number;
  chain: boolean;
  mine: 'automine' | 'interval';
  miners: number;
  blockTime: number;
}

/** GET /contracts/{address} of the demo token: `seq` and `stateHash` for a replicated one, `height` (its deploy block) for a chain one. */
type DemoToken = { mode: 'chain' | 'replicated'; state: Record<string, unknown>; seq?: number; stateHash?: string; height?: number };

/** What a node's chain looks like, read from GET /chain/head and its own account. */
interface ChainView {
  head: ChainHead;
  mempool: number;
  balance: number;
}

interface DevNode {
  name: string;
  dataDir: string;
  child: ChildProcess;
  info?: NodeInfo;
  client?: ApiClient;
  peers: PeerInfo[];
  /** This node's copy of the demo token, when there is one: a replicated record, or a chain contract (no seq, its state at this node's head). */
  token?: DemoToken;
  /** This node's chain, when the devnet runs one. */
  chain?: ChainView;
  exited: boolean;
  stderr: string[];
}

/** Path of the `plexus` launcher to start child nodes with. */
function cliPath(): string {
  const candidates = [process.env.PLEXUS_CLI, process.argv[1], join(__dirname, '..', 'bin', 'plexus.js')];
  for (const c of candidates) if (c && existsSync(c) && /plexus(\.js)?$|cli\.js$/.test(c)) return c;
  return join(__dirname, '..', 'bin', 'plexus.js');
}

const DEVNET_HEARTBEAT = ['--heartbeat-interval', '2s', '--heartbeat-timeout', '4s'];
/** Upload limit of devnet nodes, so the file demo takes long enough to watch. */
const DEVNET_UPLOAD_RATE = ['--upload-rate', '4MiB'];
const DEMO_FILE = 'demo-file.bin';
const DEMO_FILE_BYTES = 16 * 1024 * 1024;
const MAX_EVENTS = 10;
/** Coins node1 sends each other node once it has mined its first block (smallest units). */
const CHAIN_FUNDING = 100_000;
/** Events too frequent for the devnet's log. */
const DEVNET_QUIET = new Set(['gossip:message', 'tx:confirmed']);
/** The fee of every demo transfer. */
const CHAIN_FEE = 2;

function miningModeOption(value: string): 'automine' | 'interval' {
  if (value !== 'automine' && value !== 'interval') throw new InvalidArgumentError('automine or interval');
  return value;
}

export function registerDevnetCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('devnet')
    .description('start a local network of nodes on 127.0.0.1 (child processes), connect them and show what each sees')
    .option('--nodes <n>', 'how many nodes', positiveInt, 3)
    .option('--dir <dir>', 'parent of the nodes\' data folders (node1, node2, ...)', '.plexus')
    .option('--base-port <port>', 'node i listens on base+i (peers) and base+100+i (API); 0 takes any free ports', portOption, 47000)
    .option('--once', 'wait until every node sees every other, print the summary and exit (for scripts)')
    .option('--timeout <duration>', 'with --once: give up after this long', durationOption, 60_000)
    .option('--no-contract', 'skip the contract demo (the example token on the chain: deployed by node1, minted and sent by every node at once; replicated and minted by node2 with --no-chain)')
    .option('--no-file', 'skip the file demo (share a file on all but the last node, fetch it on the last from all of them)')
    .option('--no-chat', 'skip the chat demo (two messages in the general room, one end-to-end encrypted direct message)')
    .option('--no-chain', 'run the nodes without the chain (the chain demo: node1 mines, funds every node, then every node sends a transfer at once)')
    .option('--mine <mode>', 'how the miners mine: automine (a block as soon as there are transactions) or interval', miningModeOption, 'automine')
    .option('--miners <n>', 'how many nodes mine (node1, node2, ...); the others only validate and relay', positiveInt, 1)
    .option('--block-time <duration>', 'with --mine interval: a block every this long', durationOption, 2_000)
    .addHelpText('after', '\nWhile it runs, the nodes answer the usual commands, e.g.\n  plexus peers --data-dir .plexus/node1')
    .action(async (opts: DevnetOptions) => {
      setExitCode(await runDevnet(opts));
    });
}

async function runDevnet(opts: DevnetOptions): Promise<number> {
  const dir = resolve(opts.dir);
  const cli = cliPath();
  const nodes: DevNode[] = [];
  const events: string[] = [];
  const log = (line: string): void => {
    events.push(line);
    if (events.length > MAX_EVENTS) events.shift();
    if (!process.stdout.isTTY || opts.once) process.stdout.write(line + '\n');
  };
  let shuttingDown = false;
  const shutdown = async (): Promise<void> => {
    shuttingDown = true;
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((done) => {
            if (n.exited) return done();
            n.child.once('exit', () => done());
            n.child.kill('SIGTERM');
            setTimeout(() => n.child.kill('SIGKILL'), 5_000).unref();
          }),
      ),
    );
  };

  process.stdout.write(`${paint.bold('Plexus devnet')}: ${opts.nodes} nodes on 127.0.0.1, data in ${relative(process.cwd(), dir) || '.'}/\n`);
  try {
    for (let i = 1; i <= opts.nodes; i++) {
      const name = `node${i}`;
      const peerArgs = nodes.flatMap((n) => ['--peer', n.info!.addresses.p2p!]);
      const args = [cli, 'node', '--json', '--data-dir', join(dir, name), '--name', name];
      // Fixed ports keep the nodes' address books right across runs; base 0 takes any free ports.
      const [p2p, api] = opts.basePort === 0 ? [0, 0] : [opts.basePort + i, opts.basePort + 100 + i];
      args.push('--p2p-port', String(p2p), '--api-port', String(api), ...DEVNET_HEARTBEAT, ...DEVNET_UPLOAD_RATE, ...peerArgs);
      if (opts.chain) args.push(...(i <= opts.miners ? ['--mine', opts.mine, ...(opts.mine === 'interval' ? ['--block-time', `${opts.blockTime}ms`] : [])] : ['--chain']));
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const node: DevNode = { name, dataDir: join(dir, name), child, peers: [], exited: false, stderr: [] };
      nodes.push(node);
      await startNode(node, log, () => shuttingDown);
    }
  } catch (err) {
    process.stderr.write(`${paint.red('error')}: ${(err as Error).message}\n`);
    await shutdown();
    return 1;
  }

  // Whatever happens from here on, the child nodes are stopped before we return.
  try {
    let tokenAddress: string | null = null;
    const file: { share?: ShareInfo; sha256?: string; download?: DownloadProgress; verified?: boolean; started?: boolean } = {};
    const fetcher = nodes[nodes.length - 1]!;
    const sharers = nodes.slice(0, -1);
    const refresh = async (): Promise<void> => {
      await Promise.all(
        nodes.map(async (n) => {
          try {
            n.peers = (await n.client!.get<{ peers: PeerInfo[] }>('/network/peers')).peers;
            if (tokenAddress) n.token = (await n.client!.get<{ contract: DemoToken }>(`/contracts/${tokenAddress}`)).contract;
            if (opts.chain) n.chain = await chainView(n);
            if (n === fetcher && file.download) file.download = (await n.client!.get<{ download: DownloadProgress }>(`/downloads/${file.download.id}`)).download;
          } catch {
            if (!n.token) n.peers = [];
          }
        }),
      );
    };
    const nameOf = (nodeId: string): string => nodes.find((n) => n.info?.nodeId === nodeId)?.name ?? shortId(nodeId);
    const render = (): string => {
      const lines: string[] = [];
      for (const n of nodes) {
        const state = n.exited ? paint.red('exited') : paint.green('running');
        lines.push(`${paint.bold(n.name)} ${shortId(n.info!.nodeId)}  p2p ${n.info!.addresses.p2p}  api ${n.info!.addresses.api}  pid ${n.child.pid}  ${state}`);
        const named = n.peers.map((p) => ({ ...p, name: nameOf(p.nodeId) }));
        lines.push(peersTable(named).replace(/^/gm, '    '));
      }
      if (tokenAddress) lines.push('', tokenTable());
      if (file.download) lines.push('', fileView());
      if (talk.room.length > 0) lines.push('', chatView());
      if (opts.chain && nodes.some((n) => n.chain)) lines.push('', chainTable());
      return lines.join('\n');
    };
    /** Every node's copy of the token: version (or, on the chain, a hash of its state at that node's head) and the balance of every node, as that node sees it. */
    const tokenTable = (): string => {
      const header = ['NODE', opts.chain ? 'DEPLOYED IN' : 'SEQ', 'STATE HASH', ...nodes.map((n) => `${n.name} BALANCE`)];
      const rows = nodes.map((n) => {
        const balances = (n.token?.state.balances ?? {}) as Record<string, number>;
        const version = n.token ? (n.token.mode === 'chain' ? `block ${n.token.height}` : String(n.token.seq)) : '-';
        return [n.name, version, n.token ? tokenStateHash(n.token).slice(0, 12) : '(not here)', ...nodes.map((m) => String(balances[m.info!.nodeId] ?? 0))];
      });
      const agree = tokenAgrees() ? paint.green('all nodes agree') : paint.yellow('not in agreement yet');
      const story = opts.chain ? `deployed on the chain by node1, minted and sent by every node at once (${token.confirmed}/${token.txs.length} calls confirmed)` : 'deployed on node1, minted by node2';
      return `${paint.bold('Token')} ${shortId(tokenAddress!)} ${story}: ${agree}\n${table(header, rows).replace(/^/gm, '    ')}`;
    };
    const tokenAgrees = (): boolean => {
      if (tokenAddress === null || !nodes.every((n) => n.token)) return false;
      const first = nodes[0]!.token!;
      if (first.mode === 'replicated') return nodes.every((n) => n.token!.stateHash === first.stateHash && n.token!.seq === first.seq);
      // On the chain: every call confirmed, and the same state at every node's head.
      return token.confirmed === token.txs.length && token.transfersSent && nodes.every((n) => tokenStateHash(n.token!) === tokenStateHash(first));
    };
    /** The fetch on the last node: progress and how much each sharer sent. */
    const fileView = (): string => {
      const d = file.download!;
      const from = d.perPeer
        .filter((p) => p.bytes > 0)
        .map((p) => `${nameOf(p.nodeId)} ${formatBytes(p.bytes)}`)
        .join(', ');
      const state =
        d.status === 'complete'
          ? file.verified
            ? paint.green('complete, SHA-256 matches the original')
            : paint.yellow('complete, checking...')
          : paint.yellow('downloading');
      return (
        `${paint.bold('File')} ${DEMO_FILE} (${formatBytes(d.total)}) shared by ${sharers.map((n) => n.name).join(', ')}, fetched by ${fetcher.name}: ${state}\n` +
        `    ${progressLine(d)}\n    from ${from || '(nobody yet)'}`
      );
    };
    const startFileDemo = async (): Promise<void> => {
      if (!opts.file || nodes.length < 2 || file.started) return;
      file.started = true;
      const path = join(dir, DEMO_FILE);
      if (!existsSync(path) || statSync(path).size !== DEMO_FILE_BYTES) await fsp.writeFile(path, randomBytes(DEMO_FILE_BYTES));
      file.sha256 = createHash('sha256').update(await fsp.readFile(path)).digest('hex');
      for (const n of sharers) file.share = (await n.client!.post<{ file: ShareInfo }>('/files', { path })).file;
      log(`${sharers.map((n) => n.name).join(', ')} share ${DEMO_FILE} (${formatBytes(DEMO_FILE_BYTES)}, ${file.share!.pieces} pieces)`);
      const out = join(fetcher.dataDir, DEMO_FILE);
      await fsp.rm(out, { force: true });
      file.download = (await fetcher.client!.post<{ download: DownloadProgress }>('/downloads', { link: file.share!.link, out })).download;
      log(`${fetcher.name} fetches it from ${sharers.length} peer(s) at once`);
    };
    const fileDone = async (): Promise<boolean> => {
      if (!opts.file || nodes.length < 2) return true;
      if (file.download?.status !== 'complete') return false;
      file.verified ??= createHash('sha256').update(await fsp.readFile(join(fetcher.dataDir, DEMO_FILE))).digest('hex') === file.sha256;
      return file.verified;
    };
    /** The chat demo: node1 and node2 talk in `general`; node1 sends the last node a direct message. */
    const talk: { room: ChatMessage[]; direct?: DirectMessage; roomEverywhere?: boolean; started?: boolean } = { room: [] };
    const chatDone = async (): Promise<boolean> => {
      if (!opts.chat || nodes.length < 2) return true;
      if (!talk.direct) return false;
      const ids = talk.room.map((m) => m.id);
      talk.roomEverywhere = (
        await Promise.all(nodes.map(async (n) => (await n.client!.get<{ messages: ChatMessage[] }>('/chat/messages?room=general')).messages.map((m) => m.id)))
      ).every((have) => ids.every((id) => have.includes(id)));
      const [first, last] = [nodes[0]!, nodes[nodes.length - 1]!];
      talk.direct = (await first.client!.get<{ messages: DirectMessage[] }>(`/chat/messages?with=${last.info!.nodeId}`)).messages.find((m) => m.id === talk.direct!.id) ?? talk.direct;
      return talk.roomEverywhere && talk.direct.marks.delivered !== null;
    };
    const startChatDemo = async (): Promise<void> => {
      if (!opts.chat || nodes.length < 2 || talk.started) return;
      talk.started = true;
      const [first, second, last] = [nodes[0]!, nodes[1]!, nodes[nodes.length - 1]!];
      const say = async (n: DevNode, text: string): Promise<void> => {
        talk.room.push((await n.client!.post<{ message: ChatMessage }>('/chat/messages', { room: 'general', text })).message);
        log(`${paint.dim(n.name)} in #general: ${text}`);
      };
      await say(first, 'hello from node1: the token is deployed');
      await say(second, 'node2 here, minting now');
      // The last node's ChatKey reaches node1 by gossip or catch-up just after they connect.
      const until = Date.now() + CONTRACT_ARRIVAL_MS;
      for (;;) {
        try {
          talk.direct = (await first.client!.post<{ message: DirectMessage }>('/chat/messages', { to: last.info!.nodeId, text: `a private word for ${last.name}` })).message;
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== 'NO_CHAT_KEY' || Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      log(`${paint.dim(first.name)} to ${last.name}, end-to-end encrypted: ${talk.direct.text}`);
    };
    const chatView = (): string => {
      const lines = talk.room.map((m) => `    #general ${m.name} (${shortId(m.author)}): ${m.text}`);
      if (talk.direct) {
        const d = talk.direct;
        const mark = d.marks.read !== null ? 'read' : d.marks.delivered !== null ? 'delivered' : 'sent';
        lines.push(`    @${nameOf(d.to)} ${d.name} (${shortId(d.author)}): ${d.text}  [${mark}]`);
      }
      const reach = talk.roomEverywhere ? paint.green('room messages on every node') : paint.yellow('spreading');
      return `${paint.bold('Chat')}: ${reach}
${lines.join('\n')}`;
    };
    /**
     * The chain demo: node1 mines a block (its reward funds the demo) and sends every other
     * node CHAIN_FUNDING coins; once every node holds them, every node sends the next one a
     * transfer at the same moment, and the miners put them in blocks.
     */
    const coins: { funding: string[]; ring: string[]; started?: boolean; ringStarted?: boolean; confirmed: number; agree?: boolean } = {
      funding: [],
      ring: [],
      confirmed: 0,
    };
    const startChainDemo = async (): Promise<void> => {
      if (!opts.chain || coins.started) return;
      coins.started = true;
      const first = nodes[0]!;
      const mined = await first.client!.post<{ hash: string; height: number }>('/chain/mine', {});
      log(`${paint.dim(first.name)} mined block ${mined.height} ${shortId(mined.hash)} (reward to fund the demo)`);
      for (const n of nodes.slice(1)) {
        const sent = await first.client!.post<TxStatus>('/chain/txs', { to: n.info!.nodeId, amount: CHAIN_FUNDING, fee: CHAIN_FEE });
        coins.funding.push(sent.hash);
        log(`${paint.dim(first.name)} sends ${n.name} ${CHAIN_FUNDING} coins: tx ${shortId(sent.hash)}`);
      }
    };
    const startChainRing = async (): Promise<void> => {
      if (!opts.chain || !coins.started || coins.ringStarted || nodes.length < 2) return;
      if (!nodes.every((n) => (n.chain?.balance ?? 0) >= CHAIN_FUNDING)) return;
      coins.ringStarted = true;
      const sent = await Promise.all(
        nodes.map(async (n, i) => {
          const to = nodes[(i + 1) % nodes.length]!;
          const amount = 1_000 * (i + 1);
          const tx = await n.client!.post<TxStatus>('/chain/txs', { to: to.info!.nodeId, amount, fee: CHAIN_FEE });
          return { tx, line: `${paint.dim(n.name)} sends ${to.name} ${amount} coins: tx ${shortId(tx.hash)}` };
        }),
      );
      for (const s of sent) {
        coins.ring.push(s.tx.hash);
        log(s.line);
      }
    };
    /** Every demo transaction confirmed (as node1 sees them), and every node on the same head and state root with an empty mempool. */
    const chainDone = async (): Promise<boolean> => {
      if (!opts.chain) return true;
      if (!coins.ringStarted && nodes.length > 1) return false;
      const all = [...coins.funding, ...coins.ring];
      const statuses = await Promise.all(all.map((h) => nodes[0]!.client!.get<TxStatus>(`/chain/txs/${h}`).catch(() => null)));
      coins.confirmed = statuses.filter((s) => s?.status === 'confirmed').length;
      // Read the heads after the statuses, so a block that confirmed the last one is in them.
      await Promise.all(nodes.map(async (n) => (n.chain = await chainView(n))));
      coins.agree = chainAgrees();
      return coins.confirmed === all.length && coins.agree;
    };
    const chainAgrees = (): boolean => {
      const head = nodes[0]!.chain?.head;
      return !!head && nodes.every((n) => n.chain && n.chain.head.hash === head.hash && n.chain.head.stateRoot === head.stateRoot && n.chain.mempool === 0);
    };
    const chainTable = (): string => {
      const header = ['NODE', 'HEIGHT', 'HEAD', 'STATE ROOT', 'MEMPOOL', 'BALANCE'];
      const rows = nodes.map((n) => {
        const c = n.chain;
        return c ? [n.name, String(c.head.height), shortId(c.head.hash), shortId(c.head.stateRoot), String(c.mempool), String(c.balance)] : [n.name, '-', '(no chain)', '', '', ''];
      });
      const miners = nodes.slice(0, opts.miners).map((n) => n.name).join(', ');
      const total = coins.funding.length + coins.ring.length;
      const agree = chainAgrees() ? paint.green('same head and state root on every node') : paint.yellow('not in agreement yet');
      return `${paint.bold('Chain')} mined by ${miners} (${opts.mine}), ${coins.confirmed}/${total} demo transfers confirmed: ${agree}\n${table(header, rows).replace(/^/gm, '    ')}`;
    };
    const meshed = (): boolean => nodes.every((n) => n.peers.length === nodes.length - 1 && n.peers.every((p) => p.rttMs !== null));
    const converged = (): boolean => meshed() && (!opts.contract || tokenAgrees());
    /** The chain token demo's calls (mints, then transfers), sent without waiting, and how many node1 has confirmed. */
    const token: { txs: string[]; confirmed: number; transfersSent: boolean } = { txs: [], confirmed: 0, transfersSent: false };
    const startDemo = async (): Promise<void> => {
      if (!opts.contract || nodes.length < 2 || tokenAddress) return;
      const source = findExample('token.js');
      if (!source) {
        log(paint.yellow('examples/contracts/token.js not found here: skipping the contract demo'));
        opts.contract = false;
        return;
      }
      const [first, second] = [nodes[0]!, nodes[1]!];
      if (opts.chain) return startChainToken(source);
      const { contract } = await first.client!.post<{ contract: ContractRecord }>('/contracts', {
        name: 'token',
        source,
        args: ['Devnet Token', 'DEV', [second.info!.nodeId]],
        mode: 'replicated',
      });
      tokenAddress = contract.address;
      log(`${paint.dim(first.name)} deployed token ${shortId(contract.address)}`);
      await arrived(second, contract.address);
      for (const [i, target] of nodes.entries()) {
        const amount = 100 * (i + 1);
        await second.client!.post(`/contracts/${contract.address}/call`, { function: 'mint', args: [target.info!.nodeId, amount] });
        log(`${paint.dim(second.name)} minted ${amount} DEV to ${target.name}`);
      }
    };
    /** Wait until `node` has the contract at `address` (node1's push or a block). */
    const arrived = async (node: DevNode, address: string): Promise<void> => {
      const reached = Date.now() + CONTRACT_ARRIVAL_MS;
      for (;;) {
        const has = await node.client!.get(`/contracts/${address}`).then(
          () => true,
          () => false,
        );
        if (has) return;
        if (Date.now() > reached) throw new PlexusError('CONTRACT_NOT_FOUND', `${node.name} did not receive the token within ${CONTRACT_ARRIVAL_MS} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** A chain call sent without waiting for its block; its hash joins token.txs. */
    const tokenCall = async (n: DevNode, fn: string, args: unknown[]): Promise<void> => {
      const { tx } = await n.client!.post<{ tx: TxStatus }>(`/contracts/${tokenAddress}/call`, { function: fn, args, wait: false });
      token.txs.push(tx.hash);
    };
    /**
     * The token on the chain: node1 deploys it with every node as a minter (and waits for the
     * block); then every node mints to itself at the same moment; once those are confirmed,
     * every node sends the next one some at the same moment. Calls go into blocks in one order
     * that every node re-executes.
     */
    const startChainToken = async (source: string): Promise<void> => {
      const first = nodes[0]!;
      const deployed = await first.client!.post<{ contract: DemoToken & { address: string } | null; tx: TxStatus }>('/contracts', {
        name: 'token',
        source,
        args: ['Devnet Token', 'DEV', nodes.slice(1).map((n) => n.info!.nodeId)],
        mode: 'chain',
      });
      if (!deployed.contract) throw new PlexusError('CONTRACT_NOT_FOUND', `the token's deploy ${shortId(deployed.tx.hash)} was not mined${deployed.tx.receipt?.error ? `: ${deployed.tx.receipt.error.message}` : ''}`);
      tokenAddress = deployed.contract.address;
      log(`${paint.dim(first.name)} deployed token ${shortId(tokenAddress)} on the chain in block ${deployed.tx.receipt!.height}`);
      await Promise.all(nodes.map((n) => arrived(n, tokenAddress!)));
      await Promise.all(nodes.map((n, i) => tokenCall(n, 'mint', [n.info!.nodeId, 100 * (i + 1)])));
      log(`every node mints itself 100 x its number of DEV, all at once (${nodes.length} calls)`);
    };
    /** Once every mint is confirmed: every node sends the next one 10 x its number of DEV, all at once. */
    const startTokenTransfers = async (): Promise<void> => {
      if (!opts.chain || !tokenAddress || token.transfersSent || token.txs.length === 0 || token.confirmed < token.txs.length) return;
      token.transfersSent = true;
      await Promise.all(nodes.map((n, i) => tokenCall(n, 'transfer', [nodes[(i + 1) % nodes.length]!.info!.nodeId, 10 * (i + 1)])));
      log(`every node sends the next one 10 x its number of DEV, all at once (${nodes.length} calls)`);
    };
    /** How many of the token's calls node1 has seen confirmed. */
    const countTokenConfirmed = async (): Promise<void> => {
      if (!opts.chain || token.txs.length === 0) return;
      const statuses = await Promise.all(token.txs.map((h) => nodes[0]!.client!.get<TxStatus>(`/chain/txs/${h}`).catch(() => null)));
      token.confirmed = statuses.filter((st) => st?.status === 'confirmed').length;
    };

    if (opts.once) {
      const deadline = Date.now() + opts.timeout;
      await refresh();
      while (!(converged() && (await fileDone()) && (await chatDone()) && (await chainDone())) && Date.now() < deadline && nodes.every((n) => !n.exited)) {
        await new Promise((r) => setTimeout(r, 250));
        if (meshed()) await startDemo();
        if (meshed()) await startFileDemo();
        if (meshed()) await startChatDemo();
        if (meshed()) await startChainDemo();
        await refresh();
        await countTokenConfirmed();
        await startTokenTransfers();
        await startChainRing();
      }
      const ok = converged() && (await fileDone()) && (await chatDone()) && (await chainDone());
      process.stdout.write('\n' + render() + '\n\n');
      process.stdout.write(
        ok
          ? paint.green(
              `every node sees ${nodes.length - 1} peers with measured round-trip times${opts.contract ? ', holds the same token state' : ''}` +
                `${opts.file && nodes.length > 1 ? `, ${fetcher.name} fetched ${DEMO_FILE} intact from ${sharers.length} peer(s)` : ''}` +
                `${opts.chat && nodes.length > 1 ? `, the room messages reached every node and the direct message was delivered` : ''}` +
                `${opts.chain ? `, and ${coins.confirmed} transfers are confirmed with every node at height ${nodes[0]!.chain!.head.height}, head ${shortId(nodes[0]!.chain!.head.hash)}, state root ${shortId(nodes[0]!.chain!.head.stateRoot)}` : ''}\n`,
            )
          : paint.red(`not converged within ${opts.timeout} ms\n`),
      );
      await shutdown();
      return ok ? 0 : 1;
    }

    process.stdout.write(paint.dim(`Try: plexus peers --data-dir ${relative(process.cwd(), nodes[0]!.dataDir)}   Ctrl-C stops the network.\n`));
    const live = process.stdout.isTTY;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      if (meshed()) await startDemo().catch((err: Error) => log(paint.red(`contract demo failed: ${err.message}`)));
      if (meshed()) await startFileDemo().catch((err: Error) => log(paint.red(`file demo failed: ${err.message}`)));
      if (meshed()) await startChatDemo().catch((err: Error) => log(paint.red(`chat demo failed: ${err.message}`)));
      if (meshed()) await startChainDemo().catch((err: Error) => log(paint.red(`chain demo failed: ${err.message}`)));
      await refresh();
      await countTokenConfirmed().catch(() => undefined);
      await startTokenTransfers().catch((err: Error) => log(paint.red(`contract demo failed: ${err.message}`)));
      await startChainRing().catch((err: Error) => log(paint.red(`chain demo failed: ${err.message}`)));
      if (coins.ringStarted) await chainDone().catch(() => false);
      if (file.download?.status === 'complete') await fileDone();
      if (talk.direct) await chatDone().catch(() => false);
      if (shuttingDown) return;
      if (live) {
        process.stdout.write('\x1b[H\x1b[2J');
        process.stdout.write(`${paint.bold('Plexus devnet')} ${nodes.length} nodes, ${new Date().toISOString().slice(11, 19)}  ${paint.dim('(Ctrl-C to stop)')}\n\n`);
        // Cut to the terminal's width so that nothing wraps and the view stays in place.
        const width = process.stdout.columns || 120;
        const cut = (line: string): string => (visibleLength(line) > width ? sliceVisible(line, width - 1) + '…' : line);
        process.stdout.write([...render().split('\n'), '', paint.bold('Recent events'), ...events].map(cut).join('\n') + '\n');
      }
      timer = setTimeout(() => void tick(), 1000);
    };
    if (!live) {
      await refresh();
      process.stdout.write(render() + '\n');
    }
    await tick();
    await new Promise<void>((resolveStop) => {
      const stop = (): void => {
        clearTimeout(timer);
        process.stdout.write(paint.dim('\nstopping the devnet...\n'));
        void shutdown().then(resolveStop);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  } finally {
    await shutdown();
  }
}

/** A node's head, mempool size and own balance. */
/** A short fingerprint of a token copy: the replicated record's state hash, or SHA-256 of the chain contract's state (canonical JSON). */
function tokenStateHash(t: DemoToken): string {
  return t.stateHash ?? createHash('sha256').update(canonicalBytes(t.state)).digest('hex');
}

async function chainView(n: DevNode): Promise<ChainView> {
  const [head, account] = await Promise.all([
    n.client!.get<{ head: ChainHead; mempool: number }>('/chain/head'),
    n.client!.get<{ balance: number }>(`/chain/accounts/${n.info!.nodeId}`),
  ]);
  return { head: head.head, mempool: head.mempool, balance: account.balance };
}

/** Wait for a child node's `node:start` line and then stream its events into the log. */
function startNode(node: DevNode, log: (line: string) => void, shuttingDown: () => boolean): Promise<void> {
  return new Promise((resolveStart, rejectStart) => {
    let started = false;
    const lines = createInterface({ input: node.child.stdout! });
    createInterface({ input: node.child.stderr! }).on('line', (line) => {
      node.stderr.push(line);
      if (started && !shuttingDown()) log(`${paint.dim(node.name)} ${paint.red(line)}`);
    });
    lines.on('line', (line) => {
      let message: { event: string; payload: Record<string, unknown> };
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.event === 'node:start' && !started) {
        started = true;
        node.info = message.payload as unknown as NodeInfo;
        void ApiClient.fromDataDir(node.dataDir).then((client) => {
          node.client = client;
          log(`${paint.dim(node.name)} started ${shortId(node.info!.nodeId)} on ${node.info!.addresses.p2p}`);
          resolveStart();
        }, rejectStart);
        return;
      }
      if (message.event !== 'node:stop' && !CHATTY_EVENTS.has(message.event) && !DEVNET_QUIET.has(message.event)) log(`${paint.dim(node.name)} ${eventLine(message.event, message.payload)}`);
    });
    node.child.once('exit', (code, signal) => {
      node.exited = true;
      if (!started) rejectStart(new Error(`${node.name} exited (${signal ?? code}) before starting:\n${node.stderr.join('\n')}`));
      else if (!shuttingDown()) log(`${node.name} ${paint.red(`exited (${signal ?? code})`)}`);
    });
  });
}

/** The source of an example contract, from ./examples or the repository this CLI runs from. */
function findExample(file: string): string | null {
  for (const dir of [join(process.cwd(), 'examples', 'contracts'), join(__dirname, '..', '..', 'examples', 'contracts')]) {
    const path = join(dir, file);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  return null;
}

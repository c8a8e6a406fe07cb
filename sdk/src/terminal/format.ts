import type { PeerInfo } from '../peers/index.js';

const useColor = (stream: NodeJS.WriteStream): boolean => stream.isTTY === true && !process.env.NO_COLOR;
export const paint = {
  on: useColor(process.stdout),
  dim: (s: string): string => (paint.on ? `\x1b[2m${s}\x1b[22m` : s),
  bold: (s: string): string => (paint.on ? `\x1b[1m${s}\x1b[22m` : s),
  green: (s: string): string => (paint.on ? `\x1b[32m${s}\x1b[39m` : s),
  red: (s: string): string => (paint.on ? `\x1b[31m${s}\x1b[39m` : s),
  yellow: (s: string): string => (paint.on ? `\x1b[33m${s}\x1b[39m` : s),
  cyan: (s: string): string => (paint.on ? `\x1b[36m${s}\x1b[39m` : s),
};

/** First 12 hex characters of a node ID, enough to tell nodes apart by eye. */
export function shortId(nodeId: string): string {
  return nodeId.slice(0, 12);
}

/** "250ms", "1.5s", "2m 03s", "1h 04m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Parse "500", "500ms", "30s", "10m", "2h", "1d" into ms.
 * @throws Error with a readable message for anything else.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (examples: 500ms, 30s, 10m, 2h, 1d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Characters a terminal shows for `line` (colour codes take no room). */
export function visibleLength(line: string): number {
  return line.replace(ANSI, '').length;
}

/** The first `width` visible characters of a line, keeping its colour codes (then reset). */
export function sliceVisible(line: string, width: number): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < line.length && seen < width; ) {
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += line[i++];
    seen++;
  }
  return out + '\x1b[0m';
}

/** "1.5 MiB", "640 KiB", "12 B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A plain text table with aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('  ').trimEnd();
  return [paint.bold(line(headers)), ...rows.map(line)].join('\n');
}

export function peersTable(peers: PeerInfo[], now = Date.now()): string {
  if (peers.length === 0) return paint.dim('(no peers connected)');
  return table(
    ['NODE ID', 'NAME', 'ADDRESS', 'DIR', 'RTT', 'CONNECTED', 'LAST SEEN'],
    peers.map((p) => [
      shortId(p.nodeId),
      p.name ?? '-',
      p.address,
      p.direction === 'inbound' ? 'in' : 'out',
      p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)}ms`,
      formatDuration(now - p.connectedAt),
      `${formatDuration(now - p.lastSeen)} ago`,
    ]),
  );
}

/** Events too frequent for a human log (progress ticks, every piece); --json still has them. */
export const CHATTY_EVENTS: ReadonlySet<string> = new Set(['transfer:progress', 'transfer:piece', 'pex:addresses']);

/** One human line for a node event, as `plexus node` and `plexus events` print them. */
export function eventLine(event: string, payload: unknown, at = new Date()): string {
  const p = payload as Record<string, unknown>;
  const time = paint.dim(at.toISOString().slice(11, 23));
  const id = typeof p.nodeId === 'string' ? shortId(p.nodeId) : '';
  let text: string;
  switch (event) {
    case 'peer:connect':
      text = `${paint.green('peer:connect')}    ${id} ${p.name ?? ''} ${p.address} (${p.direction})`;
      break;
    case 'peer:disconnect':
      text = `${paint.yellow('peer:disconnect')} ${id} ${p.address} code ${p.code}${p.reason ? ` (${p.reason})` : ''}`;
      break;
    case 'peer:dead':
      text = `${paint.red('peer:dead')}       ${id} ${p.address} ${p.reason}, silent ${formatDuration(Number(p.silentForMs))}`;
      break;
    case 'peer:dial-failed':
      text = `${paint.yellow('peer:dial-failed')} ${p.address} ${p.code}${p.retryInMs === null ? ', giving up' : `, retry in ${formatDuration(Number(p.retryInMs))}`}`;
      break;
    case 'contract:new':
    case 'contract:update': {
      const from = p.from ? `from ${shortId(String(p.from))}` : 'here';
      const where = p.mode === 'chain' ? `${p.reorg ? 'reorg to' : 'in'} block ${p.blockHeight}` : `seq ${p.seq}`;
      text = `${paint.cyan(event.padEnd(15))} ${shortId(String(p.address))} ${p.name} ${where} (${from})`;
      break;
    }
    case 'contract:removed':
      text = `${paint.yellow('contract:removed')} ${shortId(String(p.address))} ${p.name}: a reorg to block ${p.blockHeight} undid its deploy`;
      break;
    case 'contract:sync':
      text = `${paint.cyan('contract:sync')}   ${id} ${p.full ? 'full' : 'incremental'}: ${p.received} received, ${p.applied} applied, ${p.bytes} bytes in ${p.ms}ms`;
      break;
    case 'outbox:delivered':
      text = `${paint.green('outbox:delivered')} ${shortId(String(p.contractAddress))} to ${p.peerAddress} (attempt ${p.attempts})`;
      break;
    case 'outbox:dropped':
      text = `${paint.red('outbox:dropped')} ${shortId(String(p.contractAddress))} for ${p.peerAddress} after ${p.retryCount} attempts: ${p.lastError}`;
      break;
    case 'transfer:share':
      text = `${paint.cyan('transfer:share')}  ${p.name} ${formatBytes(Number(p.size))} ${shortId(String(p.fileId))}`;
      break;
    case 'transfer:start':
      text = `${paint.cyan('transfer:start')}  ${p.name} ${formatBytes(Number(p.total))} -> ${p.outPath}`;
      break;
    case 'transfer:complete':
      text = `${paint.green('transfer:complete')} ${p.name} ${formatBytes(Number(p.total))} in ${formatDuration(Number(p.ms))} from ${(p.perPeer as unknown[]).length} peer(s)`;
      break;
    case 'transfer:recovered':
      text = `${paint.yellow('transfer:recovered')} ${p.blocks} blocks of lost peer ${id} re-requested in ${p.rerequestMs}ms, received in ${p.recoveryMs}ms`;
      break;
    case 'transfer:snubbed':
      text = `${paint.yellow('transfer:snubbed')} ${id}: ${p.blocks} blocks reassigned`;
      break;
    case 'transfer:bad-piece':
      text = `${paint.red('transfer:bad-piece')} piece ${p.piece} failed its hash; fetching it again`;
      break;
    case 'transfer:bad-peer':
      text = `${paint.red('transfer:bad-peer')} ${id} sent ${p.blocks} corrupt block(s) of piece ${p.piece}`;
      break;
    case 'node:stop':
      text = `${paint.dim('node:stop')}       ${id}`;
      break;
    case 'warning':
      text = `${paint.yellow('warning')} ${p.code}: ${p.message}${id ? ` (${id})` : ''}`;
      break;
    default:
      text = `${paint.cyan(event)} ${JSON.stringify(payload)}`;
  }
  return `${time} ${text}`;
}

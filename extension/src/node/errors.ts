/**
 * Errors a person can act on: each failure the extension reports is turned into a sentence
 * that says what happened and what to do, with the buttons that do it. The codes are the
 * SDK's stable codes (docs/api.md §4.3) plus the extension's own (below).
 */

/** A node that could not be started, attached or reached. `code` is stable. */
export class NodeStartError extends Error {
  readonly code: 'PORT_IN_USE' | 'NODE_START_FAILED' | 'EXTERNAL_NODE_UNREACHABLE' | 'DATA_DIR_IN_USE';
  /** Last lines the node process printed on stderr, when it was a process of ours. */
  readonly log: string;
  constructor(code: NodeStartError['code'], message: string, log = '') {
    super(message);
    this.code = code;
    this.log = log;
  }
}

/** A button under an error message: its title and the command it runs. */
export interface ErrorAction {
  title: string;
  command: string;
  args?: unknown[];
}

export interface Explained {
  message: string;
  actions: ErrorAction[];
}

const SHOW_LOG: ErrorAction = { title: 'Show Log', command: 'plexus.showLog' };

interface CodedError {
  code?: string;
  message?: string;
}

/**
 * The 1-based line of `source` a CONTRACT_THREW message points at, or null.
 * The sandbox reports `the contract threw Name: message` without a position (SDK change
 * wanted: the line and column of the throw); the line is found by looking for the message's
 * text in the source, preferring a line with `throw` on it.
 */
export function threwLine(source: string, message: string): number | null {
  const m = /threw \w*:\s*(.+)$/s.exec(message);
  const text = m?.[1]?.trim();
  if (!text) return null;
  const lines = source.split('\n');
  let fallback: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes(text)) continue;
    if (/\bthrow\b/.test(line)) return i + 1;
    fallback ??= i + 1;
  }
  return fallback;
}

/** Context that makes a message precise: the contract involved, the function, the address dialed. */
export interface ErrorContext {
  contract?: { name: string; source?: string };
  fn?: string;
  address?: string;
}

/** Turn any error from the node, the API or the supervisor into words and buttons. */
export function explain(err: unknown, ctx: ErrorContext = {}): Explained {
  const e = (err ?? {}) as CodedError;
  const code = e.code ?? '';
  const text = e.message ?? String(err);
  const what = ctx.contract ? `${ctx.contract.name}${ctx.fn ? `.${ctx.fn}` : ''}` : 'The contract';
  switch (code) {
    case 'PORT_IN_USE':
      return { message: `${text} Pick another port in the settings (0 picks a free one).`, actions: [{ title: 'Open Settings', command: 'workbench.action.openSettings', args: ['plexus'] }, SHOW_LOG] };
    case 'NODE_START_FAILED':
    case 'DATA_DIR_IN_USE':
      return { message: text, actions: [SHOW_LOG, { title: 'Retry', command: 'plexus.startNode' }] };
    case 'EXTERNAL_NODE_UNREACHABLE':
      return { message: text, actions: [{ title: 'Open Settings', command: 'workbench.action.openSettings', args: ['plexus.externalNode'] }] };
    case 'NODE_UNREACHABLE':
    case 'NODE_NOT_RUNNING':
    case 'NOT_STARTED':
      return { message: `The Plexus node is not running or does not answer (${text}).`, actions: [{ title: 'Start Node', command: 'plexus.startNode' }, SHOW_LOG] };
    case 'DIAL_FAILED':
    case 'HANDSHAKE_TIMEOUT':
    case 'CONNECTION_CLOSED':
      return { message: `Peer ${ctx.address ?? ''} is unreachable: ${text}. Check that its node is running and that the address and port are right.`.replace('Peer  is', 'The peer is'), actions: [] };
    case 'SELF_CONNECTION':
      return { message: `${ctx.address ?? 'That address'} is this node's own address: connect to another node's peer port.`, actions: [] };
    case 'INVALID_ADDRESS':
      return { message: `${text}. Enter the peer as HOST:PORT, e.g. 127.0.0.1:5000.`, actions: [] };
    case 'INVALID_CHAT_INPUT':
      return { message: text, actions: [] };
    case 'NO_CHAT_KEY':
      return { message: `This node does not know that node's key for direct messages yet (${text}). Keys spread when nodes connect: connect to it, or to a peer that has seen it, and try again.`, actions: [{ title: 'Connect to Peer', command: 'plexus.connectPeer' }] };
    case 'BANNED':
      return { message: `The peer refused the connection because one side bans the other (${text}).`, actions: [] };
    case 'CONTRACT_THREW': {
      const line = ctx.contract?.source ? threwLine(ctx.contract.source, text) : null;
      const thrown = text.replace(/^the contract threw /, '');
      return { message: `${what} threw ${thrown}${line ? ` (line ${line})` : ''}.`, actions: [] };
    }
    case 'CONTRACT_OUT_OF_GAS':
      return { message: `${what} ran out of gas: ${text.replace(/^the call /, 'it ')}. Look for an endless loop or split the work into smaller calls.`, actions: [] };
    case 'CONTRACT_TIMEOUT':
      return { message: `${what} ran too long: ${text.replace(/^the call /, 'it ')}. Look for an endless loop or split the work into smaller calls.`, actions: [] };
    case 'CONTRACT_OUT_OF_MEMORY':
    case 'CONTRACT_STACK_OVERFLOW':
    case 'CONTRACT_INVALID_RESULT':
    case 'CONTRACT_TOO_LARGE':
    case 'CONTRACT_INVALID_SOURCE':
    case 'CONTRACT_INVALID_ARGS':
    case 'CONTRACT_FUNCTION_NOT_FOUND':
      return { message: `${what}: ${text} (${code}).`, actions: [] };
    default:
      return { message: code ? `${text} (${code})` : text, actions: [] };
  }
}

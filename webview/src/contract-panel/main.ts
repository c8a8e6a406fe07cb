/**
 * The contract panel (one per contract), like Remix's "Deploy & Run": each function as a
 * small form (JSON arguments, Call) with its result or error under it, the state live, and
 * the versions this window has seen; for a chain contract, its mode and deploy block and its
 * calls (pending, then confirmed in block N with result or error and gas) instead of versions:
 * a call from a form is a transaction, shown pending until the host pushes its confirmation.
 * Built with @vscode-elements/elements, which follow the
 * workbench theme (light, dark, high contrast) through VS Code's CSS variables.
 *
 * Talks to the host only through webview/src/protocol.ts: `ready` first, then `call`
 * requests; the host pushes `contract` whenever the contract changes.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { $, custom, el } from '../dom';
import type { ContractPanelPushes, ContractPanelRequests, PanelCall, PanelContract, PanelVersion, WebviewMessage } from '../protocol';
import { connectHost } from '../rpc';

const { vscode, request } = connectHost<ContractPanelRequests, ContractPanelPushes>((push) => {
  if (push.event === 'contract') render(push.body);
});
const notify = (message: WebviewMessage): void => vscode.postMessage(message);

const short = (id: string): string => id.slice(0, 12);
const time = (ms: number): string => new Date(ms).toLocaleTimeString();

/** JSON with spans for keys, strings, numbers and literals (colours from the theme). */
function highlight(value: unknown): HTMLElement {
  const pre = el('pre', { class: 'json' });
  const json = JSON.stringify(value, null, 2) ?? 'undefined';
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (let m = re.exec(json); m; m = re.exec(json)) {
    pre.append(json.slice(last, m.index));
    if (m[1]) {
      pre.append(el('span', { class: m[2] ? 'key' : 'string' }, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3]) pre.append(el('span', { class: 'literal' }, m[3]));
    else pre.append(el('span', { class: 'number' }, m[4]!));
    last = m.index + m[0].length;
  }
  pre.append(json.slice(last));
  return pre;
}

/** Function forms survive re-renders (a push comes with every change): typed arguments, last outcome, and the chain transaction it waits for. */
const forms = new Map<string, { args: string; outcome: Node[]; pending: string | null }>();
let current: PanelContract | null = null;
/** The chain calls of the last push, by transaction hash. */
let callsByHash = new Map<string, PanelCall>();

const argsText = (args: unknown[]): string => args.map((a) => JSON.stringify(a)).join(', ');

/** A confirmed call's outcome: `→ 11 · confirmed in block 12 · gas 3`, or its error. */
function confirmedOutcome(c: PanelCall): Node[] {
  if (c.outcome === 'ok') return [el('span', { class: 'ok' }, '→ '), el('span', { class: 'result' }, JSON.stringify(c.result)), el('span', { class: 'meta' }, ` · confirmed in block ${c.height} · gas ${c.gasUsed}`)];
  return [el('span', { class: 'error', title: c.error?.code ?? '' }, `failed in block ${c.height}: ${c.error?.code}: ${c.error?.message}`), el('span', { class: 'meta' }, ` · gas ${c.gasUsed}, fee paid, state unchanged`)];
}

function functionForm(fn: { name: string; params: string }): HTMLElement {
  const saved = forms.get(fn.name) ?? { args: '', outcome: [], pending: null };
  forms.set(fn.name, saved);
  const waited = saved.pending ? callsByHash.get(saved.pending) : undefined;
  if (waited?.status === 'confirmed') {
    saved.outcome = confirmedOutcome(waited);
    saved.pending = null;
  }
  const field = custom('vscode-textfield', { placeholder: fn.params ? `[${fn.params}]` : 'no arguments', 'data-fn': fn.name, class: 'args' }) as HTMLElement & { value: string };
  field.value = saved.args;
  field.addEventListener('input', () => (saved.args = field.value));
  const button = custom('vscode-button', { 'data-call': fn.name }, 'Call') as HTMLElement & { disabled: boolean };
  const outcome = el('div', { class: 'outcome', 'data-outcome': fn.name }, ...saved.outcome);
  /** Show in whichever form for this function is on screen now (a push may have re-rendered it). */
  const show = (...nodes: Node[]): void => {
    saved.outcome = nodes;
    document.querySelector(`[data-outcome="${fn.name}"]`)?.replaceChildren(...nodes.map((n) => n.cloneNode(true)));
  };
  const call = async (): Promise<void> => {
    let args: unknown[];
    try {
      const text = field.value.trim();
      const parsed: unknown = text ? JSON.parse(text) : [];
      args = Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      show(el('span', { class: 'error' }, `Arguments are not JSON: ${(err as Error).message}`));
      return;
    }
    button.disabled = true;
    try {
      const res = await request('call', { fn: fn.name, args });
      if (res.tx) {
        const known = callsByHash.get(res.tx.hash);
        saved.pending = known?.status === 'confirmed' ? null : res.tx.hash;
        if (known?.status === 'confirmed') show(...confirmedOutcome(known));
        else show(el('span', { class: 'pending' }, '⏳ pending'), el('span', { class: 'meta' }, ` · transaction ${short(res.tx.hash)} waits for a block`));
        return;
      }
      show(
        el('span', { class: 'ok' }, '→ '),
        el('span', { class: 'result' }, JSON.stringify(res.result)),
        el('span', { class: 'meta' }, res.changed ? ` · state changed (v${res.seq}) · gas ${res.gasUsed}` : ` · view, nothing changed · gas ${res.gasUsed}`),
      );
    } catch (err) {
      const e = err as { code: string; message: string };
      show(el('span', { class: 'error', title: e.code }, e.message));
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => void call());
  field.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') void call();
  });
  const row = el('div', { class: 'fn' }, el('span', { class: 'fn-name' }, fn.name), field, button);
  return el('div', { class: 'fn-wrap' }, row, outcome);
}

function renderHistory(history: PanelVersion[]): HTMLElement {
  const list = el('div', { class: 'history' });
  for (const v of history) {
    const item = custom('vscode-collapsible', { title: `Version ${v.seq}`, description: `${time(v.updatedAt)} · by ${v.by}` });
    item.append(highlight(v.state));
    list.append(item);
  }
  if (history.length === 0) list.append(el('p', { class: 'muted' }, 'No version seen yet.'));
  return list;
}

/** The calls of a chain contract: pending first, then confirmed, newest block first. */
function renderCalls(calls: PanelCall[]): HTMLElement {
  const list = el('div', { class: 'calls' });
  for (const c of calls) {
    const status =
      c.status === 'pending'
        ? el('span', { class: 'status pending' }, 'pending')
        : el('span', { class: `status ${c.outcome === 'ok' ? 'ok' : 'error'}` }, c.outcome === 'ok' ? `block ${c.height}` : `failed · block ${c.height}`);
    const detail =
      c.status === 'pending'
        ? el('span', { class: 'meta' }, `fee ${c.fee} · ${short(c.hash)}`)
        : c.outcome === 'ok'
          ? el('span', { class: 'meta' }, `→ ${JSON.stringify(c.result)} · gas ${c.gasUsed}`)
          : el('span', { class: 'error', title: c.error?.message ?? '' }, `${c.error?.code} · gas ${c.gasUsed}`);
    list.append(el('div', { class: `call ${c.status}`, 'data-hash': c.hash, title: `transaction ${c.hash}` }, status, el('span', { class: 'call-name' }, `${c.method}(${argsText(c.args)})`), detail, el('span', { class: 'by' }, c.own ? 'this window' : c.by)));
  }
  if (calls.length === 0) list.append(el('p', { class: 'muted' }, 'No call seen yet: a call from a form above is a transaction, pending until a block includes it.'));
  return list;
}

function render(body: ContractPanelPushes['contract']): void {
  const root = $('#root');
  const { contract, history, calls } = body;
  callsByHash = new Map(calls.map((c) => [c.hash, c]));
  if (!contract) {
    root.replaceChildren(el('p', { class: 'muted' }, body.nodeRunning ? 'This contract is not known to the node.' : 'The Plexus node is not running. Start it with "Plexus: Start Node".'));
    return;
  }
  const chain = contract.mode === 'chain';
  const changed = current !== null && current.address === contract.address && (current.seq !== contract.seq || current.lastBlock !== contract.lastBlock);
  current = contract;
  const badge = chain
    ? custom('vscode-badge', { variant: 'default', title: 'chain contract: calls are transactions ordered in blocks', class: 'mode' }, 'chain')
    : custom('vscode-badge', { variant: 'counter', title: 'version (state changes since deploy)' }, `v${contract.seq}`);
  const header = el(
    'header',
    {},
    el('h1', {}, contract.name, ' ', badge),
    el('div', { class: 'address', title: 'contract address' }, contract.address),
    el(
      'div',
      { class: 'muted' },
      chain
        ? `on the chain · deployed in block ${contract.deployBlock} by ${contract.deployedBy} · state as of block ${contract.lastBlock}`
        : `replicated · last change ${time(contract.updatedAt ?? 0)} by ${contract.updatedBy} · deployed by ${contract.deployedBy}`,
    ),
  );
  const open = custom('vscode-button', { secondary: '', id: 'open-record' }, 'Open Record');
  open.addEventListener('click', () => void request('openRecord', undefined));
  header.append(el('div', { class: 'actions' }, open));

  const fns = custom('vscode-collapsible', { title: 'Functions', open: '', description: `${contract.functions.length}` });
  fns.append(...contract.functions.map((f) => functionForm(f)));
  const stateBox = el('div', { class: `state${changed ? ' flash' : ''}`, id: 'state' }, highlight(contract.state));
  const state = custom('vscode-collapsible', { title: 'State', open: '', description: chain ? `block ${contract.lastBlock}` : `live · v${contract.seq}` }, stateBox);
  const pending = calls.filter((c) => c.status === 'pending').length;
  const tail = chain
    ? custom('vscode-collapsible', { title: 'Calls', open: '', description: pending ? `${pending} pending · ${calls.length}` : `${calls.length}` }, renderCalls(calls))
    : custom('vscode-collapsible', { title: 'Version history', open: '', description: `${history.length} seen` }, renderHistory(history));
  root.replaceChildren(header, fns, state, tail);
  vscode.setState({ address: contract.address });
  const rows = calls.map((c) => ({ hash: c.hash, status: c.status, text: document.querySelector(`[data-hash="${c.hash}"]`)?.textContent ?? '' }));
  notify({ req: -1, command: 'rendered', args: { address: contract.address, seq: contract.seq, stateText: stateBox.textContent ?? '', mode: contract.mode, calls: rows } });
}

void request('ready', undefined);

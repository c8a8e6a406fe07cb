/**
 * The contract panel (one per contract), like Remix's "Deploy & Run": each function as a
 * small form (JSON arguments, Call) with its result or error under it, the state live, and
 * the versions this window has seen. Built with @vscode-elements/elements, which follow the
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
import type { ContractPanelPushes, ContractPanelRequests, PanelContract, PanelVersion, WebviewMessage } from '../protocol';
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

/** Function forms survive re-renders (a push comes with every change): typed arguments and last outcome. */
const forms = new Map<string, { args: string; outcome: Node[] }>();
let current: PanelContract | null = null;

function functionForm(fn: { name: string; params: string }): HTMLElement {
  const saved = forms.get(fn.name) ?? { args: '', outcome: [] };
  forms.set(fn.name, saved);
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

function render(body: ContractPanelPushes['contract']): void {
  const root = $('#root');
  const { contract, history } = body;
  if (!contract) {
    root.replaceChildren(el('p', { class: 'muted' }, body.nodeRunning ? 'This contract is not known to the node.' : 'The Plexus node is not running. Start it with "Plexus: Start Node".'));
    return;
  }
  const changed = current !== null && current.address === contract.address && current.seq !== contract.seq;
  current = contract;
  const header = el(
    'header',
    {},
    el('h1', {}, contract.name, ' ', custom('vscode-badge', { variant: 'counter', title: 'version (state changes since deploy)' }, `v${contract.seq}`)),
    el('div', { class: 'address', title: 'contract address' }, contract.address),
    el('div', { class: 'muted' }, `last change ${time(contract.updatedAt)} by ${contract.updatedBy} · deployed by ${short(contract.deployer)}`),
  );
  const open = custom('vscode-button', { secondary: '', id: 'open-record' }, 'Open Record');
  open.addEventListener('click', () => void request('openRecord', undefined));
  header.append(el('div', { class: 'actions' }, open));

  const fns = custom('vscode-collapsible', { title: 'Functions', open: '', description: `${contract.functions.length}` });
  fns.append(...contract.functions.map((f) => functionForm(f)));
  const stateBox = el('div', { class: `state${changed ? ' flash' : ''}`, id: 'state' }, highlight(contract.state));
  const state = custom('vscode-collapsible', { title: 'State', open: '', description: `live · v${contract.seq}` }, stateBox);
  const hist = custom('vscode-collapsible', { title: 'Version history', open: '', description: `${history.length} seen` }, renderHistory(history));
  root.replaceChildren(header, fns, state, hist);
  vscode.setState({ address: contract.address });
  notify({ req: -1, command: 'rendered', args: { address: contract.address, seq: contract.seq, stateText: stateBox.textContent ?? '' } });
}

void request('ready', undefined);

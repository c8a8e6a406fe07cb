/**
 * Contract panels: one webview panel per contract (ContractPanels.open reveals an existing
 * one). The host renders the HTML shell with a strict CSP (`default-src 'none'`, a fresh nonce
 * per render) that loads only webview/dist/contract-panel.{js,css}; `localResourceRoots` is
 * that folder alone. Messages follow webview/src/protocol.ts: the host waits for `ready`
 * before posting, answers `call` requests, and pushes `contract` on every change of the
 * contract (model events) and, for a chain contract, of its calls (ContractCalls: a call sent
 * here is pending until its `tx:confirmed`). The panel keeps its context when hidden.
 */
import * as vscode from 'vscode';
import type { ContractPanelPushes, PanelCall, PanelContract, RenderedNotice, Reply, Request, WebviewMessage } from '../../../webview/src/protocol';
import { readConfig } from '../config';
import type { ContractCall, ContractCalls } from '../contracts/calls';
import { paramsOf } from '../contract-source';
import type { Contract, NodeModel } from '../node/model';
import { explain } from '../node/errors';
import type { NodeSupervisor } from '../node/supervisor';
import { shortId } from '../views/format';
import { webviewHtml, webviewRoot } from './webview-html';

export const CONTRACT_PANEL_VIEW_TYPE = 'plexus.contractPanel';

/** What a panel's webview last reported as rendered (for tests and diagnostics): address, version (null on the chain), state text, and the chain calls' rows. */
export type RenderedState = RenderedNotice['args'];

export class ContractPanels implements vscode.Disposable {
  readonly #panels = new Map<string, ContractPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly supervisor: NodeSupervisor,
    private readonly model: NodeModel,
    private readonly calls: ContractCalls,
  ) {}

  /** Open (or reveal) the panel of the contract at `address`; resolves once its webview is ready. */
  async open(address: string): Promise<ContractPanel> {
    let panel = this.#panels.get(address);
    if (panel) {
      panel.reveal();
    } else {
      panel = new ContractPanel(this.extensionUri, this.supervisor, this.model, this.calls, address, () => this.#panels.delete(address));
      this.#panels.set(address, panel);
    }
    await panel.ready;
    return panel;
  }

  /** Re-create a panel VS Code restored after a reload (its webview state holds the address). */
  restore(existing: vscode.WebviewPanel, address: string | undefined): void {
    if (!address || this.#panels.has(address)) return existing.dispose();
    this.#panels.set(address, new ContractPanel(this.extensionUri, this.supervisor, this.model, this.calls, address, () => this.#panels.delete(address), existing));
  }

  get(address: string): ContractPanel | undefined {
    return this.#panels.get(address);
  }

  dispose(): void {
    for (const p of [...this.#panels.values()]) p.dispose();
  }
}

export class ContractPanel implements vscode.Disposable {
  readonly #panel: vscode.WebviewPanel;
  readonly #subscriptions: vscode.Disposable[] = [];
  readonly ready: Promise<void>;
  #markReady!: () => void;
  #isReady = false;
  #disposed = false;
  readonly #onDidRender = new vscode.EventEmitter<RenderedState>();
  /** The webview rendered a contract push: what it shows. */
  readonly onDidRender = this.#onDidRender.event;
  lastRendered: RenderedState | null = null;

  constructor(
    extensionUri: vscode.Uri,
    private readonly supervisor: NodeSupervisor,
    private readonly model: NodeModel,
    private readonly calls: ContractCalls,
    readonly address: string,
    onDispose: () => void,
    existing?: vscode.WebviewPanel,
  ) {
    const root = webviewRoot(extensionUri);
    const record = model.contract(address);
    const title = record ? `${record.name} · contract` : `Contract ${shortId(address)}`;
    if (existing) {
      this.#panel = existing;
      existing.webview.options = { enableScripts: true, localResourceRoots: [root] };
      existing.title = title;
    } else {
      this.#panel = vscode.window.createWebviewPanel(CONTRACT_PANEL_VIEW_TYPE, title, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [root],
        retainContextWhenHidden: true,
      });
    }
    this.#panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'plexus.svg');
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#subscriptions.push(
      this.#panel.webview.onDidReceiveMessage((m: WebviewMessage) => void this.#onMessage(m)),
      this.#panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
      model.onDidChangeContract((changed) => {
        if (changed === null || changed === address) this.#push();
      }),
      supervisor.onDidChangeState(() => this.#push()),
      calls.onDidChange((changed) => changed === address && this.#push()),
    );
    this.#panel.webview.html = webviewHtml(this.#panel.webview, root, 'contract-panel', 'Contract');
  }

  reveal(): void {
    this.#panel.reveal();
  }

  /** Node ID -> `this node`, a peer's name, or the short ID. */
  #names(): (nodeId: string) => string {
    const names = new Map(this.model.peers().map((p) => [p.nodeId, p.name ?? shortId(p.nodeId)]));
    if (this.model.info) names.set(this.model.info.nodeId, 'this node');
    return (id) => names.get(id) ?? shortId(id);
  }

  /** The record in the protocol's shape. */
  #toPanel(r: Contract, name: (nodeId: string) => string): PanelContract {
    const base = { address: r.address, name: r.name, functions: r.functions.filter((f) => f !== 'init').map((fn) => ({ name: fn, params: paramsOf(r.source, fn) })), state: r.state, deployer: r.deployer, deployedBy: name(r.deployer) };
    if (r.mode === 'chain') return { ...base, mode: 'chain', seq: null, version: null, updatedAt: null, updatedBy: null, deployBlock: r.height, lastBlock: this.model.lastBlock(r.address) ?? r.height };
    return { ...base, mode: 'replicated', seq: r.seq, version: r.version, updatedAt: r.updatedAt, updatedBy: name(r.version.nodeId), deployBlock: null, lastBlock: null };
  }

  #toCall(c: ContractCall, name: (nodeId: string) => string): PanelCall {
    const r = c.receipt;
    return { hash: c.hash, method: c.method, args: c.args, by: name(c.from), fee: c.fee, own: c.own, status: c.status, height: r?.height ?? null, outcome: r?.status ?? null, result: r?.result ?? null, gasUsed: r?.gasUsed ?? null, error: r?.error ?? null };
  }

  #push(): void {
    if (!this.#isReady || this.#disposed) return;
    const record = this.model.contract(this.address);
    if (record) this.#panel.title = `${record.name} · contract`;
    const name = this.#names();
    const body: ContractPanelPushes['contract'] = {
      contract: record ? this.#toPanel(record, name) : null,
      history: record?.mode === 'chain' ? [] : this.model.history(this.address).map((v) => ({ seq: v.seq, updatedAt: v.updatedAt, by: name(v.by), stateHash: v.stateHash, state: v.state })),
      calls: record?.mode === 'chain' ? this.calls.of(this.address).map((c) => this.#toCall(c, name)) : [],
      nodeRunning: this.supervisor.state === 'running',
    };
    void this.#panel.webview.postMessage({ event: 'contract', body });
  }

  async #onMessage(message: WebviewMessage): Promise<void> {
    if (message.command === 'rendered') {
      this.lastRendered = message.args;
      this.#onDidRender.fire(message.args);
      return;
    }
    const reply = (r: Omit<Reply, 'seq'>): void => void this.#panel.webview.postMessage({ seq: message.req, ...r } satisfies Reply);
    const req = message as Request;
    switch (req.command) {
      case 'ready':
        reply({ res: null });
        this.#isReady = true;
        this.#push();
        this.#markReady();
        return;
      case 'openRecord':
        await vscode.commands.executeCommand('plexus.openContract', this.address);
        return reply({ res: null });
      case 'call': {
        const client = this.supervisor.client;
        const record = this.model.contract(this.address);
        if (!client || !record) return reply({ err: { code: 'NODE_NOT_RUNNING', message: 'The Plexus node is not running.' } });
        try {
          if (record.mode === 'chain') {
            // A transaction, pending at once; its confirmation comes with tx:confirmed (ContractCalls).
            const res = await client.callOnChain(this.address, req.args.fn, req.args.args, { fee: readConfig().contracts.fee, wait: false });
            if (res.tx) this.calls.track(res.tx);
            return reply({ res: { result: res.result, changed: res.changed, seq: null, gasUsed: res.gasUsed, tx: res.tx ? { hash: res.tx.hash } : null } });
          }
          const res = await client.call(this.address, req.args.fn, req.args.args);
          if (res.mode === 'chain') throw new Error('the contract moved to the chain');
          if (res.changed) await this.model.refreshContract(this.address);
          return reply({ res: { result: res.result, changed: res.changed, seq: res.seq, gasUsed: res.gasUsed, tx: null } });
        } catch (err) {
          return reply({ err: { code: (err as { code?: string }).code ?? 'ERROR', message: explain(err, { contract: record, fn: req.args.fn }).message } });
        }
      }
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidRender.dispose();
    this.#panel.dispose();
  }
}

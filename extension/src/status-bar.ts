import * as vscode from 'vscode';
import type { NodeModel } from './node/model';
import type { NodeSupervisor } from './node/supervisor';

/**
 * The status bar item: the node's state and peer count, refreshed from supervisor and model
 * events (never polled). Clicking it focuses the Network view.
 */
export class NodeStatusBar implements vscode.Disposable {
  readonly #item: vscode.StatusBarItem;
  readonly #subscriptions: vscode.Disposable[];

  constructor(
    private readonly supervisor: NodeSupervisor,
    private readonly model: NodeModel,
  ) {
    this.#item = vscode.window.createStatusBarItem('plexus.node', vscode.StatusBarAlignment.Left, 10);
    this.#item.name = 'Plexus Node';
    this.#item.command = 'plexus.network.focus';
    this.#subscriptions = [supervisor.onDidChangeState(() => this.refresh()), model.onDidChangePeers(() => this.refresh()), model.onDidChangeNode(() => this.refresh())];
    this.refresh();
    this.#item.show();
  }

  refresh(): void {
    const item = this.#item;
    item.backgroundColor = undefined;
    switch (this.supervisor.state) {
      case 'starting':
        item.text = '$(sync~spin) Plexus: starting';
        item.tooltip = 'The Plexus node is starting';
        return;
      case 'stopped':
        item.text = '$(circle-slash) Plexus: stopped';
        item.tooltip = 'The Plexus node is not running. Run "Plexus: Start Node".';
        return;
      case 'failed':
        item.text = '$(error) Plexus: failed';
        item.tooltip = `The Plexus node is not running: ${this.supervisor.error?.message ?? 'unknown error'}`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
      case 'running': {
        const count = this.model.peers().length;
        const info = this.model.info ?? this.supervisor.info;
        item.text = `$(radio-tower) Plexus: ${count} ${count === 1 ? 'peer' : 'peers'}`;
        item.tooltip = new vscode.MarkdownString(
          `**Plexus node** \`${info?.nodeId.slice(0, 12) ?? ''}\`${this.supervisor.mode === 'spawned' ? '' : ` (${this.supervisor.mode})`}\n\nListening on \`${info?.addresses.p2p ?? 'nothing'}\`, ${count} connected ${count === 1 ? 'peer' : 'peers'}\n\nClick to show the Network view`,
        );
      }
    }
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#item.dispose();
  }
}

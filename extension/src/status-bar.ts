import * as vscode from 'vscode';
import type { PlexusNode } from '@plexus/sdk';

/**
 * The status bar item: the embedded node's state and peer count, refreshed from node
 * events (never polled). Clicking it runs "Plexus: Show Node Info".
 */
export class NodeStatusBar implements vscode.Disposable {
  readonly #item: vscode.StatusBarItem;
  readonly #node: PlexusNode;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(node: PlexusNode) {
    this.#node = node;
    this.#item = vscode.window.createStatusBarItem('plexus.node', vscode.StatusBarAlignment.Left, 10);
    this.#item.name = 'Plexus Node';
    this.#item.command = 'plexus.showNodeInfo';
    const refresh = (): void => this.refresh();
    for (const event of ['peer:connect', 'peer:disconnect', 'node:start', 'node:stop'] as const) {
      node.on(event, refresh);
      this.#unsubscribe.push(() => node.off(event, refresh));
    }
    this.refresh();
    this.#item.show();
  }

  /** Show an error state, e.g. when the node failed to start. */
  showError(message: string): void {
    this.#item.text = '$(error) Plexus: stopped';
    this.#item.tooltip = `The Plexus node is not running: ${message}`;
    this.#item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
  }

  refresh(): void {
    const node = this.#node;
    this.#item.backgroundColor = undefined;
    switch (node.state) {
      case 'starting':
        this.#item.text = '$(sync~spin) Plexus: starting';
        this.#item.tooltip = 'The Plexus node is starting';
        return;
      case 'stopping':
      case 'stopped':
        this.#item.text = '$(circle-slash) Plexus: stopped';
        this.#item.tooltip = 'The Plexus node is not running';
        return;
      case 'running': {
        const count = node.peers().length;
        this.#item.text = `$(radio-tower) Plexus: ${count} ${count === 1 ? 'peer' : 'peers'}`;
        this.#item.tooltip = new vscode.MarkdownString(
          `**Plexus node** \`${node.nodeId.slice(0, 12)}\`\n\nListening on \`${node.p2pAddress ?? 'nothing'}\`, ${count} connected ${count === 1 ? 'peer' : 'peers'}`,
        );
      }
    }
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    this.#item.dispose();
  }
}

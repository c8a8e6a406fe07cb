import * as vscode from 'vscode';
import type { NodeInfo } from '@plexus/sdk';
import type { NodeMode, SupervisorState } from '../node/supervisor';
import { DetailItem } from './detail-item';
import { shortId } from './format';

const STATE_ICON: Record<SupervisorState, [string, string]> = {
  running: ['vm-running', 'testing.iconPassed'],
  starting: ['loading~spin', ''],
  stopped: ['vm-outline', 'disabledForeground'],
  failed: ['error', 'testing.iconFailed'],
};

/** This node: name, short ID, addresses and state; its details as children. */
export class NodeItem extends vscode.TreeItem {
  readonly kind = 'node';
  constructor(
    readonly info: NodeInfo | null,
    readonly state: SupervisorState,
    readonly mode: NodeMode | null,
    readonly pid: number | null,
  ) {
    super(info ? (info.name ?? 'This node') : 'This node', info ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = 'node';
    const [icon, color] = STATE_ICON[state];
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.description = info ? `${shortId(info.nodeId)} · ${state}` : state;
    this.contextValue = info ? 'node' : 'node:stopped';
    if (info) {
      this.tooltip = new vscode.MarkdownString(
        `**${info.name ?? 'This node'}** (${state}, ${mode})\n\n\`${info.nodeId}\`\n\npeers: \`${info.addresses.p2p ?? '-'}\` · API: \`${info.addresses.api ?? '-'}\``,
      );
    }
  }

  children(): DetailItem[] {
    const info = this.info;
    if (!info) return [];
    const how = this.mode === 'spawned' ? 'own process' : this.mode === 'attached' ? "another window's node" : 'external node';
    return [
      new DetailItem('Node ID', info.nodeId, 'key'),
      new DetailItem('Peer address', info.addresses.p2p ?? 'not listening', 'radio-tower'),
      new DetailItem('API', info.addresses.api ?? '-', 'globe'),
      new DetailItem('State', `${this.state} · ${how}${this.pid ? ` · pid ${this.pid}` : ''}`, 'pulse'),
    ];
  }
}

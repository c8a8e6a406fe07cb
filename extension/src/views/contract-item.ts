import * as vscode from 'vscode';
import type { ContractRecord } from '@plexus/sdk';
import { contractUri } from '../documents/contract-document';
import { formatTime, shortId } from './format';

/** A contract: name and address; click opens its record read-only (plexus-contract:). */
export class ContractItem extends vscode.TreeItem {
  readonly kind = 'contract';
  constructor(readonly record: ContractRecord) {
    super(record.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `contract:${record.address}`;
    this.description = `${shortId(record.address)} · v${record.seq}`;
    this.iconPath = new vscode.ThemeIcon('symbol-class');
    this.contextValue = 'contract';
    this.tooltip = new vscode.MarkdownString(
      `**${record.name}** \`${record.address}\`\n\nversion ${record.seq}, last changed ${formatTime(record.updatedAt)} by \`${shortId(record.version.nodeId)}\`\n\ndeployed by \`${shortId(record.deployer)}\``,
    );
    this.command = { command: 'vscode.open', title: 'Open Contract', arguments: [contractUri(record)] };
  }
}

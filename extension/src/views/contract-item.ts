import * as vscode from 'vscode';
import { contractUri } from '../documents/contract-document';
import type { Contract } from '../node/model';
import { formatTime, shortId } from './format';

/**
 * A contract: name, mode and address; click opens its record read-only (plexus-contract:).
 * A chain contract shows the block of its last change seen here (`chain · block 12`), a
 * replicated one its version (`replicated · v3`).
 */
export class ContractItem extends vscode.TreeItem {
  readonly kind = 'contract';
  constructor(
    readonly record: Contract,
    lastBlock?: number,
  ) {
    super(record.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `contract:${record.address}`;
    if (record.mode === 'chain') {
      this.description = `chain · block ${lastBlock ?? record.height} · ${shortId(record.address)}`;
      this.iconPath = new vscode.ThemeIcon('link');
      this.tooltip = new vscode.MarkdownString(
        `**${record.name}** \`${record.address}\`\n\non the chain: deployed in block ${record.height}${lastBlock !== undefined && lastBlock !== record.height ? `, last changed in block ${lastBlock}` : ''}; its calls are transactions\n\ndeployed by \`${shortId(record.deployer)}\``,
      );
    } else {
      this.description = `replicated · v${record.seq} · ${shortId(record.address)}`;
      this.iconPath = new vscode.ThemeIcon('symbol-class');
      this.tooltip = new vscode.MarkdownString(
        `**${record.name}** \`${record.address}\`\n\nreplicated: version ${record.seq}, last changed ${formatTime(record.updatedAt)} by \`${shortId(record.version.nodeId)}\`\n\ndeployed by \`${shortId(record.deployer)}\``,
      );
    }
    this.contextValue = 'contract';
    this.command = { command: 'vscode.open', title: 'Open Contract', arguments: [contractUri(record)] };
  }
}

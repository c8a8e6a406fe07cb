import * as vscode from 'vscode';
import type { BlockSummary } from '@plexus/sdk';
import { formatTime, shortId } from './format';

/** A main-chain block: `#height`, its hash, transaction count, miner and time; expands to its transactions. */
export class BlockItem extends vscode.TreeItem {
  readonly kind = 'block';
  constructor(
    readonly block: BlockSummary,
    /** The miner as the view names it ("this node", a peer's name, or a short ID). */
    readonly minerName: string,
  ) {
    super(`#${block.height}`, block.txs > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `block:${block.hash}`;
    this.description = `${shortId(block.hash)} · ${block.txs} ${block.txs === 1 ? 'tx' : 'txs'} · ${minerName} · ${formatTime(block.time)}`;
    this.tooltip = new vscode.MarkdownString(
      `**Block #${block.height}**\n\nhash \`${block.hash}\`\n\nminer ${minerName} \`${block.miner}\`\n\nstate root \`${block.stateRoot}\`\n\n${block.txs} transaction(s), ${new Date(block.time).toISOString()}`,
    );
    this.iconPath = new vscode.ThemeIcon('package');
    this.contextValue = 'block';
  }
}

import * as vscode from 'vscode';
import type { Transaction } from '@plexus/sdk';
import type { MempoolEntry } from '../chain/model';
import { shortId } from './format';

/**
 * A transaction: one of a block's (the whole transaction) or one waiting in the mempool (its
 * summary, §6.38). `name` turns a node ID into what the view shows for it.
 */
export class TxItem extends vscode.TreeItem {
  readonly kind = 'tx';
  constructor(
    readonly tx: Transaction | MempoolEntry,
    name: (nodeId: string) => string,
    readonly status: 'confirmed' | 'pending',
  ) {
    super(TxItem.#label(tx, name), vscode.TreeItemCollapsibleState.None);
    const from = tx.from;
    const parts = [`from ${name(from)}`, `nonce ${tx.nonce}`, `fee ${tx.fee}`];
    if ('hash' in tx) parts.push(shortId(tx.hash));
    this.description = parts.join(' · ');
    this.tooltip = `${status} ${tx.kind} from ${from}, nonce ${tx.nonce}, fee ${tx.fee}${'hash' in tx ? `\nhash ${tx.hash}` : ''}`;
    this.iconPath = new vscode.ThemeIcon(status === 'pending' ? 'watch' : 'arrow-swap');
    this.contextValue = `tx:${status}`;
  }

  static #label(tx: Transaction | MempoolEntry, name: (nodeId: string) => string): string {
    if (tx.kind === 'transfer' && typeof tx.to === 'string') return `${tx.amount} coins → ${name(tx.to)}`;
    if ('method' in tx) return `call ${tx.method}`;
    return tx.kind;
  }
}

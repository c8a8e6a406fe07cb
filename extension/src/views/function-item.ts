import * as vscode from 'vscode';
import type { Contract } from '../node/model';

/** An exported function of a contract; inline Call (contextValue "contractFunction"). */
export class FunctionItem extends vscode.TreeItem {
  readonly kind = 'function';
  constructor(
    readonly record: Contract,
    readonly fn: string,
  ) {
    super(fn, vscode.TreeItemCollapsibleState.None);
    this.id = `fn:${record.address}:${fn}`;
    this.iconPath = new vscode.ThemeIcon('symbol-method');
    this.contextValue = 'contractFunction';
    this.tooltip = `Call ${record.name}.${fn}(…)`;
    this.command = { command: 'plexus.callContractFunction', title: 'Call', arguments: [this] };
  }
}

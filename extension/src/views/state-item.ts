import * as vscode from 'vscode';
import { formatValue } from './format';

/** One member of a contract's JSON state; objects and arrays expand into their members. */
export class StateItem extends vscode.TreeItem {
  readonly kind = 'state';
  constructor(
    readonly path: string,
    key: string,
    readonly value: unknown,
  ) {
    const nested = value !== null && typeof value === 'object' && Object.keys(value).length > 0;
    super(key, nested ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `state:${path}`;
    this.description = nested ? (Array.isArray(value) ? `[${value.length}]` : `{${Object.keys(value as object).length}}`) : formatValue(value);
    this.tooltip = `${key} = ${JSON.stringify(value, null, 2)}`;
    this.iconPath = new vscode.ThemeIcon(nested ? 'symbol-object' : typeof value === 'number' ? 'symbol-number' : typeof value === 'string' ? 'symbol-string' : 'symbol-boolean');
    this.contextValue = 'contractState';
  }

  children(): StateItem[] {
    const v = this.value;
    if (v === null || typeof v !== 'object') return [];
    return Object.entries(v as Record<string, unknown>).map(([k, child]) => new StateItem(`${this.path}/${k}`, Array.isArray(v) ? `[${k}]` : k, child));
  }
}

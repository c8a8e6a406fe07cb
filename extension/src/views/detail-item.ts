import * as vscode from 'vscode';

/** A "label: value" row under a node, peer or contract; copyable through its context menu. */
export class DetailItem extends vscode.TreeItem {
  readonly kind = 'detail';
  constructor(
    label: string,
    readonly value: string,
    icon?: string,
  ) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.description = value;
    this.tooltip = `${label}: ${value}`;
    this.contextValue = 'detail';
    if (icon) this.iconPath = new vscode.ThemeIcon(icon);
  }
}

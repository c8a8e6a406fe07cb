import * as vscode from 'vscode';

/** A heading that groups rows: "Peers", "Shared", "Downloads", "Functions", "State". */
export class GroupItem<T> extends vscode.TreeItem {
  readonly kind = 'group';
  constructor(
    groupId: string,
    label: string,
    readonly children: () => T[],
    init: { icon?: string; description?: string; empty?: string; expanded?: boolean } = {},
  ) {
    super(label, init.expanded === false ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
    this.description = init.description;
    if (init.icon) this.iconPath = new vscode.ThemeIcon(init.icon);
    this.id = groupId;
    this.contextValue = `group:${groupId}`;
  }
}

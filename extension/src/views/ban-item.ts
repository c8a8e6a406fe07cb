import * as vscode from 'vscode';
import type { BanRecord } from '@plexus/sdk';
import { formatTime, shortId } from './format';

/** A banned node ID (GET /network/bans, docs/api.md §5.4); inline Unban (contextValue "ban"). */
export class BanItem extends vscode.TreeItem {
  readonly kind = 'ban';
  constructor(
    readonly ban: BanRecord,
    /** Its name, when the known set or the peers know one. */
    name: string | null,
  ) {
    super(name ?? shortId(ban.nodeId), vscode.TreeItemCollapsibleState.None);
    this.id = `ban:${ban.nodeId}`;
    this.description = `${name ? `${shortId(ban.nodeId)} · ` : ''}until ${formatTime(ban.until)} · ${ban.reason}`;
    this.iconPath = new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconFailed'));
    this.contextValue = 'ban';
    this.tooltip = new vscode.MarkdownString(`**Banned** \`${ban.nodeId}\`\n\nsince ${formatTime(ban.bannedAt)} until ${formatTime(ban.until)}\n\nreason: ${ban.reason}`);
  }
}

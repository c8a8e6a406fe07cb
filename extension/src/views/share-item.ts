import * as vscode from 'vscode';
import type { ShareInfo } from '@plexus/sdk';
import { formatBytes, shortId } from './format';

/** A file this node shares; its link is one click away (Copy Link). */
export class ShareItem extends vscode.TreeItem {
  readonly kind = 'share';
  constructor(readonly share: ShareInfo) {
    super(share.name, vscode.TreeItemCollapsibleState.None);
    this.id = `share:${share.fileId}`;
    this.description = `${formatBytes(share.size)} · ${shortId(share.fileId)}`;
    this.iconPath = new vscode.ThemeIcon('cloud-upload');
    this.contextValue = 'share';
    this.tooltip = new vscode.MarkdownString(`**${share.name}** (${formatBytes(share.size)}, ${share.pieces} pieces)\n\n${share.path}\n\n\`${share.link}\``);
    this.resourceUri = vscode.Uri.file(share.path);
  }
}

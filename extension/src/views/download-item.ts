import * as vscode from 'vscode';
import type { DownloadProgress } from '@plexus/sdk';
import { formatBytes } from './format';

/** A download with its progress; a completed one opens its file on click. */
export class DownloadItem extends vscode.TreeItem {
  readonly kind = 'download';
  constructor(readonly download: DownloadProgress) {
    super(download.name, vscode.TreeItemCollapsibleState.None);
    this.id = `download:${download.id}`;
    const d = download;
    const pct = d.total ? Math.floor((d.bytes / d.total) * 100) : 100;
    if (d.status === 'complete') {
      this.description = `${formatBytes(d.total)} · complete`;
      this.iconPath = new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
      this.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(d.outPath)] };
    } else {
      this.description = `${pct}% of ${formatBytes(d.total)} · ${formatBytes(d.rate)}/s · ${d.activePeers}/${d.peers} peers`;
      this.iconPath = new vscode.ThemeIcon(d.status === 'stopped' ? 'debug-pause' : 'cloud-download');
    }
    this.contextValue = `download:${d.status}`;
    this.tooltip = `${d.outPath}\n${d.pieces}/${d.piecesTotal} pieces verified, ${formatBytes(d.bytes)} of ${formatBytes(d.total)}`;
  }
}

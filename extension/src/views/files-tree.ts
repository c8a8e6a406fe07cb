import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';
import { DownloadItem } from './download-item';
import { GroupItem } from './group-item';
import { ShareItem } from './share-item';

export type FilesElement = GroupItem<ShareItem | DownloadItem> | ShareItem | DownloadItem;

/** Time between two redraws while downloads report progress (every 250 ms each) (ms). */
export const FILES_REDRAW_MS = 500;

/** The Files view: shared files and downloads with progress. */
export class FilesTreeProvider implements vscode.TreeDataProvider<FilesElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<FilesElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];
  #redraw: NodeJS.Timeout | null = null;

  constructor(private readonly model: NodeModel) {
    this.#subscriptions = [model.onDidChangeFiles(() => this.#scheduleRefresh()), model.onDidChangeNode(() => this.refresh())];
  }

  refresh(): void {
    this.#onDidChangeTreeData.fire(undefined);
  }

  /** Progress events come 4 times a second per download: redraw at most every FILES_REDRAW_MS. */
  #scheduleRefresh(): void {
    if (this.#redraw) return;
    this.#redraw = setTimeout(() => {
      this.#redraw = null;
      this.refresh();
    }, FILES_REDRAW_MS);
  }

  getTreeItem(element: FilesElement): vscode.TreeItem {
    return element;
  }

  getChildren(element?: FilesElement): FilesElement[] {
    if (!element) {
      if (!this.model.connected) return [];
      const shares = this.model.shares().map((s) => new ShareItem(s));
      const downloads = this.model.downloads().map((d) => new DownloadItem(d));
      if (shares.length === 0 && downloads.length === 0) return []; // the welcome view offers Share and Download
      return [
        new GroupItem('shared', 'Shared', () => shares, { icon: 'cloud-upload', description: String(shares.length) }),
        new GroupItem('downloads', 'Downloads', () => downloads, { icon: 'cloud-download', description: String(downloads.length) }),
      ];
    }
    if (element instanceof GroupItem) return element.children();
    return [];
  }

  dispose(): void {
    if (this.#redraw) clearTimeout(this.#redraw);
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChangeTreeData.dispose();
  }
}

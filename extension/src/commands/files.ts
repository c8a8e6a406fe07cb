import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { DownloadProgress, ShareInfo } from '@plexus/sdk';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import { formatBytes } from '../views/format';
import type { ShareItem } from '../views/share-item';
import { reportError, requireClient } from './report';

/** The file name a link carries (`dn=`), else null. */
export function nameFromLink(link: string): string | null {
  const m = /[?&]dn=([^&]+)/.exec(link);
  return m ? decodeURIComponent(m[1]!.replace(/\+/g, ' ')) : null;
}

/** Share File, Download File, Copy Link. */
export function registerFileCommands(supervisor: NodeSupervisor, model: NodeModel): vscode.Disposable[] {
  return [
    /** Share `uri` (explorer), or a file picked in a dialog. Resolves with the share. */
    vscode.commands.registerCommand('plexus.shareFile', async (uri?: vscode.Uri): Promise<ShareInfo | undefined> => {
      const client = requireClient(supervisor);
      if (!client) return;
      const target = uri instanceof vscode.Uri ? uri : (await vscode.window.showOpenDialog({ title: 'Share a file with Plexus peers', canSelectMany: false, openLabel: 'Share' }))?.[0];
      if (!target) return;
      try {
        const share = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hashing ${basename(target.fsPath)}…` }, () => client.share(target.fsPath));
        void vscode.window.showInformationMessage(`Sharing ${share.name} (${formatBytes(share.size)})`, 'Copy Link').then((c) => c && vscode.env.clipboard.writeText(share.link));
        return share;
      } catch (err) {
        void reportError(err);
      }
    }),
    vscode.commands.registerCommand('plexus.copyLink', async (item?: ShareItem) => {
      if (item) await vscode.env.clipboard.writeText(item.share.link);
    }),
    /**
     * Download a plexus: link to a file (asked, or `outPath`), with progress in a notification
     * until the last piece is verified. Resolves with the completed download.
     */
    vscode.commands.registerCommand('plexus.downloadFile', async (linkArg?: string, outPath?: string): Promise<DownloadProgress | undefined> => {
      const client = requireClient(supervisor);
      if (!client) return;
      const link =
        linkArg ??
        (await vscode.window.showInputBox({
          title: 'Download File',
          prompt: 'A plexus: link (from "Share File" or `plexus share`) or a 64-hex file ID',
          placeHolder: 'plexus:?xt=urn:plexus:…',
          ignoreFocusOut: true,
          validateInput: (v) => (/^plexus:\?/.test(v.trim()) || /^[0-9a-f]{64}$/.test(v.trim()) ? undefined : 'Paste a plexus: link or a file ID'),
        }));
      if (!link) return;
      let out = outPath;
      if (!out) {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? '/');
        const target = await vscode.window.showSaveDialog({ title: 'Save the download as', defaultUri: vscode.Uri.joinPath(folder, nameFromLink(link) ?? 'download') });
        if (!target) return;
        out = target.fsPath;
      }
      const name = nameFromLink(link) ?? basename(out);
      try {
        return await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Downloading ${name}`, cancellable: true },
          async (progress, token) => {
            const started = await client.download(link.trim(), out!);
            if (started.status === 'complete') return started;
            let reported = 0;
            return await new Promise<DownloadProgress>((resolve, reject) => {
              const update = (d: DownloadProgress | undefined): void => {
                if (!d) return;
                const pct = d.total ? (d.bytes / d.total) * 100 : 100;
                progress.report({ increment: pct - reported, message: `${Math.floor(pct)}% of ${formatBytes(d.total)} · ${formatBytes(d.rate)}/s from ${d.activePeers} peer(s)` });
                reported = pct;
                if (d.status === 'complete') done(() => resolve(d));
              };
              const sub = model.onDidChangeFiles(() => update(model.downloads().find((d) => d.id === started.id)));
              const lost = model.onDidLoseConnection(() => done(() => reject(Object.assign(new Error('the node went away during the download'), { code: 'NODE_UNREACHABLE' }))));
              const cancel = token.onCancellationRequested(() => {
                void client.cancelDownload(started.id).catch(() => undefined);
                done(() => resolve({ ...started, status: 'stopped' }));
              });
              const done = (f: () => void): void => {
                sub.dispose();
                lost.dispose();
                cancel.dispose();
                f();
              };
              // It may have completed before the subscription: ask once.
              void client.downloadStatus(started.id).then(update, () => undefined);
            });
          },
        ).then((d) => {
          if (d.status === 'complete') void vscode.window.showInformationMessage(`Downloaded ${name} (${formatBytes(d.total)}) to ${out}`, 'Reveal').then((c) => c && vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(join(out!))));
          return d;
        });
      } catch (err) {
        void reportError(err);
      }
    }),
  ];
}

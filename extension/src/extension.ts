import * as vscode from 'vscode';
import { PlexusNode } from '@plexus/sdk';
import { NodeStatusBar } from './status-bar';

/** What the extension exports to other extensions and to its integration tests. */
export interface PlexusExtensionApi {
  node: PlexusNode;
  /** Resolves once the node started (rejects if it failed to). */
  ready: Promise<void>;
}

/**
 * Starts an embedded Plexus node with its data in the extension's global storage and shows
 * its state and peer count in the status bar. Only constructs and registers disposables.
 */
export function activate(context: vscode.ExtensionContext): PlexusExtensionApi {
  const config = vscode.workspace.getConfiguration('plexus');
  const node = new PlexusNode({
    dataDir: context.globalStorageUri.fsPath,
    p2pPort: config.get<number>('p2pPort', 0),
    peers: config.get<string[]>('peers', []),
    name: config.get<string>('name', '') || null,
  });
  const status = new NodeStatusBar(node);
  context.subscriptions.push(status, { dispose: () => void node.stop() });
  context.subscriptions.push(
    vscode.commands.registerCommand('plexus.showNodeInfo', async () => {
      if (node.state !== 'running') return vscode.window.showWarningMessage('The Plexus node is not running.');
      const info = node.info();
      const choice = await vscode.window.showInformationMessage(
        `Plexus node ${info.nodeId.slice(0, 12)} on ${info.addresses.p2p}, ${info.peerCount} ${info.peerCount === 1 ? 'peer' : 'peers'}`,
        'Copy Node ID',
      );
      if (choice === 'Copy Node ID') await vscode.env.clipboard.writeText(info.nodeId);
    }),
  );
  const ready = node.start().then(
    () => status.refresh(),
    (err: Error & { code?: string }) => {
      status.showError(err.message);
      void vscode.window.showErrorMessage(`Plexus node failed to start: ${err.code ? `${err.code}: ` : ''}${err.message}`);
      throw err;
    },
  );
  ready.catch(() => undefined);
  return { node, ready };
}

export function deactivate(): void {
  // The node is stopped by its disposable in context.subscriptions.
}

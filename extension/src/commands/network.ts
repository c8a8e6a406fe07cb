import * as vscode from 'vscode';
import type { PeerInfo } from '@plexus/sdk';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import { shortId } from '../views/format';
import type { BanItem } from '../views/ban-item';
import type { PeerItem } from '../views/peer-item';
import { reportError, requireClient } from './report';

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

export function validateAddress(value: string): string | undefined {
  const m = ADDRESS.exec(value.trim());
  if (!m) return 'Enter HOST:PORT, e.g. 127.0.0.1:5000';
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? undefined : 'The port must be 1 to 65535';
}

/** Connect to Peer, Disconnect, Ban, Unban, Refresh. */
export function registerNetworkCommands(supervisor: NodeSupervisor, model: NodeModel): vscode.Disposable[] {
  return [
    /** @param address skips the input box (used by scripts and tests); resolves with the peer. */
    vscode.commands.registerCommand('plexus.connectPeer', async (address?: string): Promise<PeerInfo | undefined> => {
      const client = requireClient(supervisor);
      if (!client) return;
      address ??= await vscode.window.showInputBox({
        title: 'Connect to Peer',
        prompt: "The peer's address (its node's p2p address)",
        placeHolder: '127.0.0.1:5000',
        ignoreFocusOut: true,
        validateInput: validateAddress,
      });
      if (!address) return;
      try {
        const peer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting to ${address}…` }, () => client.connect(address!.trim()));
        void vscode.window.showInformationMessage(`Connected to ${peer.name ?? shortId(peer.nodeId)} at ${peer.address}`);
        return peer;
      } catch (err) {
        void reportError(err, { address });
      }
    }),
    vscode.commands.registerCommand('plexus.disconnectPeer', async (item?: PeerItem) => {
      const client = requireClient(supervisor);
      const nodeId = item?.peer.nodeId ?? (await pickPeer(model, 'Disconnect which peer?'));
      if (!client || !nodeId) return;
      await client.disconnect(nodeId).catch((err) => void reportError(err));
    }),
    vscode.commands.registerCommand('plexus.banPeer', async (item?: PeerItem) => {
      const client = requireClient(supervisor);
      const nodeId = item?.peer.nodeId ?? (await pickPeer(model, 'Ban which peer?'));
      if (!client || !nodeId) return;
      const choice = await vscode.window.showQuickPick(
        [
          { label: '1 hour', ms: 3_600_000 },
          { label: '1 day', ms: 86_400_000 },
          { label: '30 days', ms: 30 * 86_400_000 },
        ],
        { title: `Ban ${item?.peer.name ?? shortId(nodeId)} for` },
      );
      if (!choice) return;
      await client.ban(nodeId, { durationMs: choice.ms, reason: 'banned from VS Code' }).catch((err) => void reportError(err));
    }),
    vscode.commands.registerCommand('plexus.unbanPeer', async (item?: BanItem) => {
      const client = requireClient(supervisor);
      const nodeId = item?.ban.nodeId ?? (await vscode.window.showQuickPick(model.bans().map((b) => ({ label: shortId(b.nodeId), description: b.reason, nodeId: b.nodeId })), { title: 'Lift the ban of which node?' }))?.nodeId;
      if (!client || !nodeId) return;
      await client.unban(nodeId).catch((err) => void reportError(err));
    }),
    vscode.commands.registerCommand('plexus.refresh', () => Promise.all([model.refreshPeers(), model.refreshKnown()]).catch(() => undefined)),
  ];
}

async function pickPeer(model: NodeModel, title: string): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    model.peers().map((p) => ({ label: p.name ?? shortId(p.nodeId), description: p.address, nodeId: p.nodeId })),
    { title },
  );
  return pick?.nodeId;
}

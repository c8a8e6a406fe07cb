import * as vscode from 'vscode';
import type { ChatModel } from '../chat/model';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import type { ChatView } from '../panels/chat-view';
import { chatLabel } from '../views/format';
import { reportError, requireClient } from './report';

/** Something in the Network view that names a node: a peer row or a known address with a node ID. */
interface NodeRow {
  peer?: { nodeId: string; name: string | null };
  entry?: { nodeId: string | null; name: string | null };
}

/** Open Chat, Send Direct Message. */
export function registerChatCommands(supervisor: NodeSupervisor, model: NodeModel, chat: ChatModel, view: ChatView): vscode.Disposable[] {
  return [
    /** Focus the chat view; resolves once its webview runs. */
    vscode.commands.registerCommand('plexus.openChat', async () => {
      await view.show().catch((err) => void reportError(err));
    }),
    /**
     * Open the conversation with a node: from a peer or known-address row, a node ID (scripts
     * and tests), or a pick of the connected peers. Resolves with the conversation's key.
     */
    vscode.commands.registerCommand('plexus.sendDirectMessage', async (target?: NodeRow | string) => {
      if (!requireClient(supervisor)) return;
      let nodeId = typeof target === 'string' ? target : (target?.peer?.nodeId ?? target?.entry?.nodeId ?? undefined);
      let name = typeof target === 'string' ? null : (target?.peer?.name ?? target?.entry?.name ?? null);
      if (!nodeId) {
        const pick = await vscode.window.showQuickPick(
          model.peers().map((p) => ({ label: chatLabel(p.name, p.nodeId), description: p.address, nodeId: p.nodeId, name: p.name })),
          { title: 'Send a direct message to which peer?' },
        );
        if (!pick) return;
        nodeId = pick.nodeId;
        name = pick.name;
      }
      try {
        name ??= model.peers().find((p) => p.nodeId === nodeId)?.name ?? null;
        const key = chat.openDirect(nodeId, name);
        await view.show(key);
        return key;
      } catch (err) {
        void reportError(err);
      }
    }),
  ];
}

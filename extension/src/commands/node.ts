import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import { shortId } from '../views/format';
import { reportError } from './report';

/** Start Node, Stop Node, Show Node Info, Show Log, Copy. */
export function registerNodeCommands(supervisor: NodeSupervisor, model: NodeModel, output: vscode.OutputChannel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('plexus.startNode', async () => {
      try {
        await supervisor.start();
      } catch (err) {
        void reportError(err);
      }
    }),
    vscode.commands.registerCommand('plexus.stopNode', () => supervisor.stop()),
    vscode.commands.registerCommand('plexus.showLog', () => output.show(true)),
    vscode.commands.registerCommand('plexus.showNodeInfo', async () => {
      const info = model.info ?? supervisor.info;
      if (supervisor.state !== 'running' || !info) return reportError({ code: 'NODE_NOT_RUNNING', message: `state: ${supervisor.state}` });
      const peers = model.peers().length;
      const choice = await vscode.window.showInformationMessage(
        `Plexus node ${shortId(info.nodeId)} on ${info.addresses.p2p}, ${peers} ${peers === 1 ? 'peer' : 'peers'}`,
        'Copy Node ID',
        'Copy Address',
      );
      if (choice === 'Copy Node ID') await vscode.env.clipboard.writeText(info.nodeId);
      if (choice === 'Copy Address' && info.addresses.p2p) await vscode.env.clipboard.writeText(info.addresses.p2p);
    }),
    vscode.commands.registerCommand('plexus.copyValue', async (item?: { value?: string }) => {
      if (item?.value) await vscode.env.clipboard.writeText(item.value);
    }),
  ];
}

import * as vscode from 'vscode';
import type { TxStatus } from '@plexus/sdk';
import type { ChainModel, TxConfirmed } from '../chain/model';
import { CONFIG_SECTION } from '../config';
import type { NodeModel } from '../node/model';
import { shortId } from '../views/format';
import { reportError } from './report';

/** Arguments of `plexus.sendCoins` that skip its questions (tests, other extensions). */
export interface SendCoinsArgs {
  to: string;
  amount: number;
  fee?: number;
}

/** Fee offered by Send Coins (smallest units). */
export const DEFAULT_FEE = 1;

const NODE_ID = /^[0-9a-f]{64}$/;
const positiveInt = (v: string): string | undefined => (/^[1-9][0-9]{0,15}$/.test(v.trim()) && Number.isSafeInteger(Number(v)) ? undefined : 'a whole number above 0');

/**
 * Resolves when `hash` is in a main-chain block: at once if it is already, else on its
 * `tx:confirmed`. After `signal` aborts it stops listening and never resolves.
 */
export function confirmation(chain: ChainModel, hash: string, signal?: AbortSignal): Promise<TxConfirmed> {
  return new Promise((resolve) => {
    const sub = chain.onDidConfirm((e) => {
      if (e.hash !== hash) return;
      sub.dispose();
      resolve(e);
    });
    signal?.addEventListener('abort', () => sub.dispose(), { once: true });
    void chain.tx(hash).then(
      (s) => {
        if (s.status !== 'confirmed' || !s.receipt) return;
        sub.dispose();
        const { confirmations: _, ...receipt } = s.receipt;
        resolve({ hash, ...receipt });
      },
      () => undefined,
    );
  });
}

/** Mine Block, Send Coins, Enable Chain. */
export function registerChainCommands(chain: ChainModel, model: NodeModel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('plexus.mineBlock', async () => {
      try {
        const mined = await vscode.window.withProgress({ location: { viewId: 'plexus.chain' } }, () => chain.mine());
        void vscode.window.showInformationMessage(`Mined block #${mined.height} ${shortId(mined.hash)} with ${mined.txs} transaction(s).`);
        return mined;
      } catch (err) {
        void reportError(err);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('plexus.sendCoins', async (args?: SendCoinsArgs): Promise<TxStatus | undefined> => {
      try {
        const input = args ?? (await askTransfer(model));
        if (!input) return undefined;
        const status = await chain.transfer(input.to, input.amount, input.fee ?? DEFAULT_FEE);
        const to = model.peers().find((p) => p.nodeId === input.to)?.name ?? shortId(input.to);
        void vscode.window.showInformationMessage(`Sent ${input.amount} coins to ${to}: transaction ${shortId(status.hash)} is pending.`, 'Copy Hash').then((c) => c && vscode.env.clipboard.writeText(status.hash));
        void confirmation(chain, status.hash).then((c) => vscode.window.showInformationMessage(`Transaction ${shortId(c.hash)} confirmed in block #${c.height} (${shortId(c.block)}).`));
        return status;
      } catch (err) {
        void reportError(err);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('plexus.enableChain', async () => {
      await vscode.workspace.getConfiguration(CONFIG_SECTION).update('chain.mode', 'automine', vscode.ConfigurationTarget.Global);
    }),
  ];
}

/** Ask for the receiver (a connected peer or a node ID), the amount and the fee. */
async function askTransfer(model: NodeModel): Promise<SendCoinsArgs | undefined> {
  const other = { label: '$(edit) Enter a node ID…', nodeId: '' };
  const picks = [...model.peers().map((p) => ({ label: p.name ?? shortId(p.nodeId), description: p.nodeId, nodeId: p.nodeId })), other];
  const pick = await vscode.window.showQuickPick(picks, { title: 'Send Coins: to whom?', placeHolder: 'a connected peer, or any node ID' });
  if (!pick) return undefined;
  const to =
    pick.nodeId ||
    (await vscode.window.showInputBox({ title: 'Send Coins: node ID', prompt: '64 lowercase hex characters', validateInput: (v) => (NODE_ID.test(v.trim()) ? undefined : '64 lowercase hex characters') }))?.trim();
  if (!to) return undefined;
  const amount = await vscode.window.showInputBox({ title: 'Send Coins: amount', prompt: 'coins (whole units)', validateInput: positiveInt });
  if (!amount) return undefined;
  const fee = await vscode.window.showInputBox({ title: 'Send Coins: fee', prompt: 'paid to the miner; a higher fee is mined first', value: String(DEFAULT_FEE), validateInput: positiveInt });
  if (!fee) return undefined;
  return { to, amount: Number(amount), fee: Number(fee) };
}

import * as vscode from 'vscode';
import type { ContractCall } from '../contracts/calls';
import { formatValue, shortId } from './format';

/**
 * A call of a chain contract: `increment(1)`, and `pending · fee 0 · HASH12 · WHO` until a
 * block includes it, then `block 12 · → 11 · gas 3 · WHO` (or `block 12 · failed
 * CONTRACT_THREW · gas 3 · WHO`); WHO is `this window`, `this node`, or the sender's name.
 */
export class CallItem extends vscode.TreeItem {
  readonly kind = 'call';
  constructor(
    readonly call: ContractCall,
    name: (nodeId: string) => string,
  ) {
    super(`${call.method}(${call.args.map((a) => formatValue(a)).join(', ')})`, vscode.TreeItemCollapsibleState.None);
    this.id = `call:${call.hash}`;
    const r = call.receipt;
    const who = call.own ? 'this window' : name(call.from);
    const by = `from ${who}`;
    if (call.status === 'pending' || !r) {
      this.description = `pending · fee ${call.fee} · ${shortId(call.hash)} · ${who}`;
      this.iconPath = new vscode.ThemeIcon('watch');
      this.tooltip = `pending: waiting for a block\ntransaction ${call.hash}\n${by}, fee ${call.fee}`;
    } else if (r.status === 'ok') {
      this.description = `block ${r.height} · → ${formatValue(r.result)} · gas ${r.gasUsed} · ${who}`;
      this.iconPath = new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
      this.tooltip = `confirmed in block ${r.height} (${shortId(r.block)}), index ${r.index}\nresult ${JSON.stringify(r.result)}, gas ${r.gasUsed}\ntransaction ${call.hash}\n${by}, fee ${call.fee}`;
    } else {
      this.description = `block ${r.height} · failed ${r.error?.code ?? ''} · gas ${r.gasUsed} · ${who}`;
      this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
      this.tooltip = `failed in block ${r.height} (${shortId(r.block)}): ${r.error?.code}: ${r.error?.message}\nthe fee is paid, the state unchanged; gas ${r.gasUsed}\ntransaction ${call.hash}\n${by}, fee ${call.fee}`;
    }
    this.contextValue = `contractCall:${call.status}`;
  }
}

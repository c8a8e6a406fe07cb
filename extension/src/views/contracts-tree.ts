import * as vscode from 'vscode';
import type { ContractCalls } from '../contracts/calls';
import type { NodeModel } from '../node/model';
import { CallItem } from './call-item';
import { ContractItem } from './contract-item';
import { shortId } from './format';
import { FunctionItem } from './function-item';
import { GroupItem } from './group-item';
import { StateItem } from './state-item';

export type ContractsElement = ContractItem | GroupItem<FunctionItem | StateItem | CallItem> | FunctionItem | StateItem | CallItem;

/**
 * The Contracts view: each contract (either mode) with its functions and its state as a tree;
 * a chain contract also with its calls (pending ones first, then confirmed ones by block).
 */
export class ContractsTreeProvider implements vscode.TreeDataProvider<ContractsElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<ContractsElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(
    private readonly model: NodeModel,
    private readonly calls: ContractCalls,
  ) {
    this.#subscriptions = [model.onDidChangeContract(() => this.refresh()), model.onDidChangeNode(() => this.refresh()), calls.onDidChange(() => this.refresh())];
  }

  refresh(): void {
    this.#onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(element: ContractsElement): vscode.TreeItem {
    return element;
  }

  getChildren(element?: ContractsElement): ContractsElement[] {
    if (!element) return this.model.contracts().map((r) => new ContractItem(r, this.model.lastBlock(r.address)));
    if (element instanceof ContractItem) {
      const r = this.model.contract(element.record.address) ?? element.record;
      const fns = r.functions.filter((f) => f !== 'init').map((f) => new FunctionItem(r, f));
      const state = Object.entries(r.state).map(([k, v]) => new StateItem(`${r.address}/${k}`, k, v));
      const groups: Array<GroupItem<FunctionItem | StateItem | CallItem>> = [
        new GroupItem(`fns:${r.address}`, 'Functions', () => fns, { icon: 'symbol-method', description: String(fns.length) }),
        new GroupItem(`state:${r.address}`, 'State', () => state, { icon: 'json', description: r.mode === 'chain' ? `block ${this.model.lastBlock(r.address)}` : `v${r.seq}` }),
      ];
      if (r.mode === 'chain') {
        const calls = this.calls.of(r.address);
        const pending = calls.filter((c) => c.status === 'pending').length;
        const names = new Map(this.model.peers().map((p) => [p.nodeId, p.name ?? shortId(p.nodeId)]));
        if (this.model.info) names.set(this.model.info.nodeId, 'this node');
        const name = (id: string): string => names.get(id) ?? shortId(id);
        const description = calls.length === 0 ? 'none seen yet' : pending > 0 ? `${pending} pending · ${calls.length}` : String(calls.length);
        groups.push(new GroupItem(`calls:${r.address}`, 'Calls', () => calls.map((c) => new CallItem(c, name)), { icon: 'history', description }));
      }
      return groups;
    }
    if (element instanceof GroupItem) return element.children();
    if (element instanceof StateItem) return element.children();
    return [];
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChangeTreeData.dispose();
  }
}

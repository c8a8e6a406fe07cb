import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';
import { ContractItem } from './contract-item';
import { FunctionItem } from './function-item';
import { GroupItem } from './group-item';
import { StateItem } from './state-item';

export type ContractsElement = ContractItem | GroupItem<FunctionItem | StateItem> | FunctionItem | StateItem;

/** The Contracts view: each contract with its functions and its state as a tree. */
export class ContractsTreeProvider implements vscode.TreeDataProvider<ContractsElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<ContractsElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(private readonly model: NodeModel) {
    this.#subscriptions = [model.onDidChangeContract(() => this.refresh()), model.onDidChangeNode(() => this.refresh())];
  }

  refresh(): void {
    this.#onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(element: ContractsElement): vscode.TreeItem {
    return element;
  }

  getChildren(element?: ContractsElement): ContractsElement[] {
    if (!element) return this.model.contracts().map((r) => new ContractItem(r));
    if (element instanceof ContractItem) {
      const r = this.model.contract(element.record.address) ?? element.record;
      const fns = r.functions.filter((f) => f !== 'init').map((f) => new FunctionItem(r, f));
      const state = Object.entries(r.state).map(([k, v]) => new StateItem(`${r.address}/${k}`, k, v));
      return [
        new GroupItem(`fns:${r.address}`, 'Functions', () => fns, { icon: 'symbol-method', description: String(fns.length) }),
        new GroupItem(`state:${r.address}`, 'State', () => state, { icon: 'json', description: `v${r.seq}` }),
      ];
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

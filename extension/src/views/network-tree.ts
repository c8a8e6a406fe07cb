import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import type { DetailItem } from './detail-item';
import { GroupItem } from './group-item';
import { NodeItem } from './node-item';
import { PeerItem } from './peer-item';

export type NetworkElement = NodeItem | GroupItem<PeerItem> | PeerItem | DetailItem;

/** The Network view: this node, then its peers. Refreshed by supervisor and model events. */
export class NetworkTreeProvider implements vscode.TreeDataProvider<NetworkElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<NetworkElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(
    private readonly supervisor: NodeSupervisor,
    private readonly model: NodeModel,
  ) {
    this.#subscriptions = [supervisor.onDidChangeState(() => this.refresh()), model.onDidChangeNode(() => this.refresh()), model.onDidChangePeers(() => this.refresh())];
  }

  refresh(): void {
    this.#onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(element: NetworkElement): vscode.TreeItem {
    return element;
  }

  getChildren(element?: NetworkElement): NetworkElement[] {
    if (!element) {
      if (this.supervisor.state === 'stopped' || this.supervisor.state === 'failed') return []; // the welcome view says what to do
      const peers = this.model.peers().map((p) => new PeerItem(p));
      return [
        new NodeItem(this.model.info ?? this.supervisor.info, this.supervisor.state, this.supervisor.mode, this.supervisor.pid),
        new GroupItem('peers', 'Peers', () => peers, { icon: 'organization', description: `${peers.length} connected` }),
      ];
    }
    if (element instanceof NodeItem || element instanceof PeerItem) return element.children();
    if (element instanceof GroupItem) return element.children();
    return [];
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChangeTreeData.dispose();
  }
}

import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import { BanItem } from './ban-item';
import type { DetailItem } from './detail-item';
import { GroupItem } from './group-item';
import { KnownItem } from './known-item';
import { NodeItem } from './node-item';
import { PeerItem } from './peer-item';

export type NetworkElement = NodeItem | GroupItem<PeerItem | KnownItem | BanItem> | PeerItem | KnownItem | BanItem | DetailItem;

/**
 * The Network view: this node, its peers (the active set), then, collapsed, the known
 * addresses (the known set; absent when the node has no peer exchange) and the banned node
 * IDs. Refreshed by supervisor and model events.
 */
export class NetworkTreeProvider implements vscode.TreeDataProvider<NetworkElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<NetworkElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(
    private readonly supervisor: NodeSupervisor,
    private readonly model: NodeModel,
  ) {
    this.#subscriptions = [supervisor.onDidChangeState(() => this.refresh()), model.onDidChangeNode(() => this.refresh()), model.onDidChangePeers(() => this.refresh()), model.onDidChangeKnown(() => this.refresh())];
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
      const known = this.model.known();
      const names = new Map<string, string>();
      for (const k of known ?? []) if (k.nodeId && k.name) names.set(k.nodeId, k.name);
      for (const p of this.model.peers()) if (p.name) names.set(p.nodeId, p.name);
      const bans = this.model.bans().map((b) => new BanItem(b, names.get(b.nodeId) ?? null));
      const rows: NetworkElement[] = [
        new NodeItem(this.model.info ?? this.supervisor.info, this.supervisor.state, this.supervisor.mode, this.supervisor.pid),
        new GroupItem('peers', 'Peers', () => peers, { icon: 'organization', description: `${peers.length} connected` }),
      ];
      if (known) {
        const items = known.map((k) => new KnownItem(k));
        rows.push(new GroupItem('known', 'Known', () => items, { icon: 'book', description: `${items.length} ${items.length === 1 ? 'address' : 'addresses'}`, expanded: false }));
      }
      rows.push(new GroupItem('banned', 'Banned', () => bans, { icon: 'circle-slash', description: `${bans.length}`, expanded: false }));
      return rows;
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

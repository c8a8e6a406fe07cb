import * as vscode from 'vscode';
import type { ChainModel } from '../chain/model';
import type { NodeModel } from '../node/model';
import { BlockItem } from './block-item';
import { DetailItem } from './detail-item';
import { GroupItem } from './group-item';
import { shortId } from './format';
import { TxItem } from './tx-item';

export type ChainElement = GroupItem<DetailItem | BlockItem | TxItem> | DetailItem | BlockItem | TxItem;

/** Cumulative work (64 hex digits) as a decimal number of expected hashes. */
export function formatWork(work: string): string {
  return BigInt(`0x${work}`).toLocaleString('en-US');
}

/**
 * The Chain view: the head (height, hash, time, cumulative work, state root, mining mode),
 * this node's balance and nonce, the recent main-chain blocks (each expands to its
 * transactions) and the mempool. Empty when the node runs without the chain (the welcome view
 * then offers to turn it on). Refreshed by the chain model's events, never by polling.
 */
export class ChainTreeProvider implements vscode.TreeDataProvider<ChainElement>, vscode.Disposable {
  readonly #onDidChangeTreeData = new vscode.EventEmitter<ChainElement | undefined>();
  readonly onDidChangeTreeData = this.#onDidChangeTreeData.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(
    private readonly chain: ChainModel,
    private readonly model: NodeModel,
  ) {
    this.#subscriptions = [chain.onDidChange(() => this.refresh()), model.onDidChangePeers(() => this.refresh())];
  }

  refresh(): void {
    this.#onDidChangeTreeData.fire(undefined);
  }

  /** "this node", "genesis", a connected peer's name, or the short ID. */
  nameOf = (nodeId: string): string => {
    if (nodeId === this.chain.nodeId) return 'this node';
    if (/^0+$/.test(nodeId)) return 'genesis'; // the genesis block's miner is 64 zeros (protocol.md §21.4)
    return this.model.peers().find((p) => p.nodeId === nodeId)?.name ?? shortId(nodeId);
  };

  getTreeItem(element: ChainElement): vscode.TreeItem {
    return element;
  }

  getChildren(element?: ChainElement): ChainElement[] | Promise<ChainElement[]> {
    if (!element) {
      const snap = this.chain.snapshot;
      if (!this.chain.enabled || !snap) return []; // the welcome view says why
      const { head } = snap;
      const headDetails = [
        new DetailItem('Hash', head.hash, 'symbol-key'),
        new DetailItem('Time', new Date(head.time).toLocaleString(), 'clock'),
        new DetailItem('Cumulative work', formatWork(head.work), 'flame'),
        new DetailItem('State root', head.stateRoot, 'database'),
        new DetailItem('Mining', snap.mode, 'tools'),
        new DetailItem('Genesis', snap.genesis, 'home'),
      ];
      const blocks = snap.blocks.map((b) => new BlockItem(b, this.nameOf(b.miner)));
      const pending = snap.mempool.map((t) => new TxItem(t, this.nameOf, 'pending'));
      return [
        new GroupItem('head', `Head #${head.height}`, () => headDetails, { icon: 'layers', description: `${shortId(head.hash)} · work ${formatWork(head.work)}`, expanded: false }),
        new DetailItem('Balance', `${snap.account.balance.toLocaleString('en-US')} coins · nonce ${snap.account.nonce}`, 'credit-card'),
        new GroupItem('blocks', 'Recent blocks', () => blocks, { icon: 'list-ordered', description: `${blocks.length} of ${head.height + 1}` }),
        new GroupItem('mempool', 'Mempool', () => pending, { icon: 'inbox', description: `${pending.length} pending`, expanded: pending.length > 0 }),
      ];
    }
    if (element instanceof GroupItem) return element.children();
    if (element instanceof BlockItem) return this.#blockTxs(element);
    return [];
  }

  async #blockTxs(item: BlockItem): Promise<ChainElement[]> {
    try {
      const block = await this.chain.block(item.block.hash);
      return (block?.txs ?? []).map((tx) => new TxItem(tx, this.nameOf, 'confirmed'));
    } catch (err) {
      return [new DetailItem('Error', (err as Error).message, 'error')];
    }
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChangeTreeData.dispose();
  }
}

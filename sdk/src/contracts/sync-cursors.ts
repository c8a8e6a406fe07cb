import type { Store } from '../store/index.js';

/** How far this node has synced a peer's contracts: the peer's store epoch and change sequence. */
export interface SyncCursor {
  epoch: string;
  cursor: number;
  syncedAt: number;
}

/** The `sync_cursors` table. */
export class SyncCursorsRepository {
  constructor(private readonly store: Store) {}

  get(peerNodeId: string): SyncCursor | undefined {
    const r = this.store.get<{ epoch: string; cursor: number; synced_at: number }>('SELECT * FROM sync_cursors WHERE peer_node_id = ?', [peerNodeId]);
    return r && { epoch: r.epoch, cursor: Number(r.cursor), syncedAt: Number(r.synced_at) };
  }

  set(peerNodeId: string, cursor: SyncCursor): void {
    this.store.run(
      `INSERT INTO sync_cursors (peer_node_id, epoch, cursor, synced_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(peer_node_id) DO UPDATE SET epoch = excluded.epoch, cursor = excluded.cursor, synced_at = excluded.synced_at`,
      [peerNodeId, cursor.epoch, cursor.cursor, cursor.syncedAt],
    );
  }
}

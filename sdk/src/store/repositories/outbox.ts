import type { Store } from '../store.js';

/** One pending broadcast: a record still to be acknowledged by one peer. */
export interface OutboxEntry {
  id: number;
  peerAddress: string;
  peerNodeId: string | null;
  contractAddress: string;
  /** The signed record, JSON text. */
  contractData: string;
  createdAt: number;
  retryCount: number;
}

interface OutboxRow extends Record<string, unknown> {
  id: number;
  peer_address: string;
  peer_node_id: string | null;
  contract_address: string;
  contract_data: string;
  created_at: number;
  retry_count: number;
}

const fromRow = (r: OutboxRow): OutboxEntry => ({
  id: r.id,
  peerAddress: r.peer_address,
  peerNodeId: r.peer_node_id,
  contractAddress: r.contract_address,
  contractData: r.contract_data,
  createdAt: r.created_at,
  retryCount: r.retry_count,
});

/** The `pending_contract_broadcasts` table. */
export class OutboxRepository {
  constructor(private readonly store: Store) {}

  list(): OutboxEntry[] {
    return this.store.all<OutboxRow>('SELECT * FROM pending_contract_broadcasts ORDER BY id').map(fromRow);
  }

  /**
   * Queue `data` for a peer. A pending entry for the same peer and contract is superseded:
   * deleted and replaced by a new row (new id), so that an acknowledgement of the old
   * version can never delete the new one. Returns the new entry.
   */
  enqueue(peerAddress: string, peerNodeId: string | null, contractAddress: string, data: string, now: number): OutboxEntry {
    return this.store.transaction(() => {
      this.store.run('DELETE FROM pending_contract_broadcasts WHERE peer_address = ? AND contract_address = ?', [peerAddress, contractAddress]);
      this.store.run(
        'INSERT INTO pending_contract_broadcasts (peer_address, peer_node_id, contract_address, contract_data, created_at, retry_count) VALUES (?, ?, ?, ?, ?, 0)',
        [peerAddress, peerNodeId, contractAddress, data, now],
      );
      return fromRow(this.store.get<OutboxRow>('SELECT * FROM pending_contract_broadcasts WHERE id = last_insert_rowid()')!);
    });
  }

  /** Delete one entry; false when it was already gone (acknowledged or superseded). */
  remove(id: number): boolean {
    const had = this.store.get('SELECT id FROM pending_contract_broadcasts WHERE id = ?', [id]) !== undefined;
    if (had) this.store.run('DELETE FROM pending_contract_broadcasts WHERE id = ?', [id]);
    return had;
  }

  /** Count one more failed delivery; returns the new retry count (0 if the entry is gone). */
  recordFailure(id: number): number {
    this.store.run('UPDATE pending_contract_broadcasts SET retry_count = retry_count + 1 WHERE id = ?', [id]);
    return Number(this.store.get<{ retry_count: number }>('SELECT retry_count FROM pending_contract_broadcasts WHERE id = ?', [id])?.retry_count ?? 0);
  }
}

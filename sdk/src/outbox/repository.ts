import type { Store } from '../store/index.js';

/** One pending broadcast: a payload still to be acknowledged by one peer. */
export interface OutboxEntry {
  /** Row id, unique within its kind's table. */
  id: number;
  /** What the payload is ('contract', ...); decides how it is delivered. */
  kind: string;
  /** What it is about (a contract address, ...). A newer payload for the same key and peer supersedes the pending one. */
  key: string;
  /** The message body to deliver, JSON text, sent as stored. */
  payload: string;
  /** Where the peer listens, or `node:<nodeId>` for a peer that does not listen. */
  peerAddress: string;
  peerNodeId: string | null;
  /** ms since epoch */
  createdAt: number;
  retryCount: number;
}

/**
 * Where one kind's rows live. The contract kind keeps its historical table
 * (`pending_contract_broadcasts` with `contract_address` / `contract_data`); other kinds share
 * `pending_broadcasts`, told apart by its `kind` column.
 */
export interface OutboxTable {
  table: string;
  keyColumn: string;
  payloadColumn: string;
  /** Set when several kinds share the table. */
  kindColumn?: string;
}

export const SHARED_OUTBOX_TABLE: OutboxTable = { table: 'pending_broadcasts', keyColumn: 'key', payloadColumn: 'payload', kindColumn: 'kind' };

/** The rows of one outbox kind. */
export class OutboxRepository {
  readonly #where: string;
  readonly #kindParams: string[];

  constructor(
    private readonly store: Store,
    readonly kind: string,
    private readonly t: OutboxTable,
  ) {
    this.#where = t.kindColumn ? `${t.kindColumn} = ?` : '1';
    this.#kindParams = t.kindColumn ? [kind] : [];
  }

  list(): OutboxEntry[] {
    const { table, keyColumn, payloadColumn } = this.t;
    return this.store
      .all<Record<string, unknown>>(`SELECT id, peer_address, peer_node_id, ${keyColumn} AS k, ${payloadColumn} AS p, created_at, retry_count FROM ${table} WHERE ${this.#where} ORDER BY id`, this.#kindParams)
      .map((r) => ({
        id: Number(r.id),
        kind: this.kind,
        key: String(r.k),
        payload: String(r.p),
        peerAddress: String(r.peer_address),
        peerNodeId: (r.peer_node_id as string | null) ?? null,
        createdAt: Number(r.created_at),
        retryCount: Number(r.retry_count),
      }));
  }

  /**
   * Queue `payload` for a peer. A pending entry for the same peer and key is superseded:
   * deleted and replaced by a new row (new id), so that an acknowledgement of the old
   * version can never delete the new one.
   */
  enqueue(peerAddress: string, peerNodeId: string | null, key: string, payload: string, now: number): OutboxEntry {
    const { table, keyColumn, payloadColumn, kindColumn } = this.t;
    return this.store.transaction(() => {
      this.store.run(`DELETE FROM ${table} WHERE ${this.#where} AND peer_address = ? AND ${keyColumn} = ?`, [...this.#kindParams, peerAddress, key]);
      const columns = [...(kindColumn ? [kindColumn] : []), 'peer_address', 'peer_node_id', keyColumn, payloadColumn, 'created_at', 'retry_count'];
      this.store.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, [
        ...this.#kindParams,
        peerAddress,
        peerNodeId,
        key,
        payload,
        now,
        0,
      ]);
      const id = Number(this.store.get<{ id: number }>('SELECT last_insert_rowid() AS id')!.id);
      return { id, kind: this.kind, key, payload, peerAddress, peerNodeId, createdAt: now, retryCount: 0 };
    });
  }

  /** Delete one entry; false when it was already gone (acknowledged or superseded). */
  remove(id: number): boolean {
    const had = this.store.get(`SELECT id FROM ${this.t.table} WHERE id = ?`, [id]) !== undefined;
    if (had) this.store.run(`DELETE FROM ${this.t.table} WHERE id = ?`, [id]);
    return had;
  }

  /** Count one more failed delivery; returns the new retry count (0 if the entry is gone). */
  recordFailure(id: number): number {
    this.store.run(`UPDATE ${this.t.table} SET retry_count = retry_count + 1 WHERE id = ?`, [id]);
    return Number(this.store.get<{ retry_count: number }>(`SELECT retry_count FROM ${this.t.table} WHERE id = ?`, [id])?.retry_count ?? 0);
  }
}

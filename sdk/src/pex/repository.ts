import type { Store } from '../store/index.js';

/** What peer exchange heard of an address: claims, never confirmed by this node itself. */
export interface HeardRecord {
  address: string;
  nodeId: string;
  /** ms since epoch, as the sender claimed (capped at the time it arrived). */
  lastSeen: number;
  heardFrom: string;
  heardAt: number;
}

interface HeardRow extends Record<string, unknown> {
  address: string;
  node_id: string;
  last_seen: number;
  heard_from: string;
  heard_at: number;
}

/** The `pex_heard` table: the newest claim heard for each address. */
export class HeardRepository {
  constructor(private readonly store: Store) {}

  /** Record a claim; an older claim never replaces a newer one. */
  put(r: HeardRecord): void {
    this.store.run(
      `INSERT INTO pex_heard (address, node_id, last_seen, heard_from, heard_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(address) DO UPDATE SET node_id = excluded.node_id, last_seen = excluded.last_seen,
         heard_from = excluded.heard_from, heard_at = excluded.heard_at
       WHERE excluded.last_seen > pex_heard.last_seen`,
      [r.address, r.nodeId, r.lastSeen, r.heardFrom, r.heardAt],
    );
  }

  /** Every claim, by address. */
  all(): Map<string, HeardRecord> {
    const rows = this.store.all<HeardRow>('SELECT * FROM pex_heard');
    return new Map(rows.map((r) => [r.address, { address: r.address, nodeId: r.node_id, lastSeen: r.last_seen, heardFrom: r.heard_from, heardAt: r.heard_at }]));
  }
}

import type { Store } from '../store/index.js';

/** One address-book entry. Times are ms since the Unix epoch. */
export interface PeerRecord {
  address: string;
  nodeId: string | null;
  name: string | null;
  autoDial: boolean;
  failures: number;
  lastSeen: number | null;
  lastConnected: number | null;
  addedAt: number;
}

interface PeerRow extends Record<string, unknown> {
  address: string;
  node_id: string | null;
  name: string | null;
  auto_dial: number;
  failures: number;
  last_seen: number | null;
  last_connected: number | null;
  added_at: number;
}

function fromRow(r: PeerRow): PeerRecord {
  return {
    address: r.address,
    nodeId: r.node_id,
    name: r.name,
    autoDial: r.auto_dial === 1,
    failures: r.failures,
    lastSeen: r.last_seen,
    lastConnected: r.last_connected,
    addedAt: r.added_at,
  };
}

/** The `peers` table: the address book of places we dial. */
export class PeersRepository {
  constructor(private readonly store: Store) {}

  list(): PeerRecord[] {
    return this.store.all<PeerRow>('SELECT * FROM peers ORDER BY added_at, address').map(fromRow);
  }

  /** How many entries the book holds. */
  count(): number {
    return this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM peers')?.n ?? 0;
  }

  get(address: string): PeerRecord | undefined {
    const row = this.store.get<PeerRow>('SELECT * FROM peers WHERE address = ?', [address]);
    return row && fromRow(row);
  }

  /** Add an address (no-op if present); `autoDial` is raised, never lowered, by a re-add. */
  add(address: string, autoDial: boolean, now: number): void {
    this.store.run(
      `INSERT INTO peers (address, auto_dial, added_at) VALUES (?, ?, ?)
       ON CONFLICT(address) DO UPDATE SET auto_dial = MAX(auto_dial, excluded.auto_dial)`,
      [address, autoDial ? 1 : 0, now],
    );
  }

  /**
   * Record a successful handshake with the node at `address`. `dialed`: we connected to that
   * address ourselves, which confirms it (last_connected) and turns auto-dial on; for an
   * address only claimed by an inbound peer, a new entry is auto-dialed but an operator's
   * earlier "do not dial" stays.
   */
  markConnected(address: string, nodeId: string, name: string | null, now: number, dialed: boolean): void {
    this.store.transaction(() => {
      // A node that moved to a new address no longer lives at its old one.
      this.store.run('UPDATE peers SET node_id = NULL WHERE node_id = ? AND address <> ?', [nodeId, address]);
      this.store.run(
        `INSERT INTO peers (address, node_id, name, auto_dial, failures, last_seen, last_connected, added_at)
         VALUES (?, ?, ?, 1, 0, ?, ?, ?)
         ON CONFLICT(address) DO UPDATE SET node_id = excluded.node_id, name = excluded.name,
           auto_dial = CASE WHEN ? THEN 1 ELSE auto_dial END,
           failures = 0, last_seen = excluded.last_seen,
           last_connected = COALESCE(excluded.last_connected, last_connected)`,
        [address, nodeId, name, now, dialed ? now : null, now, dialed ? 1 : 0],
      );
    });
  }

  markSeen(address: string, now: number): void {
    this.store.run('UPDATE peers SET last_seen = ? WHERE address = ?', [now, address]);
  }

  markFailed(address: string): number {
    this.store.run('UPDATE peers SET failures = failures + 1 WHERE address = ?', [address]);
    return this.get(address)?.failures ?? 0;
  }

  resetFailures(address: string): void {
    this.store.run('UPDATE peers SET failures = 0 WHERE address = ? AND failures <> 0', [address]);
  }

  setAutoDial(address: string, autoDial: boolean): void {
    this.store.run('UPDATE peers SET auto_dial = ? WHERE address = ?', [autoDial ? 1 : 0, address]);
  }

  remove(address: string): void {
    this.store.run('DELETE FROM peers WHERE address = ?', [address]);
  }
}

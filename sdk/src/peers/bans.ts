import type { Store } from '../store/index.js';

/** A ban on a node ID until `until` (ms since epoch). */
export interface BanRecord {
  nodeId: string;
  until: number;
  reason: string;
  bannedAt: number;
}

interface BanRow extends Record<string, unknown> {
  node_id: string;
  until: number;
  reason: string;
  banned_at: number;
}

/** The `bans` table. Expired bans are ignored by reads and purged by `purgeExpired`. */
export class BansRepository {
  constructor(private readonly store: Store) {}

  put(ban: BanRecord): void {
    this.store.run(
      `INSERT INTO bans (node_id, until, reason, banned_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(node_id) DO UPDATE SET until = excluded.until, reason = excluded.reason, banned_at = excluded.banned_at`,
      [ban.nodeId, ban.until, ban.reason, ban.bannedAt],
    );
  }

  /** The active ban on `nodeId` at time `now`, if any. */
  active(nodeId: string, now: number): BanRecord | undefined {
    const r = this.store.get<BanRow>('SELECT * FROM bans WHERE node_id = ? AND until > ?', [nodeId, now]);
    return r && { nodeId: r.node_id, until: r.until, reason: r.reason, bannedAt: r.banned_at };
  }

  list(now: number): BanRecord[] {
    return this.store
      .all<BanRow>('SELECT * FROM bans WHERE until > ? ORDER BY banned_at', [now])
      .map((r) => ({ nodeId: r.node_id, until: r.until, reason: r.reason, bannedAt: r.banned_at }));
  }

  /** Remove a ban; returns whether one was active. */
  remove(nodeId: string, now: number): boolean {
    const had = this.active(nodeId, now) !== undefined;
    this.store.run('DELETE FROM bans WHERE node_id = ?', [nodeId]);
    return had;
  }

  purgeExpired(now: number): void {
    this.store.run('DELETE FROM bans WHERE until <= ?', [now]);
  }
}

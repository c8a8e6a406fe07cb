import type { ContractRecord } from './record.js';
import type { Store } from '../store/index.js';

interface ContractRow extends Record<string, unknown> {
  record: string;
  source_hash: string;
  change_seq: number;
  source_peer: string | null;
}

/**
 * A record's columns. The source comes from contract_sources by hash, through a cache: two
 * indexed lookups cost sql.js far less than the join of the two tables does.
 */
const SELECT_RECORD = 'SELECT record, source_hash, change_seq, source_peer FROM contracts';

/** Source literals kept in memory (immutable per hash, so never stale). */
const SOURCE_CACHE_SIZE = 256;

/** A record as the contracts table stores it. */
export interface EncodedRecord {
  /** The record's JSON without `source`. */
  json: string;
  /** About the size of the whole record's JSON (bytes). */
  size: number;
}

/** Per-origin totals, for the per-peer caps. */
export interface OriginUsage {
  count: number;
  bytes: number;
}

/**
 * The `contracts` table (the current version of every contract this node knows, without its
 * source) and `contract_sources` (each source once, by its hash).
 */
export class ContractsRepository {
  /** The last change sequence given out, read once from the table. */
  #lastChangeSeq: number | undefined;
  /** Source hash -> source literal (JSON string), SOURCE_CACHE_SIZE at most. */
  readonly #sources = new Map<string, string>();

  constructor(private readonly store: Store) {}

  /**
   * The whole record's JSON text from the stored record (everything but `source`) and the
   * stored source literal: spliced, not parsed and serialized again.
   */
  #recordText(row: ContractRow): string {
    const source = this.#sourceJson(row.source_hash);
    return row.record.length > 2 ? `{"source":${source},${row.record.slice(1)}` : `{"source":${source}}`;
  }

  /** The source literal (JSON string) of a hash. @throws Error if the store lacks it (a broken store) */
  #sourceJson(hash: string): string {
    let json = this.#sources.get(hash);
    if (json !== undefined) return json;
    json = this.store.get<{ source_json: string }>('SELECT source_json FROM contract_sources WHERE source_hash = ?', [hash])?.source_json;
    if (json === undefined) throw new Error(`the store has no source ${hash.slice(0, 12)}`);
    if (this.#sources.size >= SOURCE_CACHE_SIZE) this.#sources.delete(this.#sources.keys().next().value!);
    this.#sources.set(hash, json);
    return json;
  }

  get(address: string): ContractRecord | undefined {
    const row = this.store.get<ContractRow>(`${SELECT_RECORD} WHERE address = ?`, [address]);
    return row && (JSON.parse(this.#recordText(row)) as ContractRecord);
  }

  /** Every record, oldest first. */
  list(): ContractRecord[] {
    return this.store.all<ContractRow>(`${SELECT_RECORD} ORDER BY change_seq`).map((r) => JSON.parse(this.#recordText(r)) as ContractRecord);
  }

  /** The greatest version stored (by time, then counter), or undefined when empty. */
  latestVersion(): { time: number; counter: number } | undefined {
    const r = this.store.get<{ t: number; c: number }>('SELECT version_time AS t, version_counter AS c FROM contracts ORDER BY version_time DESC, version_counter DESC LIMIT 1');
    return r && { time: Number(r.t), counter: Number(r.c) };
  }

  /** The current version's sequence number and clock of one contract, without reading its record. */
  versionOf(address: string): { seq: number; version: { time: number; counter: number; nodeId: string } } | undefined {
    const r = this.store.get<{ seq: number; t: number; c: number; n: string }>(
      'SELECT seq, version_time AS t, version_counter AS c, version_node AS n FROM contracts WHERE address = ?',
      [address],
    );
    return r && { seq: Number(r.seq), version: { time: Number(r.t), counter: Number(r.c), nodeId: String(r.n) } };
  }

  count(): number {
    return Number(this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM contracts')?.n ?? 0);
  }

  /**
   * Insert or replace the record and give it the next local change sequence. `originPeer`
   * (the peer it came from, null if made here) is kept as the first introducer and recorded
   * as the source of this version. Returns the change sequence.
   */
  put(record: ContractRecord, originPeer: string | null, encoded: EncodedRecord = this.encode(record)): number {
    this.#lastChangeSeq ??= Number(this.store.get<{ n: number | null }>('SELECT MAX(change_seq) AS n FROM contracts')?.n ?? 0);
    const next = this.#lastChangeSeq + 1;
    // Sources are immutable per hash: written the first time only (a read is not logged; an
    // INSERT OR IGNORE would put the whole source in the write-ahead log every time).
    if (!this.store.get('SELECT 1 AS x FROM contract_sources WHERE source_hash = ?', [record.sourceHash])) {
      this.store.run('INSERT INTO contract_sources (source_hash, source_json) VALUES (?, ?)', [record.sourceHash, JSON.stringify(record.source)]);
    }
    this.store.run(
      `INSERT INTO contracts (address, record, name, version_time, version_counter, version_node, state_hash, seq,
                              change_seq, origin_peer, size_bytes, updated_at, source_peer, source_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(address) DO UPDATE SET record = excluded.record, version_time = excluded.version_time,
         version_counter = excluded.version_counter, version_node = excluded.version_node,
         state_hash = excluded.state_hash, seq = excluded.seq, change_seq = excluded.change_seq,
         size_bytes = excluded.size_bytes, updated_at = excluded.updated_at, source_peer = excluded.source_peer`,
      [
        record.address,
        encoded.json,
        record.name,
        record.version.time,
        record.version.counter,
        record.version.nodeId,
        record.stateHash,
        record.seq,
        next,
        originPeer,
        encoded.size,
        record.updatedAt,
        originPeer,
        record.sourceHash,
      ],
    );
    this.#lastChangeSeq = next;
    return next;
  }

  /**
   * The stored form of a record (its JSON without the source) and its size on the wire with
   * the source (bytes, within a few of the exact JSON size: used by the per-peer caps).
   */
  encode(record: ContractRecord): EncodedRecord {
    const { source, ...rest } = record;
    const json = JSON.stringify(rest);
    return { json, size: Buffer.byteLength(json) + Buffer.byteLength(source) + 12 };
  }


  /**
   * Records changed after `cursor` in change order, at most `limit` of them and, past the
   * first, at most `maxBytes` of record JSON. Records whose current version came from
   * `skipSource` are passed over (it has them) but still move the cursor. `cursor` of the
   * answer is the change sequence of the last record looked at (or the input cursor when
   * none); `more` tells if others follow.
   */
  changedSince(cursor: number, limit: number, maxBytes: number, skipSource: string | null = null): { records: string[]; cursor: number; more: boolean } {
    const rows = this.store.all<ContractRow>(`${SELECT_RECORD} WHERE change_seq > ? ORDER BY change_seq LIMIT ?`, [
      cursor,
      limit + 1,
    ]);
    const records: string[] = [];
    let bytes = 0;
    let last = cursor;
    for (const row of rows.slice(0, limit)) {
      if (skipSource !== null && row.source_peer === skipSource) {
        last = row.change_seq;
        continue;
      }
      const text = this.#recordText(row);
      const size = Buffer.byteLength(text);
      if (records.length > 0 && bytes + size > maxBytes) return { records, cursor: last, more: true };
      records.push(text);
      bytes += size;
      last = row.change_seq;
    }
    return { records, cursor: last, more: rows.length > limit };
  }

  /** Count and bytes of the records each peer brought first. */
  usageByOrigin(): Map<string, OriginUsage> {
    const usage = new Map<string, OriginUsage>();
    for (const r of this.store.all<{ origin_peer: string; n: number; b: number }>(
      'SELECT origin_peer, COUNT(*) AS n, SUM(size_bytes) AS b FROM contracts WHERE origin_peer IS NOT NULL GROUP BY origin_peer',
    )) {
      usage.set(r.origin_peer, { count: Number(r.n), bytes: Number(r.b) });
    }
    return usage;
  }
}

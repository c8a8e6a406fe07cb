import { constants as fsConstants, promises as fs } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The store's write-ahead log: file format, encoding of logged statements, and the file
 * handle that appends records. The Store decides what goes in and when (see store.ts).
 *
 * File format (all integers big-endian):
 * ```
 * header, 24 bytes
 *   0   8  magic "PLXSWAL1" (ASCII)
 *   8   4  u32 format version (1)
 *   12  8  u64 checkpoint number: the image checkpoint these records apply to
 *   20  4  u32 crc32 of bytes 0..19
 * then records, one per group commit, back to back
 *   0   4  u32 payload length L (>= 4)
 *   4   4  u32 crc32 of the 4 length bytes followed by the payload (zlib.crc32)
 *   8   L  payload
 * payload
 *   u32 statement count, then per statement:
 *   u8  kind: 0 no parameters (the SQL may hold several statements), 1 positional, 2 named
 *   u32 SQL reference: index in this record's SQL table; equal to the table's size, it is
 *       followed by u32 byte length + UTF-8 text, which becomes that entry
 *   kind 1: u32 n, then n values; kind 2: u32 n, then n × (u32 length + UTF-8 name, value)
 * value: u8 tag, then 0 null | 1 f64 | 2 u32 length + UTF-8 text | 3 u32 length + blob bytes
 *   | 4 u32 length + ASCII decimal (bigint) | 5 i32
 * ```
 */
export const LOG_MAGIC = Buffer.from('PLXSWAL1', 'latin1');
export const LOG_FORMAT_VERSION = 1;
export const LOG_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 8;

/** A value bound to a logged statement: what sql.js binds, booleans and undefined normalised. */
export type SqlValue = null | number | string | bigint | Uint8Array;
export type LoggedParams = SqlValue[] | { [name: string]: SqlValue } | undefined;
/** One committed write statement with its bound parameters, as replayed at open. */
export interface LoggedStatement {
  sql: string;
  params: LoggedParams;
}

/**
 * Copy `params` into the form that is logged; throws TypeError for a value sql.js would not
 * bind, before anything is executed. Blobs are copied so a later change by the caller
 * cannot alter what is logged.
 */
export function normaliseParams(params: unknown): LoggedParams {
  if (params === undefined || params === null) return undefined;
  if (Array.isArray(params)) return params.map(normaliseValue);
  if (typeof params === 'object') {
    const out: { [name: string]: SqlValue } = {};
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) out[k] = normaliseValue(v);
    return out;
  }
  throw new TypeError(`bound parameters must be an array or an object, not ${typeof params}`);
}

function normaliseValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'bigint':
      return v;
    case 'boolean':
      return v ? 1 : 0;
  }
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new TypeError(`cannot bind a ${Object.prototype.toString.call(v)} to SQL`);
}

/** The 24-byte header of a log whose records apply to image checkpoint `checkpoint`. */
export function encodeHeader(checkpoint: number): Buffer {
  const b = Buffer.alloc(LOG_HEADER_BYTES);
  LOG_MAGIC.copy(b, 0);
  b.writeUInt32BE(LOG_FORMAT_VERSION, 8);
  b.writeBigUInt64BE(BigInt(checkpoint), 12);
  b.writeUInt32BE(crc32(b.subarray(0, 20)), 20);
  return b;
}

class Writer {
  buf = Buffer.allocUnsafe(1024);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.len);
    this.len += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.len);
    this.len += 8;
  }
  str(s: string): void {
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.len + 4, 'utf8');
    this.buf.writeUInt32BE(n, this.len);
    this.len += 4 + n;
  }
  bytes(b: Uint8Array): void {
    this.ensure(4 + b.byteLength);
    this.buf.writeUInt32BE(b.byteLength, this.len);
    this.buf.set(b, this.len + 4);
    this.len += 4 + b.byteLength;
  }
  value(v: SqlValue): void {
    if (v === null) this.u8(0);
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)) {
        this.u8(5);
        this.i32(v);
      } else {
        this.u8(1);
        this.f64(v);
      }
    } else if (typeof v === 'string') {
      this.u8(2);
      this.str(v);
    } else if (typeof v === 'bigint') {
      this.u8(4);
      this.str(v.toString());
    } else {
      this.u8(3);
      this.bytes(v);
    }
  }
}

/** One whole record (length, checksum, payload) holding `statements` in order. */
export function encodeRecord(statements: readonly LoggedStatement[]): Buffer {
  const w = new Writer();
  w.len = RECORD_HEADER_BYTES;
  w.u32(statements.length);
  const sqlTable = new Map<string, number>();
  for (const { sql, params } of statements) {
    w.u8(params === undefined ? 0 : Array.isArray(params) ? 1 : 2);
    const ref = sqlTable.get(sql);
    if (ref !== undefined) w.u32(ref);
    else {
      w.u32(sqlTable.size);
      sqlTable.set(sql, sqlTable.size);
      w.str(sql);
    }
    if (params === undefined) continue;
    if (Array.isArray(params)) {
      w.u32(params.length);
      for (const v of params) w.value(v);
    } else {
      const entries = Object.entries(params);
      w.u32(entries.length);
      for (const [k, v] of entries) {
        w.str(k);
        w.value(v);
      }
    }
  }
  const frame = w.buf.subarray(0, w.len);
  const length = w.len - RECORD_HEADER_BYTES;
  frame.writeUInt32BE(length, 0);
  frame.writeUInt32BE(crc32(frame.subarray(RECORD_HEADER_BYTES), crc32(frame.subarray(0, 4))), 4);
  return frame;
}

/** The statements of one record's payload. @throws Error when the payload is malformed. */
export function decodeRecord(payload: Buffer): LoggedStatement[] {
  let p = 0;
  const need = (n: number): void => {
    if (p + n > payload.length) throw new Error(`payload ends at byte ${payload.length}, ${n} more expected at ${p}`);
  };
  const u8 = (): number => (need(1), payload[p++]!);
  const u32 = (): number => (need(4), (p += 4), payload.readUInt32BE(p - 4));
  const str = (): string => {
    const n = u32();
    need(n);
    p += n;
    return payload.toString('utf8', p - n, p);
  };
  const value = (): SqlValue => {
    const tag = u8();
    switch (tag) {
      case 0:
        return null;
      case 1:
        need(8);
        p += 8;
        return payload.readDoubleBE(p - 8);
      case 2:
        return str();
      case 3: {
        const n = u32();
        need(n);
        p += n;
        return new Uint8Array(payload.subarray(p - n, p));
      }
      case 4:
        return BigInt(str());
      case 5:
        need(4);
        p += 4;
        return payload.readInt32BE(p - 4);
      default:
        throw new Error(`unknown value tag ${tag} at byte ${p - 1}`);
    }
  };
  const count = u32();
  const sqlTable: string[] = [];
  const out: LoggedStatement[] = [];
  for (let i = 0; i < count; i++) {
    const kind = u8();
    const ref = u32();
    if (ref === sqlTable.length) sqlTable.push(str());
    else if (ref > sqlTable.length) throw new Error(`SQL reference ${ref} beyond the table (${sqlTable.length})`);
    const sql = sqlTable[ref]!;
    if (kind === 0) out.push({ sql, params: undefined });
    else if (kind === 1) {
      const n = u32();
      const params: SqlValue[] = [];
      for (let j = 0; j < n; j++) params.push(value());
      out.push({ sql, params });
    } else if (kind === 2) {
      const n = u32();
      const params: { [name: string]: SqlValue } = {};
      for (let j = 0; j < n; j++) params[str()] = value();
      out.push({ sql, params });
    } else throw new Error(`unknown statement kind ${kind}`);
  }
  if (p !== payload.length) throw new Error(`${payload.length - p} bytes left after ${count} statements`);
  return out;
}

/** What a log file holds, read without changing it. */
export interface LogScan {
  /** Image checkpoint the records apply to; -1 when the header is unreadable. */
  checkpoint: number;
  /** Complete records with a valid checksum, in order: their offset in the file and payload. */
  records: Array<{ offset: number; payload: Buffer }>;
  /** Bytes of header + valid records: where the next record goes. */
  validBytes: number;
  /** A bad or incomplete last record with nothing valid after it: the bytes to truncate. */
  torn?: { offset: number; bytes: number; reason: string };
  /** A bad record followed by valid data, or a bad header: the log cannot be used as is. */
  corrupt?: { offset: number; reason: string };
}

/** Read the header and every record of a log image, checking lengths and checksums. */
export function scanLog(buf: Buffer): LogScan {
  const header = checkHeader(buf);
  if (typeof header === 'string') return { checkpoint: -1, records: [], validBytes: 0, corrupt: { offset: 0, reason: header } };
  const records: LogScan['records'] = [];
  let off = LOG_HEADER_BYTES;
  while (off < buf.length) {
    const reason = checkFrame(buf, off);
    if (reason !== null) {
      if (validFrameAfter(buf, off + 1)) return { checkpoint: header, records, validBytes: off, corrupt: { offset: off, reason } };
      return { checkpoint: header, records, validBytes: off, torn: { offset: off, bytes: buf.length - off, reason } };
    }
    const length = buf.readUInt32BE(off);
    records.push({ offset: off, payload: buf.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + length) });
    off += RECORD_HEADER_BYTES + length;
  }
  return { checkpoint: header, records, validBytes: off };
}

function checkHeader(buf: Buffer): number | string {
  if (buf.length < LOG_HEADER_BYTES) return `the header is incomplete (${buf.length} of ${LOG_HEADER_BYTES} bytes)`;
  if (!buf.subarray(0, 8).equals(LOG_MAGIC)) return 'not a Plexus store log (bad magic)';
  if (buf.readUInt32BE(20) !== crc32(buf.subarray(0, 20))) return 'header checksum mismatch';
  const version = buf.readUInt32BE(8);
  if (version !== LOG_FORMAT_VERSION) return `log format version ${version}, this Plexus reads ${LOG_FORMAT_VERSION}`;
  return Number(buf.readBigUInt64BE(12));
}

/** null when a complete record with a valid checksum starts at `off`, else why not. */
function checkFrame(buf: Buffer, off: number): string | null {
  if (buf.length - off < RECORD_HEADER_BYTES) return `incomplete record header (${buf.length - off} bytes)`;
  const length = buf.readUInt32BE(off);
  if (length < 4) return `record length ${length} too small`;
  if (off + RECORD_HEADER_BYTES + length > buf.length) return `record of ${length} bytes runs past the end of the file`;
  const sum = crc32(buf.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + length), crc32(buf.subarray(off, off + 4)));
  return sum === buf.readUInt32BE(off + 4) ? null : 'checksum mismatch';
}

/** Whether a valid record starts anywhere from `from` on (a torn tail has none). */
function validFrameAfter(buf: Buffer, from: number): boolean {
  for (let p = from; p + RECORD_HEADER_BYTES + 4 <= buf.length; p++) {
    const length = buf.readUInt32BE(p);
    if (length < 4 || p + RECORD_HEADER_BYTES + length > buf.length) continue;
    if (checkFrame(buf, p) === null) return true;
  }
  return false;
}

/**
 * An open log file that records are appended to, each durable when `append` resolves: the
 * file is opened with O_DSYNC where the platform has it (one write that returns once the data
 * and the new size are on disk: one thread-pool round trip), else each write is followed by
 * an fdatasync.
 */
const DSYNC: number | undefined = fsConstants.O_DSYNC;

export class LogFile {
  path: string;
  readonly checkpoint: number;
  #handle: fs.FileHandle;
  #size: number;
  #records: number;

  private constructor(path: string, checkpoint: number, handle: fs.FileHandle, size: number, records: number) {
    this.path = path;
    this.checkpoint = checkpoint;
    this.#handle = handle;
    this.#size = size;
    this.#records = records;
  }

  /** Open an existing, already checked log to append at `size` (bytes). */
  static async open(path: string, checkpoint: number, size: number, records: number): Promise<LogFile> {
    const handle = await fs.open(path, DSYNC === undefined ? 'r+' : fsConstants.O_RDWR | DSYNC);
    return new LogFile(path, checkpoint, handle, size, records);
  }

  /** File size in bytes (header + records). */
  get size(): number {
    return this.#size;
  }

  /** Records in the file. */
  get records(): number {
    return this.#records;
  }

  /** Append one record and fdatasync; on failure the file is cut back to its previous size. */
  async append(frame: Uint8Array): Promise<void> {
    try {
      await this.#handle.write(frame, 0, frame.byteLength, this.#size);
      if (DSYNC === undefined) await this.#handle.datasync();
    } catch (err) {
      await this.#handle.truncate(this.#size).catch(() => undefined);
      throw err;
    }
    this.#size += frame.byteLength;
    this.#records++;
  }

  async close(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
  }
}

import { promises as fs } from 'node:fs';
import type { Peer } from '../peers/index.js';
import { delay } from '../util/timers.js';
import { BLOCK_HEADER_BYTES, BLOCK_SIZE, FRAME_BLOCK, SEND_HIGH_WATER_BYTES } from './constants.js';

/** Pieces kept in memory by a seeder (at 256 KiB pieces, 4 MiB). */
const PIECE_CACHE_SIZE = 16;
/** Pieces larger than this are read block by block rather than cached whole. */
const MAX_CACHED_PIECE_BYTES = 4 * 1024 * 1024;
import type { BlockRef } from './download.js';

interface Job {
  fileId: string;
  block: BlockRef;
  path: string;
  pieceLength: number;
}

/**
 * Serves requested blocks: one queue per peer, blocks read from the file at their offset
 * and sent as binary frames (layout in encodeBlockFrame). An optional upload rate limit
 * (token bucket, bytes/s, shared by all peers) and the socket's buffer (backpressure) pace
 * the sending. `cancel` removes a block still queued.
 */
export class Seeder {
  readonly #rate: number | null;
  readonly #queues = new Map<string, Job[]>();
  readonly #workers = new Map<string, Promise<void>>();
  readonly #handles = new Map<string, Promise<fs.FileHandle>>();
  /**
   * Recently read pieces, "path:piece" -> bytes. Downloaders ask for a piece's blocks
   * together, so one read serves all of them instead of one thread-pool read per block.
   */
  readonly #pieces = new Map<string, Buffer>();
  #tokens = 0;
  #refilledAt = performance.now();
  #stopped = false;
  bytesSent = 0;

  /** `rateBytesPerSec`: upload limit for the whole node, or null for none. */
  constructor(rateBytesPerSec: number | null) {
    this.#rate = rateBytesPerSec;
    this.#tokens = rateBytesPerSec ?? 0;
  }

  enqueue(peer: Peer, job: Job): void {
    if (this.#stopped) return;
    let queue = this.#queues.get(peer.nodeId);
    if (!queue) this.#queues.set(peer.nodeId, (queue = []));
    queue.push(job);
    // The worker leaves #workers in the same tick it sees an empty queue, so a block
    // queued after that always starts a new one.
    // Registered before it runs (a microtask later), so its own exit always finds itself.
    if (!this.#workers.has(peer.nodeId)) this.#workers.set(peer.nodeId, Promise.resolve().then(() => this.#work(peer)));
  }

  /** Blocks queued for a peer. */
  queued(peerId: string): number {
    return this.#queues.get(peerId)?.length ?? 0;
  }

  /** Withdraw a queued block; false when it was already sent (or never asked). */
  cancel(peerId: string, fileId: string, block: BlockRef): boolean {
    const queue = this.#queues.get(peerId);
    const i = queue?.findIndex((j) => j.fileId === fileId && j.block.piece === block.piece && j.block.offset === block.offset) ?? -1;
    if (i < 0) return false;
    queue!.splice(i, 1);
    return true;
  }

  /** Forget a peer's queue (it disconnected). */
  dropPeer(peerId: string): void {
    this.#queues.delete(peerId);
  }

  /**
   * Stop serving a file (e.g. it was unshared): drop its queued blocks and close its handle.
   * Returns the dropped blocks, so their requesters can be told.
   */
  async forget(path: string): Promise<Array<{ peerId: string; fileId: string; block: BlockRef }>> {
    const dropped: Array<{ peerId: string; fileId: string; block: BlockRef }> = [];
    for (const key of [...this.#pieces.keys()]) if (key.startsWith(`${path}:`)) this.#pieces.delete(key);
    for (const [peerId, queue] of this.#queues) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i]!.path !== path) continue;
        dropped.push({ peerId, fileId: queue[i]!.fileId, block: queue[i]!.block });
        queue.splice(i, 1);
      }
    }
    const handle = this.#handles.get(path);
    this.#handles.delete(path);
    await (await handle?.catch(() => undefined))?.close().catch(() => undefined);
    return dropped;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queues.clear();
    this.#pieces.clear();
    await Promise.allSettled([...this.#workers.values()]);
    for (const handle of this.#handles.values()) await (await handle.catch(() => undefined))?.close().catch(() => undefined);
    this.#handles.clear();
  }

  async #work(peer: Peer): Promise<void> {
    const queue = this.#queues.get(peer.nodeId);
    for (;;) {
      // Checked and left in one synchronous step: no block can slip in between.
      if (this.#stopped || !queue || queue.length === 0 || this.#queues.get(peer.nodeId) !== queue || !peer.connection.isOpen) {
        this.#workers.delete(peer.nodeId);
        return;
      }
      const job = queue.shift()!;
      const conn = peer.connection;
      while (conn.bufferedAmount > SEND_HIGH_WATER_BYTES && conn.isOpen && !this.#stopped) await delay(2);
      await this.#spend(job.block.length);
      if (this.#stopped) continue;
      const frame = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + job.block.length);
      writeBlockHeader(frame, job.fileId, job.block.piece, job.block.offset);
      try {
        const data = await this.#blockData(job);
        if (!data) continue; // the file shrank: the requester asks elsewhere
        data.copy(frame, BLOCK_HEADER_BYTES);
        if (!conn.isOpen || this.#stopped) continue;
        conn.sendBinary(frame);
        this.bytesSent += job.block.length;
      } catch {
        // unreadable file or closed socket: nothing to send
      }
    }
  }

  /**
   * A job's block: cut from its piece, which is read whole once and kept among the last
   * PIECE_CACHE_SIZE (huge pieces: the block alone is read). null when the file is shorter.
   */
  async #blockData(job: Job): Promise<Buffer | null> {
    const { piece, offset, length } = job.block;
    const handle = await this.#handle(job.path);
    if (job.pieceLength > MAX_CACHED_PIECE_BYTES) {
      const block = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(block, 0, length, piece * job.pieceLength + offset);
      return bytesRead === length ? block : null;
    }
    const key = `${job.path}:${piece}`;
    let bytes = this.#pieces.get(key);
    if (!bytes) {
      const buffer = Buffer.allocUnsafe(job.pieceLength);
      const { bytesRead } = await handle.read(buffer, 0, job.pieceLength, piece * job.pieceLength);
      bytes = buffer.subarray(0, bytesRead);
      if (this.#pieces.size >= PIECE_CACHE_SIZE) this.#pieces.delete(this.#pieces.keys().next().value!);
      this.#pieces.set(key, bytes);
    }
    return bytes.length >= offset + length ? bytes.subarray(offset, offset + length) : null;
  }

  #handle(path: string): Promise<fs.FileHandle> {
    let handle = this.#handles.get(path);
    if (!handle) {
      handle = fs.open(path, 'r');
      handle.catch(() => this.#handles.delete(path));
      this.#handles.set(path, handle);
    }
    return handle;
  }

  /**
   * Wait until the token bucket holds `bytes`. The bucket holds one second of rate, and at
   * least one block, so that a rate below 16 KiB/s still sends (slowly). Gives up on stop().
   */
  async #spend(bytes: number): Promise<void> {
    if (this.#rate === null) return;
    const capacity = Math.max(this.#rate, BLOCK_SIZE);
    while (!this.#stopped) {
      const now = performance.now();
      this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#rate);
      this.#refilledAt = now;
      if (this.#tokens >= bytes) {
        this.#tokens -= bytes;
        return;
      }
      await delay(Math.min(250, Math.max(1, Math.ceil(((bytes - this.#tokens) / this.#rate) * 1000))));
    }
  }
}

/**
 * Binary block frame (all integers big-endian):
 *
 *   offset 0   u8        0x01 (FRAME_BLOCK)
 *   offset 1   32 bytes  file ID (the raw SHA-256, not hex)
 *   offset 33  u32       piece index
 *   offset 37  u32       byte offset of the block within the piece
 *   offset 41  ...       block data (1 to 16384 bytes)
 */
export function writeBlockHeader(frame: Buffer, fileId: string, piece: number, offset: number): void {
  frame[0] = FRAME_BLOCK;
  frame.write(fileId, 1, 32, 'hex');
  frame.writeUInt32BE(piece, 33);
  frame.writeUInt32BE(offset, 37);
}

/** Parse a block frame; null when it is not one (wrong kind or too short). */
export function decodeBlockFrame(frame: Buffer): { fileId: string; piece: number; offset: number; data: Buffer } | null {
  if (frame.length <= BLOCK_HEADER_BYTES || frame[0] !== FRAME_BLOCK) return null;
  return {
    fileId: frame.toString('hex', 1, 33),
    piece: frame.readUInt32BE(33),
    offset: frame.readUInt32BE(37),
    data: frame.subarray(BLOCK_HEADER_BYTES),
  };
}

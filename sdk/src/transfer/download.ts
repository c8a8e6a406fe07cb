import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { TypedEmitter } from '../events.js';
import { Bitfield } from './bitfield.js';
import {
  BAD_PIECE_PENALTY,
  BLOCK_SIZE,
  MAX_PIPELINE,
  MIN_PIPELINE,
  PIPELINE_SECONDS,
  PROGRESS_INTERVAL_MS,
  SNUB_TIMEOUT_MS,
} from './constants.js';
import { type FileManifest, pieceSize } from './manifest.js';
import { Rarity } from './rarity.js';

/** One block of one piece: `offset` and `length` in bytes within the piece. */
export interface BlockRef {
  piece: number;
  offset: number;
  length: number;
}

/**
 * What a download needs from the network, whatever the wire protocol underneath (the Plexus
 * messages now; BitTorrent's peer wire protocol could be another adapter). Named after BEP 3.
 */
export interface TransferWire {
  /** Ask `peerId` for a block; the block comes back through Download.onBlock. May throw if the peer is gone. */
  request(peerId: string, fileId: string, block: BlockRef): void;
  /** Withdraw an earlier request. */
  cancel(peerId: string, fileId: string, block: BlockRef): void;
  /** Tell interested peers we now have (verified) a piece. */
  have(fileId: string, piece: number): void;
  /** Count misbehaviour against a peer (a corrupt block). */
  penalize(peerId: string, code: string, message: string, points: number): void;
}

export interface DownloadInit {
  /** A peer with requests out and no block for this long is snubbed (ms). Default SNUB_TIMEOUT_MS. */
  snubTimeoutMs?: number;
  minPipeline?: number;
  maxPipeline?: number;
  /** Pipeline depth holds this much of the peer's measured rate (s). */
  pipelineSeconds?: number;
  /** Progress events and snub checks every this many ms. */
  progressIntervalMs?: number;
  /** Most peers asked for the same block in endgame mode. */
  endgameMaxHolders?: number;
}

export type DownloadStatus = 'checking' | 'downloading' | 'complete' | 'stopped';

/** Progress of a download (bytes; rates in bytes/s; times in ms). */
export interface DownloadProgress {
  id: string;
  fileId: string;
  name: string;
  outPath: string;
  status: DownloadStatus;
  /** Bytes in verified pieces. */
  bytes: number;
  /** Bytes already verified when this download (re)started: what a resume did not fetch again. */
  resumedBytes: number;
  total: number;
  /** Bytes per second over the last progress interval, smoothed. */
  rate: number;
  /** Peers that have at least one piece we lack or have, known for this file. */
  peers: number;
  /** Peers that sent a block during the last interval. */
  activePeers: number;
  pieces: number;
  piecesTotal: number;
  etaMs: number | null;
  endgame: boolean;
  /** Recoveries: a peer vanished or was snubbed while holding block reservations. */
  recovery: { recoveries: number; blocksRecovered: number; avgRerequestMs: number | null; avgRecoveryMs: number | null };
  /** Blocks received that were not needed (endgame duplicates, late answers). */
  wastedBytes: number;
  perPeer: Array<{ nodeId: string; bytes: number; rate: number; inFlight: number; snubbed: boolean; pieces: number }>;
}

export interface DownloadEvents {
  progress: DownloadProgress;
  piece: { piece: number; from: string[] };
  /** A piece failed its hash check and will be fetched again. */
  'bad-piece': { piece: number; from: string[] };
  /** A peer's blocks were shown to be the corrupt ones (once a good copy of the piece arrived). */
  'bad-peer': { nodeId: string; piece: number; blocks: number };
  /** A peer was snubbed (no block for snubTimeoutMs with requests out). */
  snubbed: { nodeId: string; blocks: number };
  /** All blocks a lost peer held were re-requested / received from others. */
  recovered: { nodeId: string; blocks: number; rerequestMs: number; recoveryMs: number };
  complete: DownloadProgress & { ms: number };
}

interface BlockState {
  received: boolean;
  /** The reservation table: peers that hold (were asked for) this block, with when. */
  holders: Map<string, number>;
  /** Who delivered it, for blame when the piece fails its hash. */
  source: string | null;
}

interface PieceState {
  index: number;
  size: number;
  buffer: Buffer;
  blocks: BlockState[];
  received: number;
  /** Peers that contributed to a failed attempt: asked only when nobody else has the piece. */
  suspects: Set<string>;
  /** Failed attempts kept until a good copy shows which blocks were bad. */
  failed: Array<{ buffer: Buffer; sources: Array<string | null> }>;
  writing: boolean;
}

interface PeerState {
  id: string;
  bitfield: Bitfield;
  /** Blocks requested from this peer and not yet received: key -> sent at. */
  inFlight: Map<string, BlockRef>;
  /** When it last delivered, or when its current wait began. */
  lastActivity: number;
  bytes: number;
  bytesThisTick: number;
  rate: number;
  snubbed: boolean;
  /** Sent data shown to be corrupt: never asked again in this download. */
  bad: boolean;
}

interface Recovery {
  nodeId: string;
  startedAt: number;
  unrequested: Set<string>;
  unreceived: Set<string>;
  rerequestedAt: number | null;
  total: number;
}

const key = (piece: number, block: number): string => `${piece}:${block}`;

/**
 * Verified pieces are reported (and so recorded in the store) at most this often (ms): a
 * crash loses at most this much verification work, and large downloads do not rewrite their
 * row for every piece.
 */
const VERIFIED_REPORT_MS = 200;

/**
 * One file being downloaded from many peers at once.
 *
 * Pieces are split into 16 KiB blocks. A reservation table records which peers hold which
 * block. Each peer keeps a pipeline of requests in flight sized from its measured rate.
 * Picking, for a peer with room in its pipeline: first the missing blocks of pieces already
 * started (so blocks of one piece spread round robin over every peer that has it), then a
 * new piece, rarest first across peers (ties random); once nothing is left unrequested,
 * endgame: blocks already requested elsewhere are asked of this peer too, and the losers
 * cancelled when one arrives (BEP 3; "endgame" as in libtorrent and webtorrent).
 *
 * A peer that disconnects, or is snubbed (nothing delivered for snubTimeoutMs with requests
 * out), gives back every block it held at once; they are re-requested from the others
 * straight away, with no guard against "duplicate" downloads in the way. A piece is complete
 * when all its blocks arrived and its SHA-256 matches; then it is written to the target
 * file at its offset and announced with `have`. A piece that fails is thrown away and fetched
 * again, preferring other peers; when a good copy arrives, the blocks that differed name
 * the peer that sent them, which is penalised and not asked again.
 */
export class Download extends TypedEmitter<DownloadEvents> {
  readonly id: string;
  readonly manifest: FileManifest;
  readonly outPath: string;
  readonly verified: Bitfield;
  readonly #wire: TransferWire;
  readonly #onVerified: (verified: Bitfield) => void;
  readonly #recheck: boolean;
  readonly #scanExisting: boolean;
  readonly #snubTimeoutMs: number;
  readonly #minPipeline: number;
  readonly #maxPipeline: number;
  readonly #pipelineSeconds: number;
  readonly #intervalMs: number;
  readonly #endgameMaxHolders: number;
  readonly #rarity: Rarity;
  readonly #pieces = new Map<number, PieceState>();
  readonly #peers = new Map<string, PeerState>();
  readonly #recoveries: Recovery[] = [];
  readonly #recoveryStats = { recoveries: 0, blocksRecovered: 0, rerequestMs: [] as number[], recoveryMs: [] as number[] };
  #handle: fs.FileHandle | undefined;
  #status: DownloadStatus = 'checking';
  #timer: NodeJS.Timeout | undefined;
  #rate = 0;
  #bytesThisTick = 0;
  #lastTick = performance.now();
  #wasted = 0;
  #startedAt = performance.now();
  #completing: Promise<void> | undefined;
  #resumedBytes = 0;
  /** Pending report of verified pieces (throttled: at most one per VERIFIED_REPORT_MS). */
  #reportTimer: NodeJS.Timeout | undefined;

  constructor(
    id: string,
    manifest: FileManifest,
    outPath: string,
    wire: TransferWire,
    options: { verified?: Bitfield; onVerified?: (verified: Bitfield) => void; recheck?: boolean; scanExisting?: boolean } & DownloadInit = {},
  ) {
    super();
    this.id = id;
    this.manifest = manifest;
    this.outPath = outPath;
    this.#wire = wire;
    this.verified = options.verified ?? new Bitfield(manifest.pieces.length);
    this.#onVerified = options.onVerified ?? (() => undefined);
    this.#recheck = options.recheck ?? true;
    this.#scanExisting = options.scanExisting ?? false;
    this.#snubTimeoutMs = options.snubTimeoutMs ?? SNUB_TIMEOUT_MS;
    this.#minPipeline = options.minPipeline ?? MIN_PIPELINE;
    this.#maxPipeline = options.maxPipeline ?? MAX_PIPELINE;
    this.#pipelineSeconds = options.pipelineSeconds ?? PIPELINE_SECONDS;
    this.#intervalMs = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
    this.#endgameMaxHolders = options.endgameMaxHolders ?? 3;
    this.#rarity = new Rarity(manifest.pieces.length);
  }

  get status(): DownloadStatus {
    return this.#status;
  }

  get fileId(): string {
    return this.manifest.id;
  }

  /**
   * Open (or create) the target file and, unless `recheck` is off (a download completed
   * earlier, only served from now on; its readers verify every piece anyway), re-check the
   * pieces recorded as verified, so that a resumed download trusts only what is on disk.
   * Then start asking peers.
   */
  async start(): Promise<void> {
    const size = this.manifest.size;
    try {
      this.#handle = await fs.open(this.outPath, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#handle = await fs.open(this.outPath, 'w+');
    }
    // A new download into a file of the right size: keep every piece already there (like a
    // BitTorrent client's "check existing data").
    const scan = this.#scanExisting && (await this.#handle.stat()).size === size;
    if ((await this.#handle.stat()).size !== size) await this.#handle.truncate(size);
    const buffer = Buffer.allocUnsafe(this.manifest.pieceLength);
    let dropped = false;
    for (let i = 0; i < this.manifest.pieces.length && scan; i++) {
      const length = pieceSize(this.manifest, i);
      await this.#handle.read(buffer, 0, length, i * this.manifest.pieceLength);
      if (createHash('sha256').update(buffer.subarray(0, length)).digest('hex') === this.manifest.pieces[i]) this.verified.set(i);
    }
    if (scan) dropped = true; // record what the scan found
    for (let i = 0; i < this.manifest.pieces.length && this.#recheck && !scan; i++) {
      if (!this.verified.get(i)) continue;
      const length = pieceSize(this.manifest, i);
      await this.#handle.read(buffer, 0, length, i * this.manifest.pieceLength);
      if (createHash('sha256').update(buffer.subarray(0, length)).digest('hex') !== this.manifest.pieces[i]) {
        this.verified.clear(i);
        dropped = true;
      }
    }
    if (dropped) this.#onVerified(this.verified);
    this.#resumedBytes = this.#verifiedBytes();
    this.#status = 'downloading';
    this.#startedAt = performance.now();
    this.#schedule();
    if (this.verified.complete) await this.#complete();
    else this.#fillAll();
  }

  /** Stop: cancel what is in flight, close the file. Verified pieces stay recorded. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    const wasComplete = this.#status === 'complete';
    this.#status = wasComplete ? 'complete' : 'stopped';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const peer of this.#peers.values()) {
      for (const block of peer.inFlight.values()) this.#safe(() => this.#wire.cancel(peer.id, this.fileId, block));
      peer.inFlight.clear();
    }
    await this.#completing;
    if (this.#reportTimer) this.#flushVerified();
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
  }

  /** A peer told us which pieces it has (its bitfield). */
  addPeer(peerId: string, bitfield: Bitfield): void {
    const existing = this.#peers.get(peerId);
    if (existing) this.#rarity.remove(existing.bitfield);
    this.#rarity.add(bitfield);
    this.#peers.set(peerId, {
      id: peerId,
      bitfield,
      inFlight: existing?.inFlight ?? new Map(),
      lastActivity: Date.now(),
      bytes: existing?.bytes ?? 0,
      bytesThisTick: 0,
      rate: existing?.rate ?? 0,
      snubbed: false,
      bad: existing?.bad ?? false,
    });
    this.#fill(this.#peers.get(peerId)!);
  }

  /** Whether `peerId` is one of this download's sources. */
  hasPeer(peerId: string): boolean {
    return this.#peers.has(peerId);
  }

  /** Whether `peerId` is a source with at least one piece we still need. */
  isUsefulSource(peerId: string): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer || peer.bad) return false;
    for (let i = 0; i < this.manifest.pieces.length; i++) if (peer.bitfield.get(i) && !this.verified.get(i)) return true;
    return false;
  }

  /** A peer got a new piece. */
  onHave(peerId: string, piece: number): void {
    const peer = this.#peers.get(peerId);
    if (!peer || piece < 0 || piece >= this.manifest.pieces.length || peer.bitfield.get(piece)) return;
    peer.bitfield.set(piece);
    this.#rarity.increment(piece);
    this.#fill(peer);
  }

  /**
   * A peer is gone (disconnected, refused us, or stopped serving this file): every block it
   * held goes back to pending at once and is asked of the others.
   */
  removePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    this.#rarity.remove(peer.bitfield);
    this.#release(peer, false);
    this.#fillAll();
  }

  /**
   * A peer refused one block (BEP 6 "reject"): the block goes back to pending and the piece
   * is no longer asked of that peer (until it announces it again with `have`).
   */
  onReject(peerId: string, block: BlockRef): void {
    const peer = this.#peers.get(peerId);
    const k = key(block.piece, block.offset / BLOCK_SIZE);
    if (!peer || !peer.inFlight.delete(k)) return;
    this.#pieces.get(block.piece)?.blocks[block.offset / BLOCK_SIZE]?.holders.delete(peerId);
    if (peer.bitfield.get(block.piece)) {
      peer.bitfield.clear(block.piece);
      this.#rarity.decrement(block.piece);
    }
    this.#fillAll();
  }

  /** A block arrived. Wrong-sized or misaligned blocks cost the sender points. */
  onBlock(peerId: string, piece: number, offset: number, data: Uint8Array): void {
    if (this.#status !== 'downloading') return;
    const state = this.#pieces.get(piece);
    const index = offset / BLOCK_SIZE;
    const peer = this.#peers.get(peerId);
    if (!state || this.verified.get(piece) || !Number.isInteger(index) || index >= (state?.blocks.length ?? 0)) {
      this.#wasted += data.byteLength;
      return;
    }
    const expected = Math.min(BLOCK_SIZE, state.size - offset);
    if (data.byteLength !== expected) {
      this.#wire.penalize(peerId, 'INVALID_BLOCK', `block ${piece}:${offset} has ${data.byteLength} bytes, expected ${expected}`, BAD_PIECE_PENALTY);
      // The request is answered, wrongly: take it back so it can go elsewhere.
      if (peer?.inFlight.delete(key(piece, index))) state.blocks[index]!.holders.delete(peerId);
      this.#fillAll();
      return;
    }
    const block = state.blocks[index]!;
    const k = key(piece, index);
    if (peer) {
      peer.inFlight.delete(k);
      peer.bytes += data.byteLength;
      peer.bytesThisTick += data.byteLength;
      peer.lastActivity = Date.now();
      peer.snubbed = false;
    }
    block.holders.delete(peerId);
    if (block.received) {
      this.#wasted += data.byteLength;
      if (peer) this.#fill(peer);
      return;
    }
    state.buffer.set(data, offset);
    block.received = true;
    block.source = peerId;
    state.received++;
    this.#bytesThisTick += data.byteLength;
    // Endgame losers: withdraw the same request from everyone else.
    for (const other of block.holders.keys()) {
      this.#peers.get(other)?.inFlight.delete(k);
      this.#safe(() => this.#wire.cancel(other, this.fileId, { piece, offset, length: expected }));
    }
    block.holders.clear();
    this.#noteReceived(k);
    if (state.received === state.blocks.length) void this.#finishPiece(state);
    if (peer) this.#fill(peer);
  }

  #verifiedBytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.manifest.pieces.length; i++) if (this.verified.get(i)) bytes += pieceSize(this.manifest, i);
    return bytes;
  }

  progress(): DownloadProgress {
    const bytes = this.#verifiedBytes();
    const remaining = this.manifest.size - bytes;
    const avg = (xs: number[]): number | null => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
    return {
      id: this.id,
      fileId: this.fileId,
      name: this.manifest.name,
      outPath: this.outPath,
      status: this.#status,
      bytes,
      resumedBytes: this.#resumedBytes,
      total: this.manifest.size,
      rate: Math.round(this.#rate),
      peers: this.#peers.size,
      activePeers: [...this.#peers.values()].filter((p) => p.rate > 0).length,
      pieces: this.verified.count,
      piecesTotal: this.manifest.pieces.length,
      etaMs: remaining === 0 ? 0 : this.#rate >= 1 ? Math.round((remaining / this.#rate) * 1000) : null,
      endgame: this.#inEndgame(),
      recovery: {
        recoveries: this.#recoveryStats.recoveries,
        blocksRecovered: this.#recoveryStats.blocksRecovered,
        avgRerequestMs: avg(this.#recoveryStats.rerequestMs),
        avgRecoveryMs: avg(this.#recoveryStats.recoveryMs),
      },
      wastedBytes: this.#wasted,
      perPeer: [...this.#peers.values()].map((p) => ({
        nodeId: p.id,
        bytes: p.bytes,
        rate: Math.round(p.rate),
        inFlight: p.inFlight.size,
        snubbed: p.snubbed,
        pieces: p.bitfield.count,
      })),
    };
  }

  // --- picking --------------------------------------------------------------------------

  #depth(peer: PeerState): number {
    if (peer.snubbed) return 1;
    const byRate = Math.ceil((peer.rate * this.#pipelineSeconds) / BLOCK_SIZE);
    return Math.max(this.#minPipeline, Math.min(this.#maxPipeline, byRate));
  }

  #fillAll(): void {
    for (const peer of this.#peers.values()) this.#fill(peer);
  }

  #fill(peer: PeerState): void {
    if (this.#status !== 'downloading' || peer.bad) return;
    const depth = this.#depth(peer);
    while (peer.inFlight.size < depth) {
      const pick = this.#pick(peer);
      if (!pick) return;
      const [state, index] = pick;
      const block: BlockRef = { piece: state.index, offset: index * BLOCK_SIZE, length: Math.min(BLOCK_SIZE, state.size - index * BLOCK_SIZE) };
      const k = key(state.index, index);
      state.blocks[index]!.holders.set(peer.id, Date.now());
      if (peer.inFlight.size === 0) peer.lastActivity = Date.now();
      peer.inFlight.set(k, block);
      this.#noteRequested(k);
      try {
        this.#wire.request(peer.id, this.fileId, block);
      } catch {
        // The peer vanished under us; its disconnect hands everything back.
        this.removePeer(peer.id);
        return;
      }
    }
  }

  /** Whether `peer` may be asked for `piece` now. Suspects only when no one else has it. */
  #usable(peer: PeerState, state: PieceState | undefined, piece: number): boolean {
    if (!peer.bitfield.get(piece) || this.verified.get(piece)) return false;
    if (!state || !state.suspects.has(peer.id)) return true;
    for (const other of this.#peers.values()) {
      if (other !== peer && !other.bad && other.bitfield.get(piece) && !state.suspects.has(other.id)) return false;
    }
    return true;
  }

  #pick(peer: PeerState): [PieceState, number] | null {
    // 1. Pieces already started: their missing, unreserved blocks.
    for (const state of this.#pieces.values()) {
      if (state.writing || !this.#usable(peer, state, state.index)) continue;
      for (let i = 0; i < state.blocks.length; i++) {
        const b = state.blocks[i]!;
        if (!b.received && b.holders.size === 0) return [state, i];
      }
    }
    // 2. A new piece, rarest first.
    let best = -1;
    let bestAvailability = Infinity;
    let ties = 0;
    for (let i = 0; i < this.manifest.pieces.length; i++) {
      if (this.#pieces.has(i) || !this.#usable(peer, undefined, i)) continue;
      const availability = this.#rarity.availability(i);
      if (availability < bestAvailability) {
        best = i;
        bestAvailability = availability;
        ties = 1;
      } else if (availability === bestAvailability && Math.random() * ++ties < 1) {
        best = i; // reservoir sampling: a uniform choice among equally rare pieces
      }
    }
    if (best >= 0) {
      const size = pieceSize(this.manifest, best);
      const state: PieceState = {
        index: best,
        size,
        buffer: Buffer.allocUnsafe(size),
        blocks: Array.from({ length: Math.ceil(size / BLOCK_SIZE) }, () => ({ received: false, holders: new Map(), source: null })),
        received: 0,
        suspects: new Set(),
        failed: [],
        writing: false,
      };
      this.#pieces.set(best, state);
      return [state, 0];
    }
    // 3. Endgame: nothing unrequested is left; ask for blocks others hold too.
    for (const state of this.#pieces.values()) {
      if (state.writing || !this.#usable(peer, state, state.index)) continue;
      for (let i = 0; i < state.blocks.length; i++) {
        const b = state.blocks[i]!;
        if (!b.received && !b.holders.has(peer.id) && b.holders.size < this.#endgameMaxHolders) return [state, i];
      }
    }
    return null;
  }

  #inEndgame(): boolean {
    if (this.#status !== 'downloading') return false;
    for (let i = 0; i < this.manifest.pieces.length; i++) if (!this.verified.get(i) && !this.#pieces.has(i)) return false;
    for (const state of this.#pieces.values()) for (const b of state.blocks) if (!b.received && b.holders.size === 0) return false;
    return true;
  }

  // --- pieces ---------------------------------------------------------------------------

  async #finishPiece(state: PieceState): Promise<void> {
    const hash = createHash('sha256').update(state.buffer).digest('hex');
    const sources = state.blocks.map((b) => b.source);
    if (hash !== this.manifest.pieces[state.index]) {
      const from = [...new Set(sources.filter((s): s is string => s !== null))];
      state.failed.push({ buffer: Buffer.from(state.buffer), sources });
      for (const s of from) state.suspects.add(s);
      for (const b of state.blocks) {
        b.received = false;
        b.source = null;
      }
      state.received = 0;
      this.emit('bad-piece', { piece: state.index, from });
      this.#fillAll();
      return;
    }
    state.writing = true;
    try {
      await this.#handle!.write(state.buffer, 0, state.size, state.index * this.manifest.pieceLength);
    } catch (err) {
      // Disk trouble: forget the piece's data and fetch it again later.
      state.writing = false;
      for (const b of state.blocks) b.received = false;
      state.received = 0;
      this.emit('bad-piece', { piece: state.index, from: [] });
      throw err;
    }
    if (this.#status !== 'downloading') return; // stopped while the piece was being written
    this.#blame(state);
    this.#pieces.delete(state.index);
    this.verified.set(state.index);
    this.#reportVerified();
    this.emit('piece', { piece: state.index, from: [...new Set(sources.filter((s): s is string => s !== null))] });
    this.#safe(() => this.#wire.have(this.fileId, state.index));
    if (this.verified.complete) await this.#complete();
    else this.#fillAll();
  }

  /** Compare failed attempts with the good piece: the peers whose blocks differ sent corrupt data. */
  #blame(good: PieceState): void {
    const culprits = new Map<string, number>();
    for (const attempt of good.failed) {
      for (let i = 0; i < good.blocks.length; i++) {
        const from = i * BLOCK_SIZE;
        const to = Math.min(from + BLOCK_SIZE, good.size);
        const source = attempt.sources[i];
        if (source && !attempt.buffer.subarray(from, to).equals(good.buffer.subarray(from, to))) culprits.set(source, (culprits.get(source) ?? 0) + 1);
      }
    }
    for (const [nodeId, blocks] of culprits) {
      const peer = this.#peers.get(nodeId);
      if (peer) {
        peer.bad = true;
        this.#release(peer, true);
      }
      this.#wire.penalize(nodeId, 'BAD_PIECE', `sent ${blocks} corrupt block(s) of piece ${good.index} of ${this.fileId.slice(0, 12)}`, BAD_PIECE_PENALTY);
      this.emit('bad-peer', { nodeId, piece: good.index, blocks });
    }
  }

  /** Report verified pieces to the owner (who records them) at most every VERIFIED_REPORT_MS. */
  #reportVerified(): void {
    // After stop() the owner may be gone; the piece is found again by the next start's check.
    if (this.#status === 'stopped') return;
    this.#reportTimer ??= setTimeout(() => this.#flushVerified(), VERIFIED_REPORT_MS);
  }

  #flushVerified(): void {
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
    this.#onVerified(this.verified);
  }

  async #complete(): Promise<void> {
    this.#completing ??= (async () => {
      this.#flushVerified();
      await this.#handle?.sync();
      this.#status = 'complete';
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#tick();
      this.emit('complete', { ...this.progress(), ms: Math.round(performance.now() - this.#startedAt) });
    })();
    return this.#completing;
  }

  // --- losses and recovery ----------------------------------------------------------------

  /** Give back every block a peer holds (disconnect, snub, corrupt data). */
  #release(peer: PeerState, cancel: boolean): void {
    if (peer.inFlight.size === 0) return;
    const keys = new Set<string>();
    for (const [k, block] of peer.inFlight) {
      this.#pieces.get(block.piece)?.blocks[block.offset / BLOCK_SIZE]?.holders.delete(peer.id);
      if (cancel) this.#safe(() => this.#wire.cancel(peer.id, this.fileId, block));
      keys.add(k);
    }
    peer.inFlight.clear();
    this.#recoveryStats.recoveries++;
    this.#recoveryStats.blocksRecovered += keys.size;
    this.#recoveries.push({ nodeId: peer.id, startedAt: performance.now(), unrequested: new Set(keys), unreceived: new Set(keys), rerequestedAt: null, total: keys.size });
  }

  #noteRequested(k: string): void {
    for (const r of this.#recoveries) {
      if (r.unrequested.delete(k) && r.unrequested.size === 0 && r.rerequestedAt === null) r.rerequestedAt = performance.now();
    }
  }

  #noteReceived(k: string): void {
    for (let i = this.#recoveries.length - 1; i >= 0; i--) {
      const r = this.#recoveries[i]!;
      r.unrequested.delete(k);
      if (!r.unreceived.delete(k) || r.unreceived.size > 0) continue;
      const now = performance.now();
      const rerequestMs = Math.round((r.rerequestedAt ?? now) - r.startedAt);
      const recoveryMs = Math.round(now - r.startedAt);
      this.#recoveryStats.rerequestMs.push(rerequestMs);
      this.#recoveryStats.recoveryMs.push(recoveryMs);
      this.#recoveries.splice(i, 1);
      this.emit('recovered', { nodeId: r.nodeId, blocks: r.total, rerequestMs, recoveryMs });
    }
  }

  // --- periodic -------------------------------------------------------------------------

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#tick();
      if (this.#status === 'downloading') this.#schedule();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#lastTick) / 1000);
    this.#lastTick = now;
    const smooth = (old: number, sample: number): number => (old === 0 ? sample : old * 0.6 + sample * 0.4);
    this.#rate = smooth(this.#rate, this.#bytesThisTick / seconds);
    this.#bytesThisTick = 0;
    const wall = Date.now();
    for (const peer of this.#peers.values()) {
      peer.rate = smooth(peer.rate, peer.bytesThisTick / seconds);
      peer.bytesThisTick = 0;
      if (!peer.snubbed && peer.inFlight.size > 0 && wall - peer.lastActivity > this.#snubTimeoutMs) {
        peer.snubbed = true;
        peer.rate = 0;
        const blocks = peer.inFlight.size;
        this.#release(peer, true);
        this.emit('snubbed', { nodeId: peer.id, blocks });
      }
    }
    if (this.#status === 'downloading') this.#fillAll();
    this.emit('progress', this.progress());
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch {
      // the peer is gone; its disconnect is handled separately
    }
  }
}

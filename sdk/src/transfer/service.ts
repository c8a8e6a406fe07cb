import { randomBytes } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { defineMessage, type BinaryFrameDef, type MessageDef } from '../capability/index.js';
import type { EventBus } from '../events.js';
import type { Identity } from '../identity/index.js';
import { PENALTY_POINTS, type Peer, type PeerEvents, type PeerManager } from '../peers/index.js';
import type { Store } from '../store/index.js';
import { type Envelope, RemoteError } from '../transport/index.js';
import type { TransfersRepository } from './repository.js';
import { Bitfield } from './bitfield.js';
import { BLOCK_SIZE, MAX_QUEUED_REQUESTS, REDISCOVER_INTERVAL_MS } from './constants.js';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { type BlockRef, Download, type DownloadInit, type DownloadProgress, type TransferWire } from './download.js';
import { transferError } from './errors.js';
import { createManifest, type FileManifest, formatLink, parseLink, pieceSize, verifyManifest } from './manifest.js';
import {
  BITFIELD_SCHEMA,
  type BitfieldBody,
  BLOCK_SCHEMA,
  type BlockBody,
  GET_MANIFEST_SCHEMA,
  type GetManifestBody,
  HAVE_SCHEMA,
  type HaveBody,
  INTERESTED_SCHEMA,
  type InterestedBody,
  MANIFEST_REPLY_SCHEMA,
  type ManifestBody,
  NOT_INTERESTED_SCHEMA,
  REJECT_SCHEMA,
  type RejectBody,
} from './messages.js';
import { decodeBlockFrame, Seeder } from './seeder.js';
import { FRAME_BLOCK } from './constants.js';

/** Events of the transfer capability (bytes; bytes/s; ms). */
export interface TransferEvents extends PeerEvents {
  'transfer:share': { fileId: string; name: string; size: number; path: string; link: string };
  'transfer:start': DownloadProgress;
  'transfer:progress': DownloadProgress;
  'transfer:piece': { id: string; fileId: string; piece: number; from: string[] };
  'transfer:bad-piece': { id: string; fileId: string; piece: number; from: string[] };
  'transfer:bad-peer': { id: string; fileId: string; nodeId: string; piece: number; blocks: number };
  'transfer:snubbed': { id: string; fileId: string; nodeId: string; blocks: number };
  'transfer:recovered': { id: string; fileId: string; nodeId: string; blocks: number; rerequestMs: number; recoveryMs: number };
  'transfer:complete': DownloadProgress & { ms: number };
}

export interface TransferComponents {
  identity: Identity;
  peers: PeerManager;
  store: Store;
  transfersRepo: TransfersRepository;
  events: EventBus<TransferEvents>;
}

export interface TransferInit extends DownloadInit {
  /** Upload limit of the whole node (bytes/s); null or absent for none. */
  uploadRateBytesPerSec?: number | null;
  /** Piece length for new shares (bytes); chosen from the size by default. */
  pieceLength?: number;
  /** Time a GetManifest / Interested request waits (ms). */
  requestTimeoutMs?: number;
  /** How often running downloads ask peers that are not sources yet for the file (ms). */
  rediscoverIntervalMs?: number;
}

/** A file this node shares (or has completely downloaded and so also serves). */
export interface ShareInfo {
  fileId: string;
  name: string;
  size: number;
  pieceLength: number;
  pieces: number;
  path: string;
  link: string;
}

interface Source {
  manifest: FileManifest;
  path: string;
  /** null: every piece (a share); else the download's verified pieces. */
  verified: Bitfield | null;
}

/**
 * Transfer: sharing files and downloading them from many peers at once.
 *
 * Data flow, downloading: a link -> the manifest (local, or GetManifest from peers, checked
 * against the link's ID and its signature) -> a Download (see download.ts) fed by this
 * service: `Interested` to every peer -> `Bitfield` replies and `Have` notices -> block
 * `Request`s -> binary block frames -> verified pieces written to the file and recorded
 * (store) so the download resumes after a restart. Serving: `Interested` from a peer ->
 * our bitfield; `Request` -> the Seeder reads the block from the file and sends it; a piece
 * verified here -> `Have` to every interested peer, so a node serves while it downloads.
 */
export class TransferService {
  readonly #c: TransferComponents;
  readonly #init: TransferInit;
  readonly #shares = new Map<string, { manifest: FileManifest; path: string }>();
  readonly #downloads = new Map<string, Download>();
  /** Peers that told us they want a file (they get our Have notices). */
  readonly #interested = new Map<string, Set<string>>();
  readonly #seeder: Seeder;
  readonly wire: TransferWire;
  readonly #rediscoverMs: number;
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(components: TransferComponents, init: TransferInit = {}) {
    this.#c = components;
    this.#init = init;
    this.#seeder = new Seeder(init.uploadRateBytesPerSec ?? null);
    this.#rediscoverMs = init.rediscoverIntervalMs ?? REDISCOVER_INTERVAL_MS;
    this.wire = this.#plexusWire();
  }

  /** The wire messages of this capability (docs/protocol.md §13). */
  readonly messages: readonly MessageDef<any>[] = [
    defineMessage<GetManifestBody>({ type: 'GetManifest', kind: 'request', schema: GET_MANIFEST_SCHEMA, handle: (e, p) => this.#onGetManifest(e, p) }),
    defineMessage<ManifestBody>({ type: 'Manifest', kind: 'reply', schema: MANIFEST_REPLY_SCHEMA }),
    defineMessage<InterestedBody>({ type: 'Interested', kind: 'request', schema: INTERESTED_SCHEMA, handle: (e, p) => this.#onInterested(e, p) }),
    defineMessage<BitfieldBody>({ type: 'Bitfield', kind: 'reply', schema: BITFIELD_SCHEMA }),
    defineMessage<InterestedBody>({ type: 'NotInterested', kind: 'notice', schema: NOT_INTERESTED_SCHEMA, handle: (e, p) => void this.#interested.get(e.body.fileId)?.delete(p.nodeId) }),
    defineMessage<HaveBody>({ type: 'Have', kind: 'notice', schema: HAVE_SCHEMA, handle: (e, p) => this.#onHave(e, p) }),
    defineMessage<BlockBody>({ type: 'Request', kind: 'notice', schema: BLOCK_SCHEMA, handle: (e, p) => this.#onRequest(e, p) }),
    defineMessage<BlockBody>({ type: 'Cancel', kind: 'notice', schema: BLOCK_SCHEMA, handle: (e, p) => void this.#seeder.cancel(p.nodeId, e.body.fileId, e.body) }),
    defineMessage<RejectBody>({ type: 'Reject', kind: 'notice', schema: REJECT_SCHEMA, handle: (e, p) => this.#onReject(e, p) }),
  ];

  /** The binary frames it owns: block frames (kind 0x01, see seeder.ts). */
  readonly binary: readonly BinaryFrameDef[] = [{ kind: FRAME_BLOCK, name: 'block', handle: (frame, peer) => this.#onBlockFrame(frame, peer) }];

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const row of this.#c.transfersRepo.listShares()) {
      this.#shares.set(row.fileId, { manifest: JSON.parse(row.manifest) as FileManifest, path: row.path });
    }
    // Resume what was downloading (and keep serving what completed).
    for (const row of this.#c.transfersRepo.listDownloads()) {
      if (row.status === 'stopped') {
        // Unusable (its file went away); fetching again to the same path keeps what is there.
        this.#c.transfersRepo.deleteDownload(row.id);
        continue;
      }
      const manifest = JSON.parse(row.manifest) as FileManifest;
      const verified = Bitfield.fromBase64(row.verified, manifest.pieces.length);
      try {
        await this.#open(row.id, manifest, row.outPath, verified, row.status === 'complete');
      } catch (err) {
        // One broken download (its folder removed, a full disk) must not stop the node.
        this.#downloads.delete(row.id);
        this.#c.transfersRepo.setStatus(row.id, 'stopped', null);
        this.#c.events.emit('warning', { code: 'DOWNLOAD_RESUME_FAILED', message: `cannot resume ${row.outPath}: ${(err as Error).message}` });
      }
    }
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#timer);
    await Promise.all([...this.#downloads.values()].map((d) => d.stop()));
    this.#downloads.clear();
    await this.#seeder.stop();
  }

  /**
   * Share a file: hash it into a signed manifest, remember it (store) and serve it.
   * @throws TransferError NOT_A_FILE
   */
  async share(path: string): Promise<ShareInfo> {
    const absolute = resolvePath(path);
    const manifest = await createManifest(absolute, this.#c.identity, { pieceLength: this.#init.pieceLength });
    this.#shares.set(manifest.id, { manifest, path: absolute });
    this.#c.transfersRepo.putShare({ fileId: manifest.id, path: absolute, manifest: JSON.stringify(manifest), addedAt: Date.now() });
    await this.#c.store.durable();
    const info = this.#shareInfo(manifest, absolute);
    this.#c.events.emit('transfer:share', { fileId: info.fileId, name: info.name, size: info.size, path: absolute, link: info.link });
    // Peers downloading this file find us at their next rediscovery round (rediscoverIntervalMs).
    return info;
  }

  shares(): ShareInfo[] {
    return [...this.#shares.values()].map((s) => this.#shareInfo(s.manifest, s.path));
  }

  /**
   * Download the file a link names to `outPath`. Resolves with the download's first progress
   * once it started (not when it completes: follow `transfer:*` events or `progress(id)`).
   * @throws TransferError INVALID_LINK, MANIFEST_UNAVAILABLE, ALREADY_DOWNLOADING
   */
  async download(link: string, outPath: string): Promise<DownloadProgress> {
    const parsed = parseLink(link);
    const out = resolvePath(outPath);
    const earlier = [...this.#downloads.values()].filter((d) => d.fileId === parsed.fileId);
    for (const d of earlier) {
      if (d.status === 'downloading' || d.status === 'checking') {
        if (d.outPath === out) return d.progress();
        throw transferError.alreadyDownloading(parsed.fileId, d.outPath);
      }
    }
    // The target must be writable before anything is recorded or replaced.
    const existed = await fs.stat(out).then(() => true, () => false);
    try {
      await makeFolders(dirname(out));
      await (await fs.open(out, 'a')).close();
    } catch (err) {
      throw transferError.outNotWritable(out, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    let manifest: FileManifest;
    try {
      // Peers named in the link are dialed first (best effort).
      await Promise.allSettled(parsed.peers.map((address) => this.#c.peers.connect(address)));
      manifest = this.#shares.get(parsed.fileId)?.manifest ?? earlier[0]?.manifest ?? (await this.#fetchManifest(parsed.fileId));
    } catch (err) {
      if (!existed) await fs.rm(out, { force: true }); // leave nothing behind for a failed fetch
      throw err;
    }
    // Only now does a finished earlier download of the same file make way for this one.
    for (const d of earlier) await this.#forget(d);
    const id = randomBytes(6).toString('hex');
    const verified = new Bitfield(manifest.pieces.length);
    this.#c.transfersRepo.putDownload({
      id,
      fileId: manifest.id,
      outPath: out,
      manifest: JSON.stringify(manifest),
      verified: verified.toBase64(),
      status: 'downloading',
      createdAt: Date.now(),
      completedAt: null,
    });
    await this.#c.store.durable();
    const download = (await this.#open(id, manifest, out, verified, false, true))!;
    return download.progress();
  }

  /** Stop a download and forget it (its file stays). @throws TransferError DOWNLOAD_NOT_FOUND */
  async removeDownload(id: string): Promise<void> {
    const d = this.#downloads.get(id);
    if (!d) throw transferError.downloadNotFound(id);
    await this.#forget(d);
  }

  /** Stop sharing a file. @throws TransferError FILE_NOT_FOUND */
  async unshare(fileId: string): Promise<void> {
    const share = this.#shares.get(fileId);
    if (!share) throw transferError.fileNotFound(`${fileId.slice(0, 12)} is not shared here`);
    this.#shares.delete(fileId);
    this.#c.transfersRepo.deleteShare(fileId);
    await this.#c.store.durable();
    if (!this.#source(fileId)) this.#rejectQueued(await this.#seeder.forget(share.path), 'file no longer shared');
  }

  async #forget(d: Download): Promise<void> {
    await d.stop();
    this.#downloads.delete(d.id);
    this.#c.transfersRepo.deleteDownload(d.id);
    await this.#c.store.durable();
    if (!this.#source(d.fileId)) this.#rejectQueued(await this.#seeder.forget(d.outPath), 'file no longer shared');
  }

  /** Tell requesters that blocks they queued will not come, so they ask elsewhere at once. */
  #rejectQueued(dropped: Array<{ peerId: string; fileId: string; block: BlockRef }>, reason: string): void {
    for (const { peerId, fileId, block } of dropped) {
      const peer = this.#c.peers.get(peerId);
      if (peer) this.#safeSend(peer, 'Reject', { fileId, ...block, reason });
    }
  }

  downloads(): DownloadProgress[] {
    return [...this.#downloads.values()].map((d) => d.progress());
  }

  /** @throws TransferError DOWNLOAD_NOT_FOUND */
  progress(id: string): DownloadProgress {
    const d = this.#downloads.get(id);
    if (!d) throw transferError.downloadNotFound(id);
    return d.progress();
  }

  // --- downloads ---------------------------------------------------------------------------

  /**
   * Open a download (new, resumed, or completed earlier and now only served). Returns
   * undefined when a completed download's file is gone or changed: it is not served, and is
   * marked stopped.
   */
  async #open(id: string, manifest: FileManifest, outPath: string, verified: Bitfield, complete: boolean, isNew = false): Promise<Download | undefined> {
    if (complete) {
      const size = await fs.stat(outPath).then((s) => s.size, () => -1);
      if (size !== manifest.size) {
        this.#c.transfersRepo.setStatus(id, 'stopped', null);
        this.#c.events.emit('warning', { code: 'DOWNLOAD_FILE_GONE', message: `${outPath} (a completed download) is missing or changed; it is no longer served` });
        return undefined;
      }
    }
    const download = new Download(id, manifest, outPath, this.wire, {
      ...this.#init,
      verified,
      recheck: !complete,
      // A new download keeps whatever of the file its target already holds.
      scanExisting: isNew,
      onVerified: (bits) => this.#c.transfersRepo.setVerified(id, bits.toBase64()),
    });
    const events = this.#c.events;
    download.on('progress', (p) => events.emit('transfer:progress', p));
    download.on('piece', (p) => events.emit('transfer:piece', { id, fileId: manifest.id, ...p }));
    download.on('bad-piece', (p) => events.emit('transfer:bad-piece', { id, fileId: manifest.id, ...p }));
    download.on('bad-peer', (p) => events.emit('transfer:bad-peer', { id, fileId: manifest.id, ...p }));
    download.on('snubbed', (p) => events.emit('transfer:snubbed', { id, fileId: manifest.id, ...p }));
    download.on('recovered', (p) => events.emit('transfer:recovered', { id, fileId: manifest.id, ...p }));
    download.on('complete', (p) => {
      if (complete) return; // reopened after a restart: already announced
      this.#c.transfersRepo.setStatus(id, 'complete', Date.now());
      for (const peer of this.#c.peers.all()) this.#safeSend(peer, 'NotInterested', { fileId: manifest.id });
      events.emit('transfer:complete', p);
    });
    this.#downloads.set(id, download);
    // A new download is announced before it starts: it may complete at once (all data there).
    if (isNew) this.#c.events.emit('transfer:start', download.progress());
    await download.start();
    if (!complete && download.status === 'downloading') for (const peer of this.#c.peers.all()) void this.#askForBitfield(peer, download);
    return download;
  }

  /** Ask each connected peer for the manifest until one gives a valid one with this ID. */
  async #fetchManifest(fileId: string): Promise<FileManifest> {
    for (const peer of this.#c.peers.all()) {
      try {
        const reply = await peer.connection.request<GetManifestBody, ManifestBody>('GetManifest', { fileId }, { timeoutMs: this.#init.requestTimeoutMs });
        if (reply.type !== 'Manifest') throw transferError.invalidManifest(`expected Manifest, got ${reply.type}`);
        const manifest = reply.body.manifest;
        if (manifest.id !== fileId) throw transferError.invalidManifest(`asked for ${fileId.slice(0, 12)}, got ${manifest.id.slice(0, 12)}`);
        verifyManifest(manifest);
        return manifest;
      } catch (err) {
        if (!(err instanceof RemoteError)) this.#c.events.emit('warning', { code: 'MANIFEST_FETCH_FAILED', message: (err as Error).message, nodeId: peer.nodeId });
      }
    }
    throw transferError.manifestUnavailable(fileId);
  }

  async #askForBitfield(peer: Peer, download: Download): Promise<void> {
    try {
      const reply = await peer.connection.request<InterestedBody, BitfieldBody>('Interested', { fileId: download.fileId }, { timeoutMs: this.#init.requestTimeoutMs });
      const body = reply.body;
      if (reply.type !== 'Bitfield' || body.fileId !== download.fileId) {
        this.#c.peers.penalize(peer.nodeId, 10, 'INVALID_MESSAGE', `Bitfield for ${body.fileId.slice(0, 12)} in answer to Interested in ${download.fileId.slice(0, 12)}`);
        return;
      }
      if (download.status !== 'downloading' || !this.#c.peers.get(peer.nodeId)) return;
      download.addPeer(peer.nodeId, Bitfield.fromBase64(body.bitfield, download.manifest.pieces.length));
    } catch {
      // It does not have the file (FILE_NOT_FOUND), or it left.
    }
  }

  /**
   * Every rediscoverIntervalMs, ask connected peers that are not (or no longer) sources of a
   * running download whether they have its file now: a peer may start sharing it, or finish
   * downloading it, after it first answered FILE_NOT_FOUND.
   */
  #schedule(): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      for (const d of this.#downloads.values()) {
        if (d.status !== 'downloading') continue;
        for (const peer of this.#c.peers.all()) if (!d.isUsefulSource(peer.nodeId)) void this.#askForBitfield(peer, d);
      }
      this.#schedule();
    }, this.#rediscoverMs);
    this.#timer.unref();
  }

  /** Peer hook: a new peer may have pieces of what we download. */
  onPeerConnect(peer: Peer): void {
    if (!this.#started) return;
    for (const d of this.#downloads.values()) if (d.status === 'downloading') void this.#askForBitfield(peer, d);
  }

  /** Peer hook: forget what the peer had and wanted; drop its queued blocks. */
  onPeerDisconnect({ nodeId }: { nodeId: string }): void {
    for (const d of this.#downloads.values()) d.removePeer(nodeId);
    for (const set of this.#interested.values()) set.delete(nodeId);
    this.#seeder.dropPeer(nodeId);
  }

  /** A peer that is downloading `fileId` itself gets our bitfield by asking; nudge it by asking it. */
  #tellDownloaders(peer: Peer, fileId: string): void {
    for (const d of this.#downloads.values()) if (d.fileId === fileId && d.status === 'downloading') void this.#askForBitfield(peer, d);
  }

  // --- serving ---------------------------------------------------------------------------

  /** What we can serve of a file: a share (everything) or a download (its verified pieces). */
  #source(fileId: string): Source | undefined {
    const share = this.#shares.get(fileId);
    if (share) return { ...share, verified: null };
    for (const d of this.#downloads.values()) if (d.fileId === fileId) return { manifest: d.manifest, path: d.outPath, verified: d.verified };
    return undefined;
  }

  #onGetManifest(envelope: Envelope<GetManifestBody>, peer: Peer): void {
    const { fileId } = envelope.body;
    const source = this.#source(fileId);
    if (!source) throw transferError.fileNotFound(`no file ${fileId.slice(0, 12)} here`);
    peer.connection.reply<ManifestBody>(envelope, 'Manifest', { manifest: source.manifest });
  }

  #onInterested(envelope: Envelope<InterestedBody>, peer: Peer): void {
    const { fileId } = envelope.body;
    const source = this.#source(fileId);
    if (!source) throw transferError.fileNotFound(`no file ${fileId.slice(0, 12)} here`);
    let set = this.#interested.get(fileId);
    if (!set) this.#interested.set(fileId, (set = new Set()));
    set.add(peer.nodeId);
    const bitfield = source.verified ?? Bitfield.full(source.manifest.pieces.length);
    peer.connection.reply<BitfieldBody>(envelope, 'Bitfield', { fileId, bitfield: bitfield.toBase64() });
    // It is downloading this file: if we are too, it may have pieces for us.
    this.#tellDownloaders(peer, fileId);
  }

  #onHave(envelope: Envelope<HaveBody>, peer: Peer): void {
    const { fileId, piece } = envelope.body;
    for (const d of this.#downloads.values()) if (d.fileId === fileId) d.onHave(peer.nodeId, piece);
  }

  #onRequest(envelope: Envelope<BlockBody>, peer: Peer): void {
    const body = envelope.body;
    const block: BlockRef = { piece: body.piece, offset: body.offset, length: body.length };
    const source = this.#source(body.fileId);
    const reject = (reason: string): void => this.#safeSend(peer, 'Reject', { ...body, reason });
    if (!source) return reject('file not here');
    const { manifest } = source;
    if (body.piece >= manifest.pieces.length) return reject('no such piece');
    const size = pieceSize(manifest, body.piece);
    if (body.offset % BLOCK_SIZE !== 0 || body.offset >= size || body.length !== Math.min(BLOCK_SIZE, size - body.offset)) {
      this.#c.peers.penalize(peer.nodeId, 5, 'INVALID_MESSAGE', `block ${body.piece}:${body.offset}+${body.length} is not a block of this file`);
      return reject('not a block of this file');
    }
    if (source.verified && !source.verified.get(body.piece)) return reject('piece not verified here yet');
    if (this.#seeder.queued(peer.nodeId) >= MAX_QUEUED_REQUESTS) return reject('too many requests queued');
    this.#seeder.enqueue(peer, { fileId: body.fileId, block, path: source.path, pieceLength: manifest.pieceLength });
  }

  #onReject(envelope: Envelope<RejectBody>, peer: Peer): void {
    const body = envelope.body;
    for (const d of this.#downloads.values()) if (d.fileId === body.fileId) d.onReject(peer.nodeId, body);
  }

  #onBlockFrame(frame: Buffer, peer: Peer): void {
    const block = decodeBlockFrame(frame);
    if (!block) {
      const message = `block frame of ${frame.length} bytes carries no block (its header alone is 41 bytes)`;
      peer.connection.replyError(undefined, 'UNEXPECTED_BINARY', message);
      this.#c.peers.penalize(peer.nodeId, PENALTY_POINTS.UNEXPECTED_BINARY ?? 20, 'UNEXPECTED_BINARY', message);
      return;
    }
    for (const d of this.#downloads.values()) {
      if (d.fileId === block.fileId && d.status === 'downloading') {
        d.onBlock(peer.nodeId, block.piece, block.offset, block.data);
        return;
      }
    }
  }

  #plexusWire(): TransferWire {
    const connectionOf = (peerId: string) => {
      const peer = this.#c.peers.get(peerId);
      if (!peer) throw transferError.fileNotFound(`peer ${peerId.slice(0, 12)} is gone`);
      return peer.connection;
    };
    return {
      request: (peerId, fileId, block) => connectionOf(peerId).send<BlockBody>('Request', { fileId, ...block }),
      cancel: (peerId, fileId, block) => connectionOf(peerId).send<BlockBody>('Cancel', { fileId, ...block }),
      have: (fileId, piece) => {
        for (const nodeId of this.#interested.get(fileId) ?? []) {
          const peer = this.#c.peers.get(nodeId);
          if (peer) this.#safeSend(peer, 'Have', { fileId, piece });
        }
      },
      penalize: (peerId, code, message, points) => this.#c.peers.penalize(peerId, points, code, message),
    };
  }

  #safeSend(peer: Peer, type: string, body: unknown): void {
    try {
      peer.connection.send(type, body);
    } catch {
      // closed: the disconnect handler cleans up
    }
  }

  #shareInfo(manifest: FileManifest, path: string): ShareInfo {
    const address = this.#c.peers.listenAddress;
    return {
      fileId: manifest.id,
      name: manifest.name,
      size: manifest.size,
      pieceLength: manifest.pieceLength,
      pieces: manifest.pieces.length,
      path,
      link: formatLink(manifest, address ? [address] : []),
    };
  }
}

/**
 * Create `dir` and its missing parents. Done level by level rather than with
 * `mkdir({recursive: true})`, which spins forever on some paths (under /proc, Node 20).
 * @throws the first mkdir error (EACCES, ENOTDIR, EROFS, ...)
 */
async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  for (let depth = 0; depth < 256; depth++) {
    try {
      if ((await fs.stat(current)).isDirectory()) break;
      throw Object.assign(new Error(`${current} is not a folder`), { code: 'ENOTDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const folder of missing) {
    await fs.mkdir(folder).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}

import type { EventBus } from '../events.js';
import type { GossipApi } from '../gossip/index.js';
import type { Peer, PeerManager } from '../peers/index.js';
import { CloseCode, type Envelope } from '../transport/index.js';
import { base64url, fromBase64url } from '../util/encoding.js';
import { type AcceptResult, type Block, type BlockHeader, blockHash, blockWork, type ChainHead, decodeHeader, encodeHeader, meetsTarget } from './block.js';
import { BLOCK_TOPIC, CHAIN_PENALTY, MAX_GET_BLOCKS, MAX_HEADERS, MAX_LOCATOR, SYNC_TIMEOUT_MS } from './constants.js';
import { BlockRejectedError } from './errors.js';
import type { BlocksBody, GetBlocksBody, GetHeadersBody, HeadersBody } from './messages.js';
import type { ChainRepository } from './repository.js';

/** The part of the Chain that sync uses: reads of the stored chain and accept(). */
export interface SyncedChain {
  readonly genesisHash: string;
  /** Whether the chain is started (a sync in flight ends at its next step once it is not). */
  running(): boolean;
  head(): ChainHead;
  /** A stored block's header. */
  header(hash: string): BlockHeader;
  /** Check, store and connect a block (docs/protocol.md §21.6), blaming `from` as the rules say. @throws BlockRejectedError */
  accept(value: unknown, from: string | null): AcceptResult;
}

export interface ChainSyncComponents {
  chain: SyncedChain;
  repo: ChainRepository;
  peers: PeerManager;
  events: EventBus<{ warning: { code: string; message: string } }>;
  gossip: GossipApi;
}

export interface ChainSyncInit {
  /** How long a sync request waits (ms). Default SYNC_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Blocks of the branch being fetched that may be asked for beyond the lowest one not yet connected. Default BLOCK_DOWNLOAD_WINDOW. */
  windowBlocks?: number;
  /** Blocks in flight per peer at most. Default MAX_BLOCKS_IN_FLIGHT_PER_PEER. */
  maxInFlightPerPeer?: number;
  /** How long the window may wait on one peer's block before that peer is dropped (ms); doubles after each drop, up to stallTimeoutMaxMs. Default BLOCK_STALLING_TIMEOUT_MS. */
  stallTimeoutMs?: number;
  /** Default BLOCK_STALLING_TIMEOUT_MAX_MS. */
  stallTimeoutMaxMs?: number;
  /** Sync from every peer on connect and on a gossiped block with an unknown parent. false: only when syncWith()/syncHeaders() is called. Default true. */
  autoSync?: boolean;
}

/** Blocks beyond the lowest missing one that may be in flight or waiting (Bitcoin Core: BLOCK_DOWNLOAD_WINDOW = 1024). */
export const BLOCK_DOWNLOAD_WINDOW = 1024;
/** Blocks in flight per peer (Bitcoin Core: MAX_BLOCKS_IN_TRANSIT_PER_PEER = 16): two GetBlocks of 8. */
export const MAX_BLOCKS_IN_FLIGHT_PER_PEER = 16;
/** A peer holding the block the window waits for this long is dropped (ms; Bitcoin Core: 2 s, doubling up to 64 s). */
export const BLOCK_STALLING_TIMEOUT_MS = 2_000;
export const BLOCK_STALLING_TIMEOUT_MAX_MS = 64_000;
/** Points a peer that stalled the window loses (docs/protocol.md §21.12); it is also disconnected. */
export const STALLING_PENALTY = 20;

/** Refusals of a body that leave its header unjudged: the block is asked of another peer. */
const BODY_FAULTS = new Set(['BLOCK_MALFORMED', 'BLOCK_TOO_LARGE', 'BAD_SIGNATURE', 'BAD_MERKLE_ROOT']);

/** What the sync is doing (`chain.sync.status()`); heights are block heights. */
export interface SyncStatus {
  /** Height of the most-work header known (the main chain's tip when no heavier branch is known). */
  headerHeight: number;
  /** Blocks of the heavier branch not yet connected. */
  missing: number;
  /** The window: lowest height not yet connected, and the highest that may be asked for. null when idle. */
  window: { low: number; high: number } | null;
  /** The window timeout now in force (ms). */
  stallTimeoutMs: number;
  /**
   * Every connected peer: the highest block it is known to hold (from its Headers, its gossiped
   * blocks and the blocks it sent; null before any), blocks asked of it and not answered,
   * blocks it delivered to the download, and whether it was dropped for stalling the window.
   */
  peers: Array<{ nodeId: string; best: { height: number; hash: string } | null; inFlight: number; delivered: number; stalled: boolean }>;
}

/** A header whose body is not stored yet, with the peers that announced it. */
interface HeaderEntry {
  hash: string;
  header: BlockHeader;
  /** Cumulative work to here. */
  work: bigint;
  /** Peers whose main chain holds it (they sent it in Headers). */
  peers: Set<string>;
}

/** One peer in the body download. */
interface PeerSlot {
  /** The reservation table, this peer's side: hashes asked of it and not answered yet. */
  inFlight: Set<string>;
  delivered: number;
  /** Dropped for stalling the window: never asked again while connected. */
  stalled: boolean;
}

/**
 * Sync (docs/protocol.md §21.12), headers first then bodies in a moving window.
 *
 * Headers: with each peer (on connect, on an unknown parent), GetHeaders with a locator,
 * batches of up to 2,000 headers checked for linkage, proof of work and known-invalid hashes,
 * kept in memory (`#index`) with the peers that announced each one.
 *
 * Bodies: the most-work header known beyond the main chain names the branch to fetch
 * (`#path`, oldest first). Only its first `windowBlocks` missing blocks may be asked for
 * (Bitcoin Core's moving window). Each peer that announced them gets GetBlocks of up to 8
 * hashes, at most `maxInFlightPerPeer` blocks in flight; the reservation table (`#reserved`:
 * hash -> peer, as the transfer capability's for file blocks) keeps two peers from being asked
 * the same block. Bodies that arrive wait in `#arrived` until their parent is connected; the
 * window's low end is accepted (§21.6) as soon as it arrives, and the window moves on.
 *
 * A peer holding the block at the window's low end while another peer has room but nothing
 * left to ask (the window is full) stalls the window; after `stallTimeoutMs` it loses
 * STALLING_PENALTY points and is disconnected, its blocks go back to the table and are asked
 * of the others, and the timeout doubles for the next one (up to stallTimeoutMaxMs; Bitcoin
 * Core's rule, so that a slow link of our own does not drop every peer). A peer that vanishes
 * gives its blocks back the same way; one that answers without a block it announced gives
 * that block back and is not asked for it again.
 */
export class ChainSync {
  readonly #c: ChainSyncComponents;
  readonly #timeoutMs: number;
  readonly #windowBlocks: number;
  readonly #maxInFlight: number;
  readonly #stallBaseMs: number;
  readonly #stallMaxMs: number;
  readonly autoSync: boolean;
  #stallMs: number;
  readonly #syncing = new Map<string, Promise<void>>();
  /** Peers asked to sync again while a sync with them ran (syncWith). */
  readonly #again = new Set<string>();
  readonly #index = new Map<string, HeaderEntry>();
  readonly #slots = new Map<string, PeerSlot>();
  /** The reservation table: block hash -> the peer it is in flight with. */
  readonly #reserved = new Map<string, string>();
  /** Bodies received, waiting for their parent to be connected: hash -> [block, from]. */
  readonly #arrived = new Map<string, [unknown, string]>();
  /** The branch being fetched, oldest first; its first entry is the window's low end. */
  #path: HeaderEntry[] = [];
  /** When the current staller began holding the window up (performance.now() ms), and who. */
  #stall: { nodeId: string; since: number } | null = null;
  #stallTimer: NodeJS.Timeout | undefined;
  /** Per connected peer, the highest block it is known to hold. */
  readonly #best = new Map<string, { height: number; hash: string }>();
  #idleWaiters: Array<() => void> = [];
  #stopped = false;

  constructor(components: ChainSyncComponents, init: ChainSyncInit = {}) {
    this.#c = components;
    this.#timeoutMs = init.requestTimeoutMs ?? SYNC_TIMEOUT_MS;
    this.#windowBlocks = init.windowBlocks ?? BLOCK_DOWNLOAD_WINDOW;
    this.#maxInFlight = init.maxInFlightPerPeer ?? MAX_BLOCKS_IN_FLIGHT_PER_PEER;
    this.#stallBaseMs = init.stallTimeoutMs ?? BLOCK_STALLING_TIMEOUT_MS;
    this.#stallMaxMs = Math.max(this.#stallBaseMs, init.stallTimeoutMaxMs ?? BLOCK_STALLING_TIMEOUT_MAX_MS);
    this.#stallMs = this.#stallBaseMs;
    this.autoSync = init.autoSync ?? true;
  }

  /** Clear the window timer and release whoever waits for the download; requests in flight end with their connections. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#index.clear();
    this.#arrived.clear();
    this.#reserved.clear();
    this.#slots.clear();
    this.#path = [];
    this.#wake();
  }

  /** What the sync is doing now. */
  status(): SyncStatus {
    const head = this.#c.chain.head();
    const top = this.#path[this.#path.length - 1];
    const low = this.#path[0]?.header.height;
    return {
      headerHeight: top ? top.header.height : head.height,
      missing: this.#path.length,
      window: low === undefined ? null : { low, high: low + this.#windowBlocks - 1 },
      stallTimeoutMs: this.#stallMs,
      peers: this.#c.peers.all().map(({ nodeId }) => {
        const slot = this.#slots.get(nodeId);
        return { nodeId, best: this.#best.get(nodeId) ?? null, inFlight: slot?.inFlight.size ?? 0, delivered: slot?.delivered ?? 0, stalled: slot?.stalled ?? false };
      }),
    };
  }

  /** A peer holds the block `hash` at `height` (it sent it, its header, or announced it): remember the highest per peer. */
  noteHeld(nodeId: string, height: number, hash: string): void {
    if (!this.#c.peers.get(nodeId)) return;
    const best = this.#best.get(nodeId);
    if (!best || height > best.height) this.#best.set(nodeId, { height, hash });
  }

  /** Block locator of the main chain: the 10 newest hashes, then back in doubling steps, genesis last (Bitcoin). */
  locator(): string[] {
    const out: string[] = [];
    let height = this.#c.repo.tipHeight();
    let step = 1;
    while (height > 0 && out.length < MAX_LOCATOR - 1) {
      out.push(this.#c.repo.mainHash(height)!);
      if (out.length >= 10) step *= 2;
      height -= step;
    }
    out.push(this.#c.chain.genesisHash);
    return out;
  }

  /** Answer GetHeaders: main-chain headers after the first locator hash on this node's main chain (genesis when none is). */
  onGetHeaders(envelope: Envelope<GetHeadersBody>, peer: Peer): void {
    const repo = this.#c.repo;
    let start = 0;
    for (const h of envelope.body.locator) {
      const row = repo.block(h);
      if (row && repo.mainHash(row.height) === h) {
        start = row.height;
        break;
      }
    }
    const headers: string[] = [];
    const tip = repo.tipHeight();
    for (let height = start + 1; height <= tip && headers.length < MAX_HEADERS; height++) headers.push(base64url(encodeHeader(this.#c.chain.header(repo.mainHash(height)!))));
    peer.connection.reply<HeadersBody>(envelope, 'Headers', { headers });
  }

  /** Answer GetBlocks with the valid blocks asked for that this node has, in the order asked. */
  onGetBlocks(envelope: Envelope<GetBlocksBody>, peer: Peer): void {
    const blocks: unknown[] = [];
    for (const h of envelope.body.hashes) {
      const row = this.#c.repo.block(h);
      if (row?.status === 'ok' && row.height > 0) blocks.push(JSON.parse(row.block));
    }
    peer.connection.reply<BlocksBody>(envelope, 'Blocks', { blocks });
  }

  onPeerConnect(peer: Peer): void {
    if (this.autoSync && this.#c.chain.running()) void this.syncWith(peer.nodeId);
  }

  /** A peer left: its reservations go back to the table and are asked of the others at once. */
  onPeerDisconnect(nodeId: string): void {
    const slot = this.#slots.get(nodeId);
    if (slot) this.#release(nodeId, slot);
    this.#slots.delete(nodeId);
    this.#best.delete(nodeId);
    for (const e of this.#index.values()) e.peers.delete(nodeId);
    if (this.#stall?.nodeId === nodeId) this.#stall = null;
    this.#fill();
  }

  /** Called for a gossiped block whose parent is unknown. */
  onUnknownParent(from: string): void {
    if (this.autoSync) void this.syncWith(from);
  }

  /**
   * Fetch what a peer has beyond this node: its headers (syncHeaders), then the bodies of the
   * most-work branch known, from every peer that has them, until the window has nothing left
   * that a connected peer can give. A peer whose headers or blocks break a rule is penalised.
   * Never rejects.
   */
  syncWith(nodeId: string): Promise<void> {
    const running = this.#syncing.get(nodeId);
    if (running) {
      // That sync may have asked for headers before what prompted this one existed (a block
      // whose parent is unknown, gossiped meanwhile): run it once more when it ends.
      this.#again.add(nodeId);
      return running;
    }
    const run = (async () => {
      do {
        this.#again.delete(nodeId);
        await this.#sync(nodeId).catch((err: Error) => {
          if (this.#c.chain.running()) this.#c.events.emit('warning', { code: 'CHAIN_SYNC_FAILED', message: `sync with ${nodeId.slice(0, 8)}: ${err.message}` });
        });
      } while (this.#again.has(nodeId) && this.#c.chain.running() && this.#c.peers.get(nodeId));
    })().finally(() => {
      this.#syncing.delete(nodeId);
      this.#again.delete(nodeId);
    });
    this.#syncing.set(nodeId, run);
    return run;
  }

  async #sync(nodeId: string): Promise<void> {
    const startTip = this.#c.chain.head().hash;
    try {
      await this.syncHeaders(nodeId, true);
      await this.#idle();
    } finally {
      // Blocks that came by sync did not travel by gossip: announce the new tip, so that this
      // node's other peers fetch it (those lacking its parent sync from here).
      const tip = this.#c.chain.head();
      if (this.#c.chain.running() && tip.hash !== startTip) this.#c.gossip.publish(BLOCK_TOPIC, JSON.parse(this.#c.repo.block(tip.hash)!.block));
    }
  }

  /**
   * Headers first: GetHeaders with a locator until a reply holds fewer than 2,000; check that
   * they link, carry their proof of work and are not known invalid (else the peer loses 100
   * points, INVALID_HEADERS, and the round ends); keep those of a branch heavier than the main
   * chain. `fetchBodies`: start fetching bodies after each batch (syncWith does).
   * @returns the headers received that this node lacked
   * @throws RequestTimeoutError, ConnectionClosedError, RemoteError (from the request)
   */
  async syncHeaders(nodeId: string, fetchBodies = false): Promise<number> {
    const { chain, peers } = this.#c;
    let last: string | null = null;
    let count = 0;
    for (;;) {
      const peer = peers.get(nodeId);
      if (!peer || !chain.running()) return count;
      const locator = last ? [last, ...this.locator()].slice(0, MAX_LOCATOR) : this.locator();
      const reply = await peer.connection.request<GetHeadersBody, HeadersBody>('GetHeaders', { locator }, { timeoutMs: this.#timeoutMs });
      if (reply.type !== 'Headers' || !chain.running()) return count;
      const texts = reply.body.headers;
      if (texts.length === 0) return count;
      const batch = this.#checkHeaders(nodeId, texts);
      if (!batch) return count;
      const top = batch[batch.length - 1]!;
      this.noteHeld(nodeId, top.header.height, top.hash);
      // Keep the headers of a branch heavier than the main chain (a tie keeps the first seen);
      // a full batch is kept too: the rest of its branch may be heavier.
      const end = top;
      if (end.work <= BigInt('0x' + chain.head().work) && texts.length < MAX_HEADERS) return count;
      for (const e of batch) {
        if (this.#c.repo.hasBlock(e.hash)) continue;
        const known = this.#index.get(e.hash);
        if (known) known.peers.add(nodeId);
        else {
          this.#index.set(e.hash, e);
          count++;
        }
      }
      if (fetchBodies) {
        if (!this.#slots.has(nodeId)) this.#slots.set(nodeId, { inFlight: new Set(), delivered: 0, stalled: false });
        this.#plan();
        this.#fill();
      }
      if (texts.length < MAX_HEADERS) return count;
      last = end.hash;
    }
  }

  /** Decode and check one Headers reply; null (the peer penalised) when it breaks a rule. */
  #checkHeaders(nodeId: string, texts: readonly string[]): HeaderEntry[] | null {
    const repo = this.#c.repo;
    const out: HeaderEntry[] = [];
    let prev: HeaderEntry | null = null;
    for (const text of texts) {
      let h: BlockHeader;
      try {
        h = decodeHeader(fromBase64url(text));
      } catch (err) {
        return this.#badHeaders(nodeId, `a header does not decode: ${(err as Error).message}`);
      }
      const hash = blockHash(h);
      let parentWork: bigint | undefined;
      if (prev === null) {
        const row = repo.block(h.prev);
        parentWork = row ? BigInt('0x' + row.work) : this.#index.get(h.prev)?.work;
      } else if (h.prev === prev.hash) parentWork = prev.work;
      if (parentWork === undefined) return this.#badHeaders(nodeId, `header ${hash} does not link`);
      if (!meetsTarget(hash, h.target)) return this.#badHeaders(nodeId, `header ${hash} lacks its proof of work`);
      if (repo.block(hash)?.status === 'invalid') return this.#badHeaders(nodeId, `header ${hash} is known invalid`);
      prev = { hash, header: h, work: parentWork + blockWork(h.target), peers: new Set([nodeId]) };
      out.push(prev);
    }
    return out;
  }

  #badHeaders(nodeId: string, why: string): null {
    this.#c.peers.penalize(nodeId, CHAIN_PENALTY.INVALID_HEADERS, 'INVALID_HEADERS', why);
    return null;
  }

  /** Choose the branch to fetch: the most-work header known (first seen on a tie), if heavier than the main chain. */
  #plan(): void {
    let best: HeaderEntry | undefined;
    for (const e of this.#index.values()) if (!best || e.work > best.work) best = e;
    const path: HeaderEntry[] = [];
    if (best && best.work > BigInt('0x' + this.#c.chain.head().work)) {
      for (let e: HeaderEntry | undefined = best; e; e = this.#index.get(e.header.prev)) path.push(e);
      path.reverse();
    }
    // Headers off the chosen branch wait for a later plan; bodies already here stay.
    this.#path = path;
  }

  /** Hand each peer with room the window's blocks it announced and nobody holds; detect a staller. */
  #fill(): void {
    if (this.#stopped || !this.#c.chain.running()) return this.#wake();
    const window = this.#path.slice(0, this.#windowBlocks);
    const low = this.#path[0];
    const holder = low ? this.#reserved.get(low.hash) : undefined;
    let starved = false;
    for (const [nodeId, slot] of this.#slots) {
      if (slot.stalled) continue;
      const peer = this.#c.peers.get(nodeId);
      if (!peer) continue;
      let room = this.#maxInFlight - slot.inFlight.size;
      if (room <= 0) continue;
      const ask: string[] = [];
      for (const e of window) {
        if (ask.length >= room) break;
        if (this.#reserved.has(e.hash) || this.#arrived.has(e.hash) || !e.peers.has(nodeId)) continue;
        ask.push(e.hash);
      }
      if (ask.length === 0 && nodeId !== holder && window.some((e) => e.peers.has(nodeId))) starved = true;
      for (let i = 0; i < ask.length; i += MAX_GET_BLOCKS) {
        const batch = ask.slice(i, i + MAX_GET_BLOCKS);
        room -= batch.length;
        for (const h of batch) {
          this.#reserved.set(h, nodeId);
          slot.inFlight.add(h);
        }
        void this.#getBlocks(nodeId, slot, peer, batch);
      }
    }
    this.#watchStall(starved, holder);
    if (this.#reserved.size === 0) this.#wake();
  }

  /**
   * The window stalls when the block at its low end is in flight with one peer (`holder`)
   * while another has room and nothing to ask (`starved`): from then on the holder has
   * stallTimeoutMs to deliver.
   */
  #watchStall(starved: boolean, holder: string | undefined): void {
    if (!starved || holder === undefined) {
      if (this.#stall && this.#stall.nodeId !== holder) this.#stall = null;
      if (!this.#stall) {
        clearTimeout(this.#stallTimer);
        this.#stallTimer = undefined;
      }
      return;
    }
    if (this.#stall?.nodeId === holder) return;
    this.#stall = { nodeId: holder, since: performance.now() };
    clearTimeout(this.#stallTimer);
    const stall = this.#stall;
    this.#stallTimer = setTimeout(() => this.#onStallTimeout(stall), this.#stallMs);
    this.#stallTimer.unref();
  }

  #onStallTimeout(stall: { nodeId: string; since: number }): void {
    this.#stallTimer = undefined;
    if (this.#stall !== stall || this.#stopped) return;
    this.#stall = null;
    const low = this.#path[0];
    if (!low || this.#reserved.get(low.hash) !== stall.nodeId) return this.#fill();
    const slot = this.#slots.get(stall.nodeId);
    const waited = Math.round(performance.now() - stall.since);
    if (slot) {
      slot.stalled = true;
      this.#release(stall.nodeId, slot);
    }
    this.#c.events.emit('warning', { code: 'CHAIN_SYNC_STALLED', message: `peer ${stall.nodeId.slice(0, 8)} held block ${low.header.height} for ${waited} ms: dropped` });
    this.#c.peers.penalize(stall.nodeId, STALLING_PENALTY, 'CHAIN_STALLING', `block ${low.hash} at the window's low end not delivered within ${this.#stallMs} ms`);
    this.#c.peers.get(stall.nodeId)?.connection.close(CloseCode.MISBEHAVIOUR, 'stalling block download');
    // The next staller gets longer, in case the slowness is our own link (Bitcoin Core).
    this.#stallMs = Math.min(this.#stallMs * 2, this.#stallMaxMs);
    this.#fill();
  }

  /** Give back every block a peer holds. */
  #release(nodeId: string, slot: PeerSlot): void {
    for (const h of slot.inFlight) if (this.#reserved.get(h) === nodeId) this.#reserved.delete(h);
    slot.inFlight.clear();
  }

  async #getBlocks(nodeId: string, slot: PeerSlot, peer: Peer, hashes: string[]): Promise<void> {
    let blocks: unknown[] = [];
    try {
      const got = await peer.connection.request<GetBlocksBody, BlocksBody>('GetBlocks', { hashes }, { timeoutMs: this.#timeoutMs });
      if (got.type === 'Blocks') blocks = got.body.blocks;
    } catch {
      // timed out or the connection closed: the blocks go back to the table below
    }
    const byHash = new Map<string, unknown>();
    for (const b of blocks) byHash.set(blockHash((b as Block).header), b);
    for (const h of hashes) {
      if (!slot.inFlight.delete(h)) continue; // released meanwhile (stall, disconnect)
      if (this.#reserved.get(h) === nodeId) this.#reserved.delete(h);
      const b = byHash.get(h);
      if (b === undefined) {
        // It no longer has it (it reorganised), or the request failed: ask the others.
        this.#index.get(h)?.peers.delete(nodeId);
        continue;
      }
      slot.delivered++;
      if (!this.#arrived.has(h)) this.#arrived.set(h, [b, nodeId]);
    }
    this.#connect();
    this.#fill();
  }

  /** Accept the window's low end while its body is here; the window moves on with each. */
  #connect(): void {
    while (this.#path.length > 0 && !this.#stopped) {
      const low = this.#path[0]!;
      if (this.#c.repo.hasBlock(low.hash)) {
        this.#drop(low);
        continue;
      }
      const got = this.#arrived.get(low.hash);
      if (!got) break;
      this.#arrived.delete(low.hash);
      try {
        this.#c.chain.accept(got[0], got[1]);
        this.#drop(low);
        if (this.#stallMs > this.#stallBaseMs) this.#stallMs = Math.max(this.#stallBaseMs, Math.round(this.#stallMs * 0.85));
      } catch (err) {
        if (!(err instanceof BlockRejectedError)) throw err;
        // Blamed by accept(). A hash marked invalid ends its branch here; a body that does not
        // match its header is asked again of another peer (its sender is banned by now).
        if (BODY_FAULTS.has(err.code)) low.peers.delete(got[1]);
        else {
          for (const e of this.#path) this.#index.delete(e.hash);
          this.#path = [];
        }
        break;
      }
    }
    if (this.#path.length === 0) this.#plan();
  }

  #drop(e: HeaderEntry): void {
    this.#path.shift();
    this.#index.delete(e.hash);
  }

  /** Resolves once nothing is in flight (the window is done, or no connected peer can give what it lacks). */
  #idle(): Promise<void> {
    if (this.#reserved.size === 0 || this.#stopped) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  #wake(): void {
    if (this.#reserved.size > 0 && !this.#stopped) return;
    // Headers nobody connected can give any more are forgotten.
    for (const [h, e] of this.#index) if (e.peers.size === 0) this.#index.delete(h);
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}

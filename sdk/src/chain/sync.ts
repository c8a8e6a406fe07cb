import type { EventBus } from '../events.js';
import type { GossipApi } from '../gossip/index.js';
import type { Peer, PeerManager } from '../peers/index.js';
import type { Envelope } from '../transport/index.js';
import { base64url, fromBase64url } from '../util/encoding.js';
import { type Block, type BlockHeader, blockHash, blockWork, decodeHeader, encodeHeader, hex256, meetsTarget } from './block.js';
import type { AcceptResult, ChainHead } from './chain.js';
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
}

/**
 * Sync (docs/protocol.md §21.12): headers first from a peer (a locator, batches of up to
 * 2,000), then the bodies the heavier branch lacks, accepted through the Chain.
 */
export class ChainSync {
  readonly #c: ChainSyncComponents;
  readonly #timeoutMs: number;
  readonly #syncing = new Map<string, Promise<void>>();

  constructor(components: ChainSyncComponents, init: ChainSyncInit = {}) {
    this.#c = components;
    this.#timeoutMs = init.requestTimeoutMs ?? SYNC_TIMEOUT_MS;
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
    if (this.#c.chain.running()) void this.syncWith(peer.nodeId);
  }

  /**
   * Fetch what a peer has beyond this node: GetHeaders with a locator (batches of up to
   * 2,000), check that the headers link and carry their proof of work, then GetBlocks for the
   * missing ones (MAX_GET_BLOCKS at a time) and accept each. A peer whose headers or blocks
   * break a rule is penalised and the sync with it ends. Never rejects.
   */
  syncWith(nodeId: string): Promise<void> {
    const running = this.#syncing.get(nodeId);
    if (running) return running;
    const run = this.#sync(nodeId)
      .catch((err: Error) => {
        if (this.#c.chain.running()) this.#c.events.emit('warning', { code: 'CHAIN_SYNC_FAILED', message: `sync with ${nodeId.slice(0, 8)}: ${err.message}` });
      })
      .finally(() => this.#syncing.delete(nodeId));
    this.#syncing.set(nodeId, run);
    return run;
  }

  async #sync(nodeId: string): Promise<void> {
    const startTip = this.#c.chain.head().hash;
    try {
      await this.#fetchFrom(nodeId);
    } finally {
      // Blocks that came by sync did not travel by gossip: announce the new tip, so that this
      // node's other peers fetch it (those lacking its parent sync from here).
      const tip = this.#c.chain.head();
      if (this.#c.chain.running() && tip.hash !== startTip) this.#c.gossip.publish(BLOCK_TOPIC, JSON.parse(this.#c.repo.block(tip.hash)!.block));
    }
  }

  async #fetchFrom(nodeId: string): Promise<void> {
    const { chain, repo, peers } = this.#c;
    let last: string | null = null;
    for (;;) {
      const peer = peers.get(nodeId);
      if (!peer || !chain.running()) return;
      const locator = last ? [last, ...this.locator()].slice(0, MAX_LOCATOR) : this.locator();
      const reply = await peer.connection.request<GetHeadersBody, HeadersBody>('GetHeaders', { locator }, { timeoutMs: this.#timeoutMs });
      if (reply.type !== 'Headers' || !chain.running()) return;
      const headers = reply.body.headers;
      if (headers.length === 0) return;
      const wanted: string[] = [];
      let prev: string | null = null;
      for (const text of headers) {
        let h: BlockHeader;
        try {
          h = decodeHeader(fromBase64url(text));
        } catch (err) {
          return this.#badHeaders(nodeId, `a header does not decode: ${(err as Error).message}`);
        }
        const hash = blockHash(h);
        if (prev === null ? !repo.hasBlock(h.prev) : h.prev !== prev) return this.#badHeaders(nodeId, `header ${hash} does not link`);
        if (!meetsTarget(hash, h.target)) return this.#badHeaders(nodeId, `header ${hash} lacks its proof of work`);
        if (repo.block(hash)?.status === 'invalid') return this.#badHeaders(nodeId, `header ${hash} is known invalid`);
        if (!repo.hasBlock(hash)) wanted.push(hash);
        prev = hash;
      }
      // Headers first: fetch bodies only for a branch heavier than the main chain (a tie keeps the first seen).
      const first = decodeHeader(fromBase64url(headers[0]!));
      let work = BigInt('0x' + repo.block(first.prev)!.work);
      for (const text of headers) work += blockWork(decodeHeader(fromBase64url(text)).target);
      if (hex256(work) <= chain.head().work && headers.length < MAX_HEADERS) return;
      for (let i = 0; i < wanted.length; i += MAX_GET_BLOCKS) {
        const batch = wanted.slice(i, i + MAX_GET_BLOCKS);
        const p = peers.get(nodeId);
        if (!p || !chain.running()) return;
        const got = await p.connection.request<GetBlocksBody, BlocksBody>('GetBlocks', { hashes: batch }, { timeoutMs: this.#timeoutMs });
        if (got.type !== 'Blocks' || !chain.running()) return;
        const byHash = new Map<string, unknown>();
        for (const b of got.body.blocks) byHash.set(blockHash((b as Block).header), b);
        for (const hash of batch) {
          const b = byHash.get(hash);
          if (b === undefined) return; // the peer no longer has it (it reorganised): try again later
          try {
            chain.accept(b, nodeId);
          } catch (err) {
            if (err instanceof BlockRejectedError) return; // blamed by accept()
            throw err;
          }
        }
      }
      if (headers.length < MAX_HEADERS) return;
      last = prev;
    }
  }

  #badHeaders(nodeId: string, why: string): void {
    this.#c.peers.penalize(nodeId, CHAIN_PENALTY.INVALID_HEADERS, 'INVALID_HEADERS', why);
  }
}

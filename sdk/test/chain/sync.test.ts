import assert from 'node:assert/strict';
import { type ChainEvents, encodeHeader } from '../../src/chain/index';
import type { EventBus } from '../../src/events';
import { Identity } from '../../src/identity/index';
import { base64url } from '../../src/util/encoding';
import { RawPeer, Resources, until } from '../helpers';
import { type ChainNode, chainNode, converged, link, mineN } from './fixtures';

/** Count the `chain:block` events of `node` by the peer each block came from. */
function blocksByPeer(node: ChainNode): Map<string | null, number> {
  const by = new Map<string | null, number>();
  (node as unknown as EventBus<ChainEvents>).on('chain:block', (e) => by.set(e.from, (by.get(e.from) ?? 0) + 1));
  return by;
}

describe('chain: sync in a moving window (docs/protocol.md §21.12)', function () {
  this.timeout(60_000);
  const res = new Resources();
  afterEach(() => res.release());

  /** A source node with `n` mined blocks and `copies - 1` more nodes holding the same chain. */
  async function sources(n: number, copies: number): Promise<ChainNode[]> {
    const first = await chainNode(res);
    await mineN(first, n);
    const out = [first];
    for (let i = 1; i < copies; i++) {
      const c = await chainNode(res);
      await link(c, first);
      out.push(c);
    }
    await converged(out, 'the sources agree', 30_000);
    return out;
  }

  it('a fresh node syncs from 3 peers at once, fetching blocks from each of them, at most 16 in flight per peer', async () => {
    const n = 240;
    const src = await sources(n, 3);
    const fresh = await chainNode(res);
    const by = blocksByPeer(fresh);
    let mostInFlight = 0;
    const watch = setInterval(() => {
      for (const p of fresh.chain.sync.status().peers) mostInFlight = Math.max(mostInFlight, p.inFlight);
    }, 1);
    res.add(() => clearInterval(watch));
    await Promise.all(src.map((s) => fresh.connect(s.p2pAddress!)));
    await converged([...src, fresh], 'the fresh node on the sources\' head', 30_000);
    clearInterval(watch);
    for (const s of src) assert.ok((by.get(s.nodeId) ?? 0) > 0, `blocks came from ${s.nodeId.slice(0, 8)}: ${JSON.stringify([...by])}`);
    assert.equal([...by.values()].reduce((a, b) => a + b, 0), n, 'each block connected once');
    assert.ok(mostInFlight > 0 && mostInFlight <= 16, `in flight per peer: ${mostInFlight}`);
    assert.equal(fresh.chain.stateRoot(), src[0]!.chain.head().stateRoot);
    assert.deepEqual(fresh.chain.sync.status().window, null);
    // The per-peer view (GET /chain/sync): each source is known to hold the tip.
    const peers = fresh.chain.sync.status().peers;
    assert.deepEqual(peers.map((p) => p.nodeId).sort(), src.map((s) => s.nodeId).sort());
    for (const p of peers) assert.deepEqual(p.best, { height: n, hash: src[0]!.chain.head().hash });
    assert.equal(peers.reduce((a, p) => a + p.delivered, 0), n);
  });

  it('drops a peer that stalls the window (penalised, disconnected) and completes the window from the others', async () => {
    const n = 120;
    const [b, c] = await sources(n, 2);
    const fresh = await chainNode(res, { sync: { stallTimeoutMs: 300 } });
    const by = blocksByPeer(fresh);
    const penalties: Array<{ nodeId: string; code: string; points: number }> = [];
    fresh.on('peer:penalty', (p) => penalties.push(p));
    const warnings: string[] = [];
    fresh.on('warning', (w) => warnings.push(w.code));
    // A raw peer that announces the whole chain in Headers but never answers GetBlocks.
    const headers = Array.from({ length: n }, (_, i) => base64url(encodeHeader(b!.chain.block(i + 1).block.header)));
    const staller = new RawPeer(fresh.p2pAddress!);
    res.add(() => staller.close());
    const askedOfStaller: string[] = [];
    staller.answerPingsAndSync();
    staller.ws.on('message', (data, binary) => {
      if (binary) return;
      const f = JSON.parse(data.toString());
      if (f.type === 'GetHeaders') staller.send({ v: 1, type: 'Headers', re: f.id, body: { headers } });
      if (f.type === 'GetBlocks') askedOfStaller.push(...(f.body.hashes as string[]));
    });
    const rawId = Identity.generate();
    await staller.handshake(rawId);
    // The staller alone first: it is asked for the window's first 16 blocks, the low end among them.
    await until(() => askedOfStaller.length === 16, 'the staller holds 16 blocks');
    assert.equal(askedOfStaller[0], b!.chain.block(1).hash);
    await link(fresh, b!);
    await link(fresh, c!);
    const closed = await staller.closed;
    assert.equal(closed.code, 4009);
    await converged([b!, c!, fresh], 'the window completed from the others', 30_000);
    const p = penalties.find((x) => x.nodeId === rawId.nodeId);
    assert.deepEqual([p?.code, p?.points], ['CHAIN_STALLING', 20]);
    assert.ok(warnings.includes('CHAIN_SYNC_STALLED'));
    assert.equal(by.get(rawId.nodeId), undefined, 'nothing came from the staller');
    assert.equal((by.get(b!.nodeId) ?? 0) + (by.get(c!.nodeId) ?? 0), n);
    // The staller's blocks were asked of the others (the low end first of all).
    assert.equal(fresh.chain.block(1).hash, b!.chain.block(1).hash);
    assert.equal(fresh.chain.sync.status().stallTimeoutMs >= 300, true);
    assert.equal(fresh.chain.stateRoot(), b!.chain.head().stateRoot);
  });

  it('a node SIGKILLed mid-sync resumes from its store when restarted, fetching only what it lacked', async () => {
    const n = 600;
    const [src] = await sources(n, 1);
    const dir = res.tmpDir();
    const args = ['--chain', '--data-dir', dir, '--p2p-port', '0', '--api-port', '0', '--peer', src!.p2pAddress!];
    const first = await res.cliNode(args);
    await first.waitFor('chain:block', (p) => (p.height as number) >= 150, 30_000);
    await first.kill('SIGKILL');
    const printed = Math.max(...first.events.filter((e) => e.event === 'chain:block').map((e) => e.payload.height as number));
    assert.ok(printed < n, `killed mid-sync (at ${printed} of ${n})`);
    // Restarted on the same folder: it redials the source from its address book and syncs on.
    const again = await res.cliNode(args);
    await again.waitFor('chain:block', (p) => p.height === n, 30_000);
    const heights = again.events.filter((e) => e.event === 'chain:block').map((e) => e.payload.height as number);
    const resumedAt = heights[0]! - 1;
    assert.ok(resumedAt >= 100 && resumedAt <= printed, `resumed at ${resumedAt} (printed ${printed} before the kill)`);
    assert.deepEqual(heights, Array.from({ length: n - resumedAt }, (_, i) => resumedAt + 1 + i), 'each missing block fetched once, in order');
    await again.kill('SIGTERM');
    // The store it left behind holds the source's chain and state.
    const reopened = await chainNode(res, {}, dir);
    assert.deepEqual(reopened.chain.head(), src!.chain.head());
    assert.equal(reopened.chain.stateRoot(), src!.chain.head().stateRoot);
  });
});

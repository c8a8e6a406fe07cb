import { chain, type ChainEvents, type ChainInit, createNode, gossip, heartbeat, type PlexusNode } from '../../src/index';
import type { PeerEvents } from '../../src/peers/index';
import { FAST, nextEvent, type Resources, until } from '../helpers';

/** The capabilities a chain test node runs: heartbeat, gossip and the chain (nothing else, so that nothing but the chain moves). */
export const chainCapabilities = (init: ChainInit) => [heartbeat({ intervalMs: 1000, timeoutMs: 3000 }), gossip({ graftTimeoutMs: 100 }), chain(init)] as const;

export type ChainNode = PlexusNode<ReturnType<typeof chainCapabilities>>;

/** A started in-memory chain node (manual mining unless `init.mode` says otherwise), stopped after the test. */
export async function chainNode(res: Resources, init: ChainInit = {}, dataDir: string | null = null): Promise<ChainNode> {
  const node = await createNode({ ...FAST, dataDir, capabilities: chainCapabilities(init) });
  res.add(() => node.stop());
  return node;
}

/** Connect a to b and wait until both see the link. */
export async function link(a: ChainNode, b: ChainNode): Promise<void> {
  await a.connect(b.p2pAddress!);
  await until(() => a.peers().some((p) => p.nodeId === b.nodeId) && b.peers().some((p) => p.nodeId === a.nodeId), 'link up');
}

/** Wait until every node has the same head (hash), and return it. */
export async function converged(nodes: ChainNode[], what = 'the same head everywhere', timeoutMs = 10_000): Promise<string> {
  await until(() => new Set(nodes.map((n) => n.chain.head().hash)).size === 1, what, timeoutMs);
  return nodes[0]!.chain.head().hash;
}

/** Mine `n` blocks on a node, one after another. */
export async function mineN(node: ChainNode, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await node.chain.mine();
}

type Events = ChainEvents & PeerEvents;

/** The next `event` of a chain node matching `predicate` (nextEvent of helpers.ts, for the chain's event map). */
export function nextChainEvent<K extends keyof Events & string>(node: ChainNode, event: K, predicate: (payload: Events[K]) => boolean = () => true, timeoutMs = 5_000): Promise<Events[K]> {
  return nextEvent(node as unknown as PlexusNode, event as never, predicate as never, timeoutMs) as Promise<Events[K]>;
}

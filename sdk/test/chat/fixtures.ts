import type { NodeInit, PlexusNode } from '../../src/index';
import { type Resources, until } from '../helpers';

/** Short timers, no connection target (the graph stays as built), fast Grafts. */
export const QUIET: NodeInit = { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, pex: { targetPeers: 0 }, gossip: { graftTimeoutMs: 100 } };

/** `n` nodes named node0.. in a line 0-1-2-..., so that messages are relayed; resolves when every link is up. */
export async function line(res: Resources, n: number, init: (i: number) => NodeInit = () => ({})): Promise<PlexusNode[]> {
  const nodes: PlexusNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await res.node({ ...QUIET, name: `node${i}`, ...init(i) }));
  for (let i = 0; i + 1 < n; i++) await nodes[i]!.connect(nodes[i + 1]!.p2pAddress!);
  await until(() => nodes.every((node, i) => node.peers().length === (n === 1 ? 0 : i === 0 || i === n - 1 ? 1 : 2)), 'every link up');
  return nodes;
}

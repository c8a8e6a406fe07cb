import type { RouteDef } from '../capability/index.js';
import { ApiError, type NodeInfo } from '../api/index.js';
import type { BanRecord, PeerInfo, PeerRecord } from '../peers/index.js';

const NODE_ID = '([0-9a-f]{64})';

/** What the core routes need of the node. */
export interface NetworkNode {
  info(): NodeInfo;
  peers(): PeerInfo[];
  connect(address: string): Promise<PeerInfo>;
  disconnect(nodeId: string): void;
  addressBook(): PeerRecord[];
  bans(): BanRecord[];
  ban(nodeId: string, durationMs?: number, reason?: string): BanRecord;
  unban(nodeId: string): boolean;
}

/** The node and network routes of the HTTP API (docs/api.md, "Node" and "Network"). */
export function nodeRoutes(node: NetworkNode): RouteDef[] {
  return [
    { method: 'GET', path: '/node', handle: () => [200, node.info()] },
    { method: 'GET', path: '/network/peers', handle: () => [200, { peers: node.peers() }] },
    {
      method: 'POST',
      path: '/network/connect',
      body: { type: 'object', properties: { address: { type: 'string', minLength: 3, maxLength: 260 } }, required: ['address'], additionalProperties: false },
      handle: async (r) => [200, { peer: await node.connect((r.body as { address: string }).address) }],
    },
    {
      method: 'DELETE',
      path: `/network/peers/${NODE_ID}`,
      handle: (r) => {
        node.disconnect(r.params[0]!);
        return [200, { disconnected: r.params[0] }];
      },
    },
    { method: 'GET', path: '/network/address-book', handle: () => [200, { entries: node.addressBook() }] },
    { method: 'GET', path: '/network/bans', handle: () => [200, { bans: node.bans() }] },
    {
      method: 'POST',
      path: '/network/bans',
      body: {
        type: 'object',
        properties: {
          nodeId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          durationMs: { type: 'integer', minimum: 1, maximum: 10 * 365 * 24 * 3600 * 1000 },
          reason: { type: 'string', minLength: 1, maxLength: 200 },
        },
        required: ['nodeId'],
        additionalProperties: false,
      },
      handle: (r) => {
        const b = r.body as { nodeId: string; durationMs?: number; reason?: string };
        return [201, { ban: node.ban(b.nodeId, b.durationMs, b.reason) }];
      },
    },
    {
      method: 'DELETE',
      path: `/network/bans/${NODE_ID}`,
      handle: (r) => {
        if (!node.unban(r.params[0]!)) throw new ApiError(404, 'BAN_NOT_FOUND', `${r.params[0]} is not banned`);
        return [200, { unbanned: r.params[0] }];
      },
    },
  ];
}

import { DISCOVERY_CONNECTION_SLACK, DISCOVERY_MAX_ENTRIES, DISCOVERY_PORT, DISCOVERY_SERVER_NAME, discoveryServer, type DiscoveryServerInit } from '../discovery/index.js';
import { createNode, type NodeInit, PlexusNode } from './node.js';

/** Options of a discovery server: the registry's, and the few node options it uses. */
export interface DiscoveryServerOptions extends DiscoveryServerInit {
  /** Folder for the server's identity (its node ID stays the same across restarts). null: in memory. */
  dataDir?: string | null;
  host?: string;
  /** Default DISCOVERY_PORT (9999); 0 picks a free one. */
  port?: number;
  announceAddress?: string;
  /** Default DISCOVERY_SERVER_NAME. */
  name?: string | null;
  handshakeTimeoutMs?: number;
  api?: NodeInit['api'];
}

type ServerCapabilities = [ReturnType<typeof discoveryServer>];
export type DiscoveryServerNode = PlexusNode<ServerCapabilities>;

/**
 * Build the node a discovery server is: no capability but the registry (no heartbeat: the
 * registry's own heartbeats and expiry watch the connections), no peers of its own, and room
 * for maxEntries connections plus a few so that a full server can say DISCOVERY_FULL.
 */
export function discoveryServerInit(options: DiscoveryServerOptions = {}): NodeInit<ServerCapabilities> {
  const { dataDir, host, port, announceAddress, name, handshakeTimeoutMs, api, ...registry } = options;
  return {
    dataDir: dataDir ?? null,
    host,
    p2pPort: port ?? DISCOVERY_PORT,
    announceAddress,
    name: name === undefined ? DISCOVERY_SERVER_NAME : name,
    handshakeTimeoutMs,
    maxPeers: (registry.maxEntries ?? DISCOVERY_MAX_ENTRIES) + DISCOVERY_CONNECTION_SLACK,
    api: api ?? false,
    capabilities: [discoveryServer(registry)],
  };
}

/** Create and start a discovery server. */
export function createDiscoveryServer(options: DiscoveryServerOptions = {}): Promise<DiscoveryServerNode> {
  return createNode(discoveryServerInit(options));
}

/**
 * Node: the composition root. Builds the core (data folder, identity, store, transport,
 * peers) and the capabilities of its list from one NodeInit, wires what each declares, starts
 * them in dependency order and stops them in reverse. See capability/index.ts.
 */
export { PlexusNode, createNode, type NodeInit, type NodeEvents, type NodeState } from './node.js';
export type { NodeOptions } from './options.js';
export { defaultCapabilities, type DefaultCapabilities } from './capabilities.js';
export { DataDirInUseError, readRunInfo, readRunFile, lockHolder, type RunInfo, LOCK_FILE, RUN_FILE } from '../datadir/index.js';
export { createDiscoveryServer, discoveryServerInit, type DiscoveryServerNode, type DiscoveryServerOptions } from './discovery-server.js';

/**
 * Node: the composition root. Builds identity, store, transport, peers, heartbeat and API
 * from one NodeInit, starts them in order and stops them in reverse.
 */
export { PlexusNode, createNode, type NodeInit, type NodeEvents, type NodeState } from './node.js';
export { DataDirInUseError, readRunInfo, type RunInfo, LOCK_FILE, RUN_FILE } from './data-dir.js';

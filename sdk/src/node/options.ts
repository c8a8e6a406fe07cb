import type { CapabilityOptions } from './capabilities.js';

/**
 * Options of a node: the core's, and a section per default capability (`heartbeat`,
 * `outbox`, `contracts`, `transfer`; see capabilities.ts). Every timing is here so tests can
 * shrink it; defaults are in each capability's constants.
 */
export type NodeOptions = CoreOptions & CapabilityOptions;

/** Options of the core: data folder, name, transport, peers, store, clock, API. */
export interface CoreOptions {
  /** Folder for the identity key, database, API token and run file. null: in memory, fresh identity. */
  dataDir?: string | null;
  /** Display name sent to peers (at most 64 characters). */
  name?: string | null;
  /** Interface for the peer port. Default 127.0.0.1. */
  host?: string;
  /** Peer port; 0 picks a free one; null does not listen. Default 0. */
  p2pPort?: number | null;
  /** Address announced to peers, when it differs from host:port (NAT, 0.0.0.0). */
  announceAddress?: string;
  /** Peers ("host:port") to dial at start and keep connected. */
  peers?: string[];
  /** Most connected peers. Default 50. */
  maxPeers?: number;
  /** Largest inbound frame (bytes). Default 1 MiB. */
  maxPayload?: number;
  /** Time allowed for the whole handshake (ms). Default 5000. */
  handshakeTimeoutMs?: number;
  /** First redial delay (ms), doubled per failure up to dialBackoffMaxMs. Defaults 1000 / 60000. */
  dialBackoffBaseMs?: number;
  dialBackoffMaxMs?: number;
  /** Ban a peer when its score reaches minus this. Default 100. */
  banScoreThreshold?: number;
  /** How long an automatic ban lasts (ms). Default 1 hour. */
  banDurationMs?: number;
  /** Store engine: group commit window, log size that triggers a checkpoint (bytes), wasm path. */
  store?: { groupCommitMs?: number; checkpointBytes?: number; wasmPath?: string };
  /** Physical clock (ms since epoch) under the hybrid logical clock. Default Date.now; tests inject skew. */
  now?: () => number;
  /** Start the HTTP API. Off by default for embedded nodes; `plexus node` turns it on. */
  api?: { port?: number; host?: string; token?: string } | false;
}

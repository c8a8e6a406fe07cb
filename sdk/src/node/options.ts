import type { ContractsInit } from '../contracts/index.js';
import type { HeartbeatInit } from '../heartbeat/index.js';
import type { OutboxInit } from '../outbox/index.js';
import type { TransferInit } from '../transfer/index.js';

/** Options of a node. Every timing is here so tests can shrink it; defaults are in each capability's constants. */
export interface NodeOptions {
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
  /** Ping interval and timeout (the heartbeat capability). */
  heartbeat?: HeartbeatInit;
  /** First redial delay (ms), doubled per failure up to dialBackoffMaxMs. Defaults 1000 / 60000. */
  dialBackoffBaseMs?: number;
  dialBackoffMaxMs?: number;
  /** Ban a peer when its score reaches minus this. Default 100. */
  banScoreThreshold?: number;
  /** How long an automatic ban lasts (ms). Default 1 hour. */
  banDurationMs?: number;
  store?: { groupCommitMs?: number; wasmPath?: string };
  /** Physical clock (ms since epoch) under the hybrid logical clock. Default Date.now; tests inject skew. */
  now?: () => number;
  /** Contract sandbox limits, sync paging and per-peer caps (the contracts capability). */
  contracts?: ContractsInit;
  /** Outbox retry limit and timings (the outbox capability). */
  outbox?: OutboxInit;
  /** File transfer: upload rate limit, snub timeout, pipeline sizes (the files capability). */
  transfer?: TransferInit;
  /** Start the HTTP API. Off by default for embedded nodes; `plexus node` turns it on. */
  api?: { port?: number; host?: string; token?: string } | false;
}

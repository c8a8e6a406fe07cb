import type { PeerInfo } from './peer.js';

/** Why a peer was declared dead. */
export type DeathReason = 'heartbeat-timeout' | 'connection-lost';

/** Events of the peers capability (times in ms since epoch, durations in ms). */
export interface PeerEvents {
  /** A peer completed the handshake and joined the active set. */
  'peer:connect': PeerInfo;
  /** A peer left the active set, for whatever reason. Always follows `peer:dead` when both apply. */
  'peer:disconnect': {
    nodeId: string;
    address: string;
    code: number;
    reason: string;
    /** True when this node's operator disconnected or banned the peer. */
    operator: boolean;
  };
  /**
   * A peer stopped answering heartbeats, or its socket dropped without a close handshake
   * (process killed, network gone). `silentForMs` is how long nothing had arrived from it.
   */
  'peer:dead': { nodeId: string; address: string; reason: DeathReason; silentForMs: number };
  /** A dial or handshake failed; `retryInMs` is null when the address will not be retried. */
  'peer:dial-failed': { address: string; code: string; message: string; failures: number; retryInMs: number | null };
  /** A peer lost points for misbehaving. */
  'peer:penalty': { nodeId: string; code: string; message: string; points: number; score: number };
  'peer:ban': { nodeId: string; until: number; reason: string };
  'peer:unban': { nodeId: string };
  /** Something went wrong that the node recovered from. */
  warning: { code: string; message: string; nodeId?: string };
}

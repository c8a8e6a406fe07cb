/**
 * Heartbeat: liveness and round-trip time of every connected peer.
 *
 * Data flow: `peer:connect` starts a per-peer loop (self-rescheduling timer) -> Ping request
 * through the peer's connection -> Pong reply -> RTT sample on the Peer; a ping without a
 * pong and without any other traffic for `timeoutMs` -> PeerManager.declareDead ->
 * `peer:dead` + `peer:disconnect`. Inbound Pings are answered here too.
 */
export { Heartbeat, detectionBoundMs, type HeartbeatComponents, type HeartbeatInit } from './heartbeat.js';
export { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from './constants.js';
export { heartbeat, type HeartbeatApi } from './capability.js';

/**
 * Time between the pong (or the timeout) of one ping and the next ping (ms).
 * The design this comes from pinged every 60 s; 5 s finds a dead peer far sooner while
 * costing one small frame per peer per 5 s.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * How long a ping waits for its pong (ms). 10 s tolerates event-loop stalls of seconds on a
 * busy 2-core machine (GC, a large save, a burst of transfers) without false alarms; a
 * silent peer is removed within HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS = 15 s.
 */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

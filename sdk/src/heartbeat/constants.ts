/**
 * Time between the pong (or the timeout) of one ping and the next ping (ms).
 * The design this comes from pinged every 60 s; 5 s finds a dead peer far sooner while
 * costing one small frame per peer per 5 s.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * How long a ping waits for its pong (ms). 5 s tolerates event-loop stalls of seconds on a
 * busy 2-core machine (GC, a large save) without false alarms, and any other frame from the
 * peer excuses a late pong. A silent peer is removed within
 * max(interval + timeout, 2 x timeout) = 10 s.
 */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

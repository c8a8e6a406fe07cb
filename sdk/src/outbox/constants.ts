/** Failed deliveries after which a pending broadcast is dropped (with a warning). */
export const MAX_RETRIES = 10;
/** Pause between retry rounds for connected peers with pending broadcasts (ms). */
export const RETRY_INTERVAL_MS = 5_000;
/** How long one delivery waits for the peer's acknowledgement (ms). */
export const ACK_TIMEOUT_MS = 10_000;
/** Deliveries in flight to one peer at once (acknowledgements wait for the peer's durable save). */
export const MAX_IN_FLIGHT_PER_PEER = 64;

/** Pause between two exchange rounds (ms): each round asks one random peer (docs/protocol.md §19). */
export const PEX_INTERVAL_MS = 5_000;
/**
 * Outbound connections a node dials and keeps from its address book. Inbound connections do not
 * count and are bounded by maxPeers only; nothing is closed to get back to it (docs/protocol.md §19.5).
 */
export const TARGET_PEERS = 8;
/** Most entries in one `Addr` (Bitcoin's addr message carries at most 1,000). */
export const MAX_ADDR_ENTRIES = 1_000;
/**
 * An address is passed on only if the node at it was heard from within this window (ms):
 * connected now, or its last frame arrived at most this long ago.
 */
export const ADDR_RECENT_MS = 60 * 60 * 1000;
/** A node asks the same peer at most once per this (ms); the peer allows a burst of GETADDR_BURST. */
export const GETADDR_MIN_INTERVAL_MS = 1_000;
/** GetAddr a peer may send back to back before the per-peer rate applies. */
export const GETADDR_BURST = 2;
/** How long a GetAddr waits for its Addr (ms). */
export const GETADDR_TIMEOUT_MS = 5_000;
/** An entry whose lastSeen is further than this in the future (ms) is garbage. */
export const ADDR_FUTURE_TOLERANCE_MS = 10 * 60 * 1000;
/** Address-book entries beyond which learned addresses are no longer added. */
export const MAX_KNOWN_ADDRESSES = 5_000;

/** Score points (docs/protocol.md §9.1, §19.4). */
export const PEX_PENALTY = {
  /** A GetAddr beyond the per-peer rate. */
  RATE_LIMITED: 10,
  /** An Addr with an entry that is not a usable address (the whole list is refused). */
  INVALID_ADDR: 20,
  /** An Addr whose body fails its schema: over 1,000 entries, a member missing or extra. */
  ADDR_SCHEMA: 20,
} as const;

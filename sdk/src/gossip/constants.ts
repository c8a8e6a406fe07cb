/**
 * Time a message ID stays in the seen cache (ms). It must exceed the time a message takes to
 * reach the whole network, or a late copy would be taken for a new message and delivered
 * twice. GossipSub keeps its seen cache for 2 minutes; so does Plexus.
 */
export const GOSSIP_SEEN_TTL_MS = 120_000;
/** Most message IDs the seen cache holds; the oldest go first past it. */
export const GOSSIP_MAX_SEEN = 100_000;
/**
 * Most peers a message is pushed to in full (the eager set of Plumtree, bounded). 6 is
 * GossipSub's D; Plumtree's pruning then shrinks the eager links to a spanning tree.
 */
export const GOSSIP_FANOUT = 6;
/** Most links a message travels (the hop limit): `ttl` starts at GOSSIP_MAX_HOPS - 1. */
export const GOSSIP_MAX_HOPS = 16;
/** Largest payload, in bytes of its canonical JSON (RFC 8785). */
export const GOSSIP_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * Plumtree's lazy timer (ms): how long an announced but missing message is waited for before
 * it is asked for with a Graft. This value is used for an announcer whose round-trip time is
 * not measured yet (no pong so far), and caps the timer derived from a measured one.
 */
export const GOSSIP_GRAFT_TIMEOUT_MS = 500;
/**
 * The lazy timer for an announcer with a measured round-trip time: this many smoothed RTTs of
 * the heartbeat (RFC 6298 SRTT) to it, at least GOSSIP_GRAFT_TIMEOUT_MIN_MS and at most
 * GOSSIP_GRAFT_TIMEOUT_MS. The eager copy and the IHave travel the same network, so a copy
 * that is later than a few RTTs of the announcer's link is taken as lost: the Graft then costs
 * one more RTT. TCP's RTO (RFC 6298) waits SRTT + 4 RTTVAR for the same reason.
 */
export const GOSSIP_GRAFT_RTT_MULTIPLIER = 4;
/**
 * Floor of the RTT-derived lazy timer (ms): on a loopback or LAN link the RTT is a millisecond
 * or less, shorter than the event loop's own stalls (garbage collection, a burst of frames; a
 * broadcast among 50 nodes in one process takes 20-40 ms), and a timer below them would Graft
 * messages that are merely queued: each such Graft costs a copy.
 */
export const GOSSIP_GRAFT_TIMEOUT_MIN_MS = 50;
/**
 * Plumtree's tree optimisation (Leitão et al. 2007): an IHave whose hop count is smaller
 * than that of the eager copy already received by at least this many hops makes the node graft
 * the announcer; the next duplicate prunes the longer link, so the tree follows shorter paths.
 * 1 would chase every one-hop gain as the publisher changes; 0 turns the optimisation off.
 */
export const GOSSIP_OPTIMIZATION_THRESHOLD = 2;
/**
 * Delay of the lazy push (ms): announcements are queued this long and then sent together,
 * several IDs per IHave, as the paper allows (lazy push "may be batched") and GossipSub does at
 * each heartbeat. They then do not compete with the eager pushes of the same message for the
 * links and the receivers' time, and an ID a peer announced to this node meanwhile is not
 * announced back. A missing message is grafted this much later.
 */
export const GOSSIP_IHAVE_DELAY_MS = 20;
/** Gossip frames (Gossip, IHave, Graft, Prune) one peer may send per second, on average. */
export const GOSSIP_PEER_RATE = 200;
/** Burst allowance of that rate (frames). */
export const GOSSIP_PEER_BURST = 400;
/** Most IDs in one IHave or Graft. */
export const GOSSIP_MAX_IDS = 64;
/** Points a peer loses for a message its topic's validator refused, unless the validator says otherwise. */
export const GOSSIP_INVALID_PENALTY = 10;
/** Points for a Gossip whose `id` is not the hash of its topic and payload, or whose payload is too large. */
export const GOSSIP_BAD_ID_PENALTY = 25;
/** Points for each frame over the per-peer rate limit (dropped). */
export const GOSSIP_FLOOD_PENALTY = 5;

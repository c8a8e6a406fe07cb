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
 * How long an announced but missing message is waited for before it is asked for with a
 * Graft (ms): Plumtree's lazy timer. Longer than a normal eager push takes, so that a Graft
 * is sent only when the tree is broken.
 */
export const GOSSIP_GRAFT_TIMEOUT_MS = 500;
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

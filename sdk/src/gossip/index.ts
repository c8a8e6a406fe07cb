/**
 * Gossip: one message to every node of the network, for other capabilities (chat, later the
 * chain) through `ctx.use<GossipApi>('gossip')`.
 *
 * Data flow: `publish(topic, payload)` -> ID = SHA-256 of canonical {topic, payload} -> seen
 * cache -> `Gossip` frame to the eager peers, `IHave` to the lazy ones (queued `ihaveDelayMs`,
 * several IDs a frame). Inbound `Gossip` ->
 * token bucket of its peer -> seen cache (a duplicate stops here: counted, `Prune` to its
 * sender) -> ID recomputed -> the topic's `validate` (refusal: sender penalised, not
 * forwarded) -> forwarded while `ttl` > 0 -> the topic's `deliver` -> `gossip:message`.
 * Inbound `IHave` for an unseen ID -> lazy timer (a few RTTs of the announcer) -> `Graft` to
 * the announcer -> `Gossip` back; for a seen ID by a path `optimizationThreshold` hops shorter
 * -> `Graft {ids: []}` (Plumtree's optimisation).
 * Wire format: docs/protocol.md §17.
 */
export { Gossip, gossipId, type GossipComponents, type GossipInit, type GossipMessage, type GossipVerdict, type GossipEvents } from './gossip.js';
export { gossip, type GossipApi, type TopicHandler, type GossipStats, type MessageStats } from './capability.js';
export { InvalidGossipError, TopicTakenError } from './errors.js';
export * from './constants.js';

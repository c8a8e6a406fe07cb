/**
 * Discovery: bootstrap servers that introduce nodes to each other (docs/protocol.md §18).
 *
 * Server (`discoveryServer`, run by `plexus discovery`): a node whose only capability is this
 * registry. Data flow: a node's connection (authenticated by the handshake) -> DiscoveryRegister
 * (signed listen address and timestamp) -> checks (node ID of the connection, signature,
 * timestamp, caps) -> registry -> DiscoveryRegistered reply with a sample of the others, and a
 * DiscoveryPeers push (joined) to every other registered node; DiscoveryHeartbeat refreshes;
 * DiscoveryUnregister, a closed connection or expiry -> DiscoveryPeers push (left).
 *
 * Client (`discovery`, a default capability): a connection per server of its own, outside the
 * peer manager (a server is not a peer: never counted against maxPeers, never synced with);
 * registered entries go to the address book and some are dialed through the peer manager.
 */
export { discovery, discoveryServer } from './capability.js';
export { DiscoveryClient, type DiscoveryApi, type DiscoveryEvents, type DiscoveryInit, type DiscoveryServerStatus, type DiscoveryState } from './client.js';
export { DiscoveryRegistry, ipOf, type DiscoveryServerApi, type DiscoveryServerEvents, type DiscoveryServerInit, type LeaveReason, type Registration } from './server.js';
export { registerSigningPayload, type DiscoveryEntry, type DiscoveryPeersBody, type DiscoveryRegisteredBody, type DiscoveryRegisterBody } from './messages.js';
export * from './constants.js';

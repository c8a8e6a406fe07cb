/**
 * Peers: who we are connected to and who we try to be connected to.
 *
 * Data flow: the transport hands over new sockets -> handshake (transport) -> admission
 * (bans from the store, the peer cap) -> duplicate collapse -> the active set; each
 * message from an active peer goes to the handler registered for its type; violations
 * reported by the connection cost score points and, past a threshold, a ban. The address
 * book (store) lists addresses to keep connected; they are redialed with exponential
 * backoff and jitter after failures and drops.
 */
export { PeerManager, type PeerManagerComponents, type PeerManagerInit, type MessageHandler, type BinaryHandler } from './peer-manager.js';
export { Peer, type PeerInfo } from './peer.js';
export type { PeerEvents, DeathReason } from './events.js';
export { parseAddress } from './address.js';
export { backoffDelay } from './backoff.js';
export { InvalidAddressError, PeerNotFoundError, SelfDialError } from './errors.js';
export * from './constants.js';
export { PeersRepository, type PeerRecord } from './repository.js';
export { BansRepository, type BanRecord } from './bans.js';
export { PEER_MIGRATIONS } from './migrations.js';
export type { PeerHooks } from './peer-manager.js';

/**
 * Peer exchange: how a node learns the network from its peers and keeps enough of it connected.
 *
 * Data flow: a round timer (every `intervalMs`) picks a random connected peer -> `GetAddr`
 * request -> the peer's `Addr` reply (at most 1,000 `{nodeId, address, lastSeen}`, checked:
 * schema, then every address, or the whole list is refused and the peer penalised) -> new
 * addresses join the address book (`peers` table, auto-dial on, so the unconfirmed give-up rule
 * applies) and the claim goes to `pex_heard` -> `pex:addresses` -> the connection target: below
 * `targetPeers` outbound connections, PeerManager.dialNow() on random recent candidates (inbound
 * connections do not count; none is closed above the target). Inbound
 * `GetAddr` -> per-peer token bucket -> `Addr` of the nodes heard from recently. Wire format:
 * docs/protocol.md §19; routes: docs/api.md.
 */
export { pex, type PexApi } from './capability.js';
export { PeerExchange, type PeerExchangeComponents, type PeerExchangeInit, type PexEvents, type KnownAddress, type KnownState, type ExchangeResult } from './exchange.js';
export { ADDR_SCHEMA, GETADDR_SCHEMA, type AddrBody, type AddrEntry, type GetAddrBody } from './messages.js';
export { HeardRepository, type HeardRecord } from './repository.js';
export { PEX_MIGRATIONS } from './migrations.js';
export * from './constants.js';

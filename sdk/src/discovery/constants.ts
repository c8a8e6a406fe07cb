/** How often a registered node sends DiscoveryHeartbeat (ms). The server tells it in DiscoveryRegistered. */
export const DISCOVERY_HEARTBEAT_MS = 10_000;
/** A registration with no frame for this long is dropped by the server (ms). */
export const DISCOVERY_EXPIRY_MS = 30_000;
/** How often the server looks for expired registrations (ms). */
export const DISCOVERY_CHECK_INTERVAL_MS = 10_000;
/** Most registrations a server holds. */
export const DISCOVERY_MAX_ENTRIES = 10_000;
/** Most registrations from one IP address. */
export const DISCOVERY_MAX_PER_ADDRESS = 8;
/** Most entries in one DiscoveryRegistered list (a random sample when more are registered). */
export const DISCOVERY_MAX_LIST = 100;
/** Most entries in one DiscoveryPeers push (`joined` plus `left`). */
export const DISCOVERY_MAX_PUSH = 100;
/** How far a Register's `timestamp` may be from the server's clock (ms). */
export const DISCOVERY_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Connections beyond `maxEntries` the server's node admits, so that a full server can say why. */
export const DISCOVERY_CONNECTION_SLACK = 64;
/** The `purpose` bound into a DiscoveryRegister signature (domain separation from Hello). */
export const DISCOVERY_REGISTER_PURPOSE = 'plexus-discovery-register';
/** Default port of `plexus discovery`. */
export const DISCOVERY_PORT = 9999;
/** Display name a discovery server gives in its Hello. */
export const DISCOVERY_SERVER_NAME = 'plexus-discovery';

/** Client: first redial delay after the server connection ends (ms); doubles up to the max. */
export const DISCOVERY_REDIAL_BASE_MS = 1_000;
export const DISCOVERY_REDIAL_MAX_MS = 60_000;
/** Client: how long a DiscoveryRegister or DiscoveryHeartbeat waits for its reply (ms). */
export const DISCOVERY_REQUEST_TIMEOUT_MS = 5_000;
/** Client: dial learned peers until this many peers are connected (never above maxPeers). */
export const DISCOVERY_DIAL_TARGET = 8;

/** Error codes a discovery server answers with (in an `Error` reply to the request). */
export const DiscoveryErrorCode = {
  /** The server holds maxEntries registrations. */
  DISCOVERY_FULL: 'DISCOVERY_FULL',
  /** maxPerAddress registrations come from this IP address already. */
  DISCOVERY_ADDRESS_LIMIT: 'DISCOVERY_ADDRESS_LIMIT',
  /** `nodeId` is not the node ID the connection's handshake proved. */
  DISCOVERY_NODE_ID_MISMATCH: 'DISCOVERY_NODE_ID_MISMATCH',
  /** The signature does not verify against the connection's public key. */
  DISCOVERY_BAD_SIGNATURE: 'DISCOVERY_BAD_SIGNATURE',
  /** `timestamp` is too far from the server's clock, or not after the last one accepted. */
  DISCOVERY_STALE_TIMESTAMP: 'DISCOVERY_STALE_TIMESTAMP',
  /** A DiscoveryHeartbeat from a connection that holds no registration. */
  DISCOVERY_NOT_REGISTERED: 'DISCOVERY_NOT_REGISTERED',
} as const;
export type DiscoveryErrorCodeValue = (typeof DiscoveryErrorCode)[keyof typeof DiscoveryErrorCode];

/** Most peers connected at once (both directions). */
export const MAX_PEERS = 50;
/** First redial delay after a failure or a drop (ms); doubles per consecutive failure. */
export const DIAL_BACKOFF_BASE_MS = 1_000;
/** Longest redial delay (ms). */
export const DIAL_BACKOFF_MAX_MS = 60_000;
/** Consecutive failed dials after which an address we never reached stops being dialed. */
export const MAX_UNCONFIRMED_DIAL_FAILURES = 8;
/** A peer whose score falls to or below minus this is banned. */
export const BAN_SCORE_THRESHOLD = 100;
/** How long a misbehaving peer stays banned (ms). */
export const BAN_DURATION_MS = 60 * 60 * 1000;

/** Score points taken for each kind of violation (see docs/protocol.md, "Penalties"). */
export const PENALTY_POINTS: Readonly<Record<string, number>> = {
  MALFORMED_FRAME: 25,
  INVALID_ENVELOPE: 20,
  UNSUPPORTED_VERSION: 20,
  INVALID_MESSAGE: 10,
  // Nodes run different capabilities: a type the receiver does not run is answered with an
  // Error but costs nothing, or a node with fewer capabilities would ban every full node.
  UNKNOWN_TYPE: 0,
  UNEXPECTED_MESSAGE: 10,
  UNEXPECTED_BINARY: 20,
  MESSAGE_TOO_LARGE: 50,
};
/** Points for a violation code not listed above. */
export const DEFAULT_PENALTY_POINTS = 10;

/** Wire protocol version carried in every envelope (`v`) and in Hello. */
export const PROTOCOL_VERSION = 1;
/** Versions this node accepts in a peer's Hello. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];
/** HTTP path of the WebSocket endpoint peers connect to. */
export const P2P_PATH = '/plexus';
/** Largest inbound frame, text or binary, in bytes (ws `maxPayload`). Larger frames close the socket with 1009. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** The whole handshake must finish within this (ms). */
export const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Default time a request waits for its reply (ms). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Bytes of the random handshake challenge. */
export const CHALLENGE_BYTES = 32;
/** The `purpose` string bound into the Hello signature (domain separation). */
export const HELLO_PURPOSE = 'plexus-hello';

/**
 * WebSocket close codes (RFC 6455 §7.4; 4000-4999 are ours). The close reason is a short
 * human-readable text (at most 123 bytes).
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  PROTOCOL_ERROR: 4000,
  UNSUPPORTED_VERSION: 4001,
  BAD_SIGNATURE: 4002,
  SELF_CONNECTION: 4003,
  BANNED: 4004,
  DUPLICATE_CONNECTION: 4005,
  HANDSHAKE_TIMEOUT: 4006,
  TOO_MANY_PEERS: 4007,
  NODE_ID_MISMATCH: 4008,
  MISBEHAVIOUR: 4009,
  HEARTBEAT_TIMEOUT: 4010,
  DISCONNECT_REQUESTED: 4011,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes carried in an `Error` message's body and counted against the sender's score. */
export const ErrorCode = {
  MALFORMED_FRAME: 'MALFORMED_FRAME',
  INVALID_ENVELOPE: 'INVALID_ENVELOPE',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNEXPECTED_MESSAGE: 'UNEXPECTED_MESSAGE',
  UNEXPECTED_BINARY: 'UNEXPECTED_BINARY',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Transport: WebSocket connections speaking the Plexus envelope protocol.
 *
 * Data flow: a socket (ws, frames capped at `maxPayload`) -> Connection (decode, schema
 * check through the Codec, reply matching, violations) -> handshake (Challenge, Hello,
 * Ready: mutual Ed25519 proof of identity) -> the peer manager, which dispatches messages
 * to the capability that registered their type. Specified in docs/protocol.md.
 */
export * from './constants.js';
export { Codec, type MessageKind, type DecodeResult } from './codec.js';
export { Connection, type ConnectionEvents, type Direction, type RequestOptions, type Violation } from './connection.js';
export { handshake, helloSigningPayload, closeCodeName, type HandshakeOptions, type Refusal } from './handshake.js';
export { ConnectionClosedError, DialError, HandshakeError, RemoteError, RequestTimeoutError } from './errors.js';
export type { ChallengeBody, Envelope, ErrorBody, HelloBody, PingBody, PongBody } from './messages.js';
export { PING_SCHEMA } from './messages.js';
export { Transport, type TransportInit, type TransportComponents } from './transport.js';

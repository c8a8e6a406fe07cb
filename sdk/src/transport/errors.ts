import { PlexusError } from '../errors.js';

/** The handshake failed; `closeCode` is the WebSocket close code sent or received. */
export class HandshakeError extends PlexusError {
  readonly closeCode: number;
  /** True when the remote side refused us, false when we refused the remote. */
  readonly remote: boolean;
  constructor(code: string, closeCode: number, reason: string, remote: boolean) {
    super(code, remote ? `peer refused the handshake (${closeCode}): ${reason}` : `handshake refused (${closeCode}): ${reason}`);
    this.closeCode = closeCode;
    this.remote = remote;
  }
}

/** A request got no reply within its timeout. */
export class RequestTimeoutError extends PlexusError {
  constructor(type: string, ms: number) {
    super('REQUEST_TIMEOUT', `no reply to ${type} within ${ms} ms`);
  }
}

/** The connection closed while a request was waiting, or a send was attempted after close. */
export class ConnectionClosedError extends PlexusError {
  readonly closeCode: number;
  constructor(closeCode: number, reason: string) {
    super('CONNECTION_CLOSED', `connection closed (${closeCode}${reason ? `: ${reason}` : ''})`);
    this.closeCode = closeCode;
  }
}

/** The peer answered a request with an `Error` message; `code` is the peer's error code. */
export class RemoteError extends PlexusError {
  constructor(code: string, message: string) {
    super(code, `peer replied ${code}: ${message}`);
  }
}

/** Dialing an address failed before a handshake could start (refused, unreachable, timeout). */
export class DialError extends PlexusError {
  constructor(address: string, reason: string) {
    super('DIAL_FAILED', `could not connect to ${address}: ${reason}`);
  }
}

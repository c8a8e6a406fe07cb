import { randomBytes } from 'node:crypto';
import { keyBelongsTo, type Identity, verifySignature } from '../identity/index.js';
import { canonicalBytes } from '../util/canonical.js';
import { base64url } from '../util/encoding.js';
import type { Connection, Violation } from './connection.js';
import { CHALLENGE_BYTES, CloseCode, ErrorCode, HELLO_PURPOSE, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './constants.js';
import { HandshakeError } from './errors.js';
import { type ChallengeBody, type Envelope, type HelloBody, isCore } from './messages.js';
import type { ConnectionClosedError } from './errors.js';

/** A refusal: the close code and reason to send. */
export interface Refusal {
  closeCode: number;
  code: string;
  reason: string;
}

export interface HandshakeOptions {
  identity: Identity;
  listenAddress: string | null;
  agent: string;
  name: string | null;
  timeoutMs: number;
  /** Called once the peer proved its identity; return a Refusal to turn it away (ban, peer cap). */
  admit: (hello: HelloBody, connection: Connection) => Refusal | null;
}

/**
 * The bytes a Hello signature covers: RFC 8785 canonical JSON of the Hello body without
 * `signature`, plus `purpose: "plexus-hello"` and `challenge`: the nonce the *verifier* sent.
 */
export function helloSigningPayload(hello: Omit<HelloBody, 'signature'>, challenge: string): Buffer {
  const { version, nodeId, publicKey, listenAddress, agent, name } = hello;
  return canonicalBytes({ purpose: HELLO_PURPOSE, challenge, version, nodeId, publicKey, listenAddress, agent, name });
}

/**
 * Run the handshake on a freshly opened connection; both sides run the same steps:
 *
 *   1. send  Challenge {nonce}                      (32 random bytes, base64url)
 *   2. on the peer's Challenge: send Hello {..., signature over the peer's nonce}
 *   3. on the peer's Hello: check version, node ID = SHA-256(publicKey), the signature over
 *      our nonce, not ourselves, then admit(); on success send Ready {}
 *   4. done when we sent Ready and received the peer's Ready
 *
 * Any failure closes the socket with a specific close code (see CloseCode) and rejects
 * with HandshakeError; a refusal by the peer rejects with `remote: true` and its code.
 * On success the connection is left paused: the caller attaches its listeners and then
 * calls `conn.resume()`.
 */
export function handshake(conn: Connection, options: HandshakeOptions): Promise<HelloBody> {
  const ourNonce = base64url(randomBytes(CHALLENGE_BYTES));
  let peerNonce: string | undefined;
  let peerHello: HelloBody | undefined;
  let sentReady = false;

  return new Promise<HelloBody>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      conn.off('message', onMessage);
      conn.off('violation', onViolation);
      conn.off('close', onClose);
    };
    const refuse = (closeCode: number, code: string, reason: string): void => {
      if (settled) return;
      cleanup();
      conn.close(closeCode, reason);
      reject(new HandshakeError(code, closeCode, reason, false));
    };
    const onClose = ({ code, reason }: { code: number; reason: string }): void => {
      if (settled) return;
      cleanup();
      reject(new HandshakeError(closeCodeName(code), code, reason || 'connection closed during handshake', true));
    };
    const onViolation = (v: Violation): void => {
      if (v.code === ErrorCode.UNSUPPORTED_VERSION) refuse(CloseCode.UNSUPPORTED_VERSION, 'UNSUPPORTED_VERSION', v.message);
      else refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', v.message);
    };
    const onMessage = (envelope: Envelope): void => {
      try {
        step(envelope);
      } catch (err) {
        refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', (err as Error).message);
      }
    };
    const timer = setTimeout(
      () => refuse(CloseCode.HANDSHAKE_TIMEOUT, 'HANDSHAKE_TIMEOUT', `handshake not finished within ${options.timeoutMs} ms`),
      options.timeoutMs,
    );

    const step = (envelope: Envelope): void => {
      if (isCore(envelope, 'Challenge')) {
        if (peerNonce !== undefined) return refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', 'second Challenge');
        peerNonce = envelope.body.nonce;
        const unsigned = {
          version: PROTOCOL_VERSION,
          nodeId: options.identity.nodeId,
          publicKey: options.identity.publicKey,
          listenAddress: options.listenAddress,
          agent: options.agent,
          name: options.name,
        };
        const signature = options.identity.sign(helloSigningPayload(unsigned, peerNonce));
        conn.send<HelloBody>('Hello', { ...unsigned, signature });
        return;
      }
      if (isCore(envelope, 'Hello')) {
        if (peerNonce === undefined || peerHello !== undefined) {
          return refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', 'Hello out of order');
        }
        const hello = envelope.body;
        if (!SUPPORTED_VERSIONS.includes(hello.version)) {
          return refuse(CloseCode.UNSUPPORTED_VERSION, 'UNSUPPORTED_VERSION', `protocol version ${hello.version} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
        }
        const port = hello.listenAddress === null ? 1 : Number(/:(\d+)$/.exec(hello.listenAddress)?.[1]);
        if (!(port >= 1 && port <= 65535)) {
          return refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', `listenAddress port must be 1-65535`);
        }
        if (!keyBelongsTo(hello.publicKey, hello.nodeId)) {
          return refuse(CloseCode.NODE_ID_MISMATCH, 'NODE_ID_MISMATCH', 'nodeId is not SHA-256 of publicKey');
        }
        if (!verifySignature(hello.publicKey, helloSigningPayload(hello, ourNonce), hello.signature)) {
          return refuse(CloseCode.BAD_SIGNATURE, 'BAD_SIGNATURE', 'Hello signature does not verify against our challenge');
        }
        if (hello.nodeId === options.identity.nodeId) {
          return refuse(CloseCode.SELF_CONNECTION, 'SELF_CONNECTION', 'connected to ourselves');
        }
        const refusal = options.admit(hello, conn);
        if (refusal) return refuse(refusal.closeCode, refusal.code, refusal.reason);
        peerHello = hello;
        conn.send('Ready', {});
        sentReady = true;
        return;
      }
      if (isCore(envelope, 'Ready')) {
        if (peerHello === undefined || !sentReady) return refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', 'Ready before Hello');
        // Frames after Ready belong to the next consumer, which resumes the connection.
        conn.pause();
        cleanup();
        resolve(peerHello);
        return;
      }
      if (isCore(envelope, 'Error')) {
        // The peer is refusing or reporting a problem: surface its own code and words.
        const body = envelope.body;
        if (settled) return;
        cleanup();
        conn.close(CloseCode.PROTOCOL_ERROR, 'handshake failed');
        reject(new HandshakeError(body.code, CloseCode.PROTOCOL_ERROR, body.message, true));
        return;
      }
      return refuse(CloseCode.PROTOCOL_ERROR, 'PROTOCOL_ERROR', `${envelope.type} is not allowed during the handshake`);
    };

    conn.on('message', onMessage);
    conn.on('violation', onViolation);
    conn.on('close', onClose);
    try {
      // Our Challenge is the first frame we send, before we answer anything already received.
      conn.send<ChallengeBody>('Challenge', { nonce: ourNonce });
    } catch (err) {
      // The peer closed at once: its close event carries the real code, so wait for it.
      if (!conn.isClosed) return;
      const closed = err as ConnectionClosedError;
      cleanup();
      reject(new HandshakeError(closeCodeName(closed.closeCode), closed.closeCode, closed.message, true));
      return;
    }
    conn.resume();
  });
}

/** The stable error code for a close code received from a peer. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return 'CONNECTION_CLOSED';
}

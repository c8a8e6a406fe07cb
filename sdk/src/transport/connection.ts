import WebSocket from 'ws';
import { TypedEmitter } from '../events.js';
import { AbortedError } from '../errors.js';
import { CloseCode, ErrorCode, type ErrorCodeValue, REQUEST_TIMEOUT_MS } from './constants.js';
import type { Codec } from './codec.js';
import { ConnectionClosedError, RemoteError, RequestTimeoutError } from './errors.js';
import { type Envelope, type ErrorBody, isCore } from './messages.js';

export type Direction = 'inbound' | 'outbound';

/** Something the remote side did wrong; the peer manager turns these into penalties. */
export interface Violation {
  code: ErrorCodeValue;
  message: string;
  /** The message type, when the envelope was valid but its body was not. */
  type?: string;
}

export interface ConnectionEvents {
  /** A valid message that is not a reply to one of our requests. */
  message: Envelope;
  /** A binary frame (bulk data); only delivered when `acceptBinary` is set. */
  binary: Buffer;
  violation: Violation;
  close: { code: number; reason: string; local: boolean };
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  type: string;
  resolve: (e: Envelope) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

const MAX_ID = 2 ** 31 - 1;

/**
 * One WebSocket to a peer, speaking the JSON envelope protocol.
 *
 * Every inbound text frame is decoded and schema-checked by the codec. A bad frame is
 * answered with `Error {code, message}` (naming the request id when it had one) and
 * reported as a `violation`; it never reaches a handler. Replies (`re`) settle the
 * matching `request()`; everything else is emitted as `message`. Every request ends:
 * with its reply, with RemoteError for an `Error` reply, with RequestTimeoutError, with
 * ConnectionClosedError when the socket closes, or with AbortedError from its signal.
 */
export class Connection extends TypedEmitter<ConnectionEvents> {
  readonly direction: Direction;
  /** "ip:port" of the socket's remote end (not necessarily where the peer listens). */
  readonly remoteAddress: string;
  /** ms since epoch when the socket opened. */
  readonly openedAt = Date.now();
  /** ms since epoch of the last frame received (any frame counts as a sign of life). */
  lastReceivedAt = Date.now();
  /** Accept binary frames (set by capabilities that move bulk data). */
  acceptBinary = false;
  bytesIn = 0;
  bytesOut = 0;
  /** Frames received so far (any kind); compared before and after to see if anything arrived. */
  framesIn = 0;
  readonly #ws: WebSocket;
  readonly #codec: Codec;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Frames that arrived before resume(): ws may deliver a frame in the same tick as 'open'. */
  #held: Array<[WebSocket.RawData, boolean]> | null = [];
  #closeInfo: { code: number; reason: string } | undefined;
  #closedLocally = false;
  /** The close code we sent (or ws sent for us after a protocol error), reported instead of 1006. */
  #localCode: number | undefined;

  constructor(ws: WebSocket, codec: Codec, direction: Direction, remoteAddress: string) {
    super();
    this.#ws = ws;
    this.#codec = codec;
    this.direction = direction;
    this.remoteAddress = remoteAddress;
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.#held) this.#held.push([data, isBinary]);
      else this.#onFrame(data, isBinary);
    });
    ws.on('error', (err: Error & { code?: string }) => this.#onSocketError(err));
    ws.on('close', (code: number, reason: Buffer) => {
      const text = reason.toString('utf8');
      if (this.#held) {
        // Deliver what arrived before the close once resumed, then the close itself.
        const held = this.#held;
        this.#held = null;
        queueMicrotask(() => {
          for (const [data, isBinary] of held) this.#onFrame(data, isBinary);
          this.#onClose(code, text);
        });
      } else this.#onClose(code, text);
    });
  }

  /**
   * Hold incoming frames (in order) until `resume()`: used when the connection passes from
   * one consumer to the next (handshake -> peer manager), so that a frame arriving in the
   * same read as the last handshake frame is not emitted to nobody.
   */
  pause(): void {
    this.#held ??= [];
  }

  /**
   * Deliver held frames and start delivering new ones. Frames are held from the socket's
   * opening, and after `pause()`, until the consumer has attached its listeners.
   */
  resume(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    for (const [data, isBinary] of held) this.#onFrame(data, isBinary);
  }

  /** Bytes queued in the socket, not yet handed to the kernel (for backpressure). */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** True once the socket is fully closed and the `close` event has been emitted. */
  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Send a message that expects no reply. @throws ConnectionClosedError */
  send<B>(type: string, body: B, ids: { id?: number; re?: number } = {}): void {
    this.#write({ v: 1, type, ...ids, body });
  }

  /** Answer the request `to` with `type`/`body`. */
  reply<B>(to: Envelope<any>, type: string, body: B): void {
    this.send(type, body, { re: to.id });
  }

  /** Answer the request `to` (or the connection, if `to` has no id) with an Error message. */
  replyError(to: Envelope<any> | undefined, code: string, message: string): void {
    if (!this.isOpen) return;
    this.send<ErrorBody>('Error', { code, message: message.slice(0, 1024) }, to?.id ? { re: to.id } : {});
  }

  /**
   * Send a request and wait for the message whose `re` equals its id. `R` is the body type of
   * the expected reply: the codec validated the reply against the schema of its own `type`,
   * so a caller checks `reply.type` before it relies on `R`.
   * @throws RequestTimeoutError, RemoteError, ConnectionClosedError, AbortedError
   */
  request<B, R = Record<string, unknown>>(type: string, body: B, options: RequestOptions = {}): Promise<Envelope<R>> {
    return this.#request(type, (id) => this.#codec.encode({ v: 1, type, id, body }), options) as Promise<Envelope<R>>;
  }

  /**
   * `request` with a body that is already JSON text (a stored record sent as it was stored,
   * without parsing and serializing it again). The caller vouches that `bodyJson` is one
   * JSON object valid for `type`.
   */
  requestRaw<R = Record<string, unknown>>(type: string, bodyJson: string, options: RequestOptions = {}): Promise<Envelope<R>> {
    return this.#request(type, (id) => `{"v":1,"type":${JSON.stringify(type)},"id":${id},"body":${bodyJson}}`, options) as Promise<Envelope<R>>;
  }

  #request(type: string, encode: (id: number) => string, options: RequestOptions): Promise<Envelope> {
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const id = this.#nextId;
    this.#nextId = this.#nextId >= MAX_ID ? 1 : this.#nextId + 1;
    return new Promise<Envelope>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(new AbortedError());
      const onAbort = (): void => finish(new AbortedError());
      const finish = (err: Error | null, reply?: Envelope): void => {
        const pending = this.#pending.get(id);
        if (!pending) return;
        this.#pending.delete(id);
        pending.cleanup();
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => finish(new RequestTimeoutError(type, timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        type,
        timer,
        resolve: (e) => finish(null, e),
        reject: (e) => finish(e),
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      try {
        this.sendRaw(encode(id));
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  /**
   * Send an already encoded envelope (for replies spliced from stored JSON). The caller
   * vouches that `text` is one valid envelope. @throws ConnectionClosedError
   */
  sendRaw(text: string): void {
    if (!this.isOpen) throw this.#closedError();
    this.bytesOut += Buffer.byteLength(text);
    this.#ws.send(text);
  }

  /** Send a binary frame. @throws ConnectionClosedError */
  sendBinary(data: Uint8Array): void {
    if (!this.isOpen) throw this.#closedError();
    this.bytesOut += data.byteLength;
    this.#ws.send(data, { binary: true });
  }

  /** Close with a code and reason (RFC 6455 close frame). Safe to call twice. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#ws.readyState === WebSocket.CLOSED || this.#ws.readyState === WebSocket.CLOSING) return;
    this.#closedLocally = true;
    this.#localCode ??= code;
    this.#ws.close(code, truncateUtf8(reason, 123));
    // A peer that never answers the close frame must not keep the socket alive.
    const kill = setTimeout(() => this.#ws.terminate(), 2_000);
    kill.unref();
    this.#ws.once('close', () => clearTimeout(kill));
  }

  /** Drop the socket at once, without a close handshake; `code` is what the close event reports. */
  terminate(code?: number): void {
    this.#closedLocally = true;
    if (code !== undefined) this.#localCode ??= code;
    this.#ws.terminate();
  }

  #write(envelope: Envelope<unknown>): void {
    if (!this.isOpen) throw this.#closedError();
    const text = this.#codec.encode(envelope);
    this.bytesOut += Buffer.byteLength(text);
    this.#ws.send(text);
  }

  #closedError(): ConnectionClosedError {
    return new ConnectionClosedError(this.#closeInfo?.code ?? 1006, this.#closeInfo?.reason ?? 'socket is not open');
  }

  #onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    // ws hands over a Buffer (binaryType "nodebuffer"); copy only the other shapes.
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.bytesIn += buffer.byteLength;
    this.framesIn++;
    this.lastReceivedAt = Date.now();
    if (isBinary) {
      if (this.acceptBinary) this.emit('binary', buffer);
      else this.#violation(undefined, ErrorCode.UNEXPECTED_BINARY, 'binary frames are not accepted on this connection');
      return;
    }
    const result = this.#codec.decode(buffer.toString('utf8'));
    if (!result.ok) {
      this.#violation(result.re, result.code, result.message, result.type);
      // A malformed reply still ends the request it answers, at once rather than at its timeout.
      if (result.replyTo !== undefined) this.#pending.get(result.replyTo)?.reject(new RemoteError(result.code, `invalid reply: ${result.message}`));
      return;
    }
    const envelope = result.envelope;
    if (envelope.re !== undefined) {
      const pending = this.#pending.get(envelope.re);
      if (pending) {
        if (isCore(envelope, 'Error')) {
          pending.reject(new RemoteError(envelope.body.code, envelope.body.message));
        } else pending.resolve(envelope);
        return;
      }
      // A late reply to a request that already timed out: harmless, dropped.
      if (envelope.type !== 'Error') return;
    }
    this.emit('message', envelope);
  }

  #violation(re: number | undefined, code: ErrorCodeValue, message: string, type?: string): void {
    if (this.isOpen) this.send<ErrorBody>('Error', { code, message: message.slice(0, 1024) }, re ? { re } : {});
    this.emit('violation', { code, message, type });
  }

  #onSocketError(err: Error & { code?: string }): void {
    // ws closes the socket itself after these: 1009 for an oversized frame, 1007 for bad
    // UTF-8, 1002 for other framing errors.
    if (!err.code?.startsWith('WS_ERR_')) return;
    this.#closedLocally = true;
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.#localCode ??= CloseCode.MESSAGE_TOO_BIG;
      this.emit('violation', { code: ErrorCode.MESSAGE_TOO_LARGE, message: err.message });
    } else {
      this.#localCode ??= err.code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;
      this.emit('violation', { code: ErrorCode.MALFORMED_FRAME, message: err.message });
    }
  }

  #onClose(wireCode: number, reason: string): void {
    // When we ended the connection (close or terminate), 1006 only says the socket went away
    // before the close handshake finished; the code we sent is the truth.
    const code = wireCode === 1006 && this.#localCode !== undefined ? this.#localCode : wireCode;
    this.#closeInfo = { code, reason };
    for (const pending of [...this.#pending.values()]) pending.reject(new ConnectionClosedError(code, reason));
    this.emit('close', { code, reason, local: this.#closedLocally });
  }
}

/** Cut `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { TypedEmitter } from '../events.js';
import { AbortedError } from '../errors.js';
import type { Codec } from './codec.js';
import { Connection } from './connection.js';
import { HANDSHAKE_TIMEOUT_MS, MAX_PAYLOAD_BYTES, P2P_PATH } from './constants.js';
import { DialError } from './errors.js';

export interface TransportComponents {
  codec: Codec;
}

export interface TransportInit {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 picks a free one; null does not listen at all (dial-only). Default 0. */
  port?: number | null;
  /** Address announced to peers as where we listen; default `host:port`. */
  announceAddress?: string;
  /** Inbound frame limit (bytes). Default MAX_PAYLOAD_BYTES. */
  maxPayload?: number;
  /** Time allowed for TCP connect plus WebSocket upgrade (ms). Default HANDSHAKE_TIMEOUT_MS. */
  dialTimeoutMs?: number;
}

export interface TransportEvents {
  /** A new socket (inbound or outbound) ready for the handshake. */
  connection: Connection;
}

/**
 * Listens for and opens WebSocket connections at `ws://HOST:PORT/plexus`. Every socket,
 * both ways, has the same inbound frame limit. Knows nothing of handshakes or peers.
 */
export class Transport extends TypedEmitter<TransportEvents> {
  readonly #codec: Codec;
  readonly #host: string;
  readonly #port: number | null;
  readonly #announce?: string;
  readonly #maxPayload: number;
  readonly #dialTimeoutMs: number;
  readonly #sockets = new Set<WebSocket>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #listenAddress: string | null = null;
  #stopping: Promise<void> | undefined;

  constructor(components: TransportComponents, init: TransportInit = {}) {
    super();
    this.#codec = components.codec;
    this.#host = init.host ?? '127.0.0.1';
    this.#port = init.port === undefined ? 0 : init.port;
    this.#announce = init.announceAddress;
    this.#maxPayload = init.maxPayload ?? MAX_PAYLOAD_BYTES;
    this.#dialTimeoutMs = init.dialTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  }

  /** "host:port" peers can dial, or null when not listening. */
  get listenAddress(): string | null {
    return this.#listenAddress;
  }

  /** Start listening. @throws the listen error (EADDRINUSE, EACCES) with the port in its message. */
  async start(): Promise<void> {
    if (this.#server || this.#port === null) return;
    const server = createServer((req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end(`Plexus peers connect with a WebSocket at ${P2P_PATH}\n`);
    });
    const wss = new WebSocketServer({ server, path: P2P_PATH, maxPayload: this.#maxPayload, clientTracking: false });
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
      this.#adopt(ws);
      this.emit('connection', new Connection(ws, this.#codec, 'inbound', remote));
    });
    wss.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(Object.assign(new Error(`cannot listen on ${this.#host}:${this.#port}: ${err.code ?? err.message}`), { code: err.code }));
      });
      server.listen(this.#port!, this.#host, () => resolve());
    });
    this.#server = server;
    this.#wss = wss;
    const port = (server.address() as AddressInfo).port;
    const host = this.#host === '0.0.0.0' ? '127.0.0.1' : this.#host === '::' ? '::1' : this.#host;
    this.#listenAddress = this.#announce ?? `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /**
   * Open a socket to "host:port". Resolves once the WebSocket is open (before the handshake).
   * @throws DialError when the connection is refused, times out or the upgrade fails.
   */
  dial(address: string, signal?: AbortSignal): Promise<Connection> {
    if (this.#stopping) return Promise.reject(new AbortedError('transport is stopping'));
    return new Promise<Connection>((resolve, reject) => {
      const ws = new WebSocket(`ws://${address}${P2P_PATH}`, {
        maxPayload: this.#maxPayload,
        handshakeTimeout: this.#dialTimeoutMs,
        perMessageDeflate: false,
      });
      this.#adopt(ws);
      const onAbort = (): void => {
        ws.terminate();
        done(new AbortedError('dial aborted'));
      };
      const done = (err: Error | null): void => {
        ws.off('open', onOpen);
        ws.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(new Connection(ws, this.#codec, 'outbound', address));
      };
      const onOpen = (): void => done(null);
      const onError = (err: Error & { code?: string }): void => {
        ws.terminate();
        done(new DialError(address, err.code ?? err.message));
      };
      ws.once('open', onOpen);
      ws.once('error', onError);
      // Errors after open are reported through the Connection.
      ws.on('error', () => undefined);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Close the listener and drop every socket. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const ws of this.#sockets) ws.terminate();
      this.#sockets.clear();
      const wss = this.#wss;
      const server = this.#server;
      if (wss) await new Promise<void>((r) => wss.close(() => r()));
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
      this.#listenAddress = null;
    })();
    return this.#stopping;
  }

  #adopt(ws: WebSocket): void {
    if (this.#stopping) {
      ws.terminate();
      return;
    }
    this.#sockets.add(ws);
    ws.once('close', () => this.#sockets.delete(ws));
  }
}

import Ajv, { type ValidateFunction } from 'ajv';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlexusError } from '../errors.js';
import type { AnyListener } from '../events.js';
import type { RouteDef, RouteRequest } from '../capability/index.js';
import { CloseCode, HandshakeError } from '../transport/index.js';
import { API_HOST, API_PREFIX, MAX_BODY_BYTES, SSE_KEEPALIVE_MS } from './constants.js';
import { ApiError, STATUS_BY_CODE } from './errors.js';
import { tokensEqual } from './token.js';

/** What the API serves about the node (GET /api/v1/node). */
export interface NodeInfo {
  nodeId: string;
  publicKey: string;
  name: string | null;
  version: string;
  protocolVersion: number;
  agent: string;
  addresses: { p2p: string | null; api: string | null };
  startedAt: number;
  uptimeMs: number;
  peerCount: number;
  /** Names of the capabilities this node runs (heartbeat, outbox, contracts, files, ...). */
  capabilities: string[];
}

/** What the API server needs: the node's info (for the SSE greeting), its events, and the routes of the core and every capability. */
export interface ApiComponents {
  info(): NodeInfo;
  onAny(listener: AnyListener<Record<string, unknown>>): () => void;
  routes: readonly RouteDef[];
}

export interface ApiInit {
  /** Bearer token every request must carry. */
  token: string;
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  maxBodyBytes?: number;
  sseKeepAliveMs?: number;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Schema of the JSON body for POST routes. */
  body?: ValidateFunction;
  handle: RouteDef['handle'];
}

/**
 * The node's HTTP API under /api/v1 (documented in docs/api.md). JSON in and out; every
 * request needs `Authorization: Bearer <token>`; errors are
 * `{"error":{"code":"...","message":"..."}}` with a 4xx for the caller's mistakes.
 * `GET /api/v1/events` streams every node event as Server-Sent Events.
 */
export class ApiServer {
  readonly #c: ApiComponents;
  readonly #token: string;
  readonly #host: string;
  readonly #port: number;
  readonly #maxBody: number;
  readonly #keepAliveMs: number;
  readonly #routes: Route[];
  readonly #streams = new Set<ServerResponse>();
  #server: Server | undefined;
  #url: string | null = null;
  #stopping: Promise<void> | undefined;

  constructor(components: ApiComponents, init: ApiInit) {
    this.#c = components;
    this.#token = init.token;
    this.#host = init.host ?? API_HOST;
    this.#port = init.port ?? 0;
    this.#maxBody = init.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#keepAliveMs = init.sseKeepAliveMs ?? SSE_KEEPALIVE_MS;
    this.#routes = this.#compile(components.routes);
  }

  /** "http://host:port" once listening. */
  get url(): string | null {
    return this.#url;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => void this.#serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(Object.assign(new Error(`API cannot listen on ${this.#host}:${this.#port}: ${err.code ?? err.message}`), { code: err.code })),
      );
      server.listen(this.#port, this.#host, () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${port}`;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const res of this.#streams) res.end();
      this.#streams.clear();
      const server = this.#server;
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    })();
    return this.#stopping;
  }

  /** Compile the routes' paths and body schemas once; the event stream is built in. */
  #compile(routes: readonly RouteDef[]): Route[] {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const compiled: Route[] = routes.map((r) => ({
      method: r.method,
      pattern: new RegExp(`^${API_PREFIX}${r.path}$`),
      body: r.body ? ajv.compile(r.body) : undefined,
      handle: r.handle,
    }));
    compiled.push({ method: 'GET', pattern: new RegExp(`^${API_PREFIX}/events$`), handle: (r) => this.#openStream(r) });
    return compiled;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      this.#authenticate(req);
      const matching = this.#routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) throw new ApiError(404, 'NOT_FOUND', `no route ${url.pathname}`);
      const route = matching.find((r) => r.method === req.method);
      if (!route) {
        const allow = matching.map((r) => r.method).join(', ');
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname} (allowed: ${allow})`, { allow });
      }
      const params = route.pattern.exec(url.pathname)!.slice(1);
      const body = route.body ? await this.#readBody(req, route.body) : undefined;
      const result = await route.handle({ req, res, params, url, body });
      if (result) send(res, result[0], result[1]);
    } catch (err) {
      const apiError =
        err instanceof ApiError
          ? err
          : err instanceof HandshakeError
            ? new ApiError(STATUS_BY_CODE[err.code] ?? (err.closeCode === CloseCode.HANDSHAKE_TIMEOUT ? 504 : 502), err.code, err.message)
            : err instanceof PlexusError
            ? new ApiError(STATUS_BY_CODE[err.code] ?? 500, err.code, err.message)
            : new ApiError(500, 'INTERNAL_ERROR', (err as Error)?.message ?? String(err));
      if (!res.headersSent) send(res, apiError.status, { error: { code: apiError.code, message: apiError.message } }, apiError.headers);
      else res.end();
    }
  }

  #authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (!header) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'missing Authorization: Bearer <token> (the token is in DATA_DIR/api-token)', {
        'www-authenticate': 'Bearer realm="plexus"',
      });
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !tokensEqual(match[1]!, this.#token)) {
      throw new ApiError(401, 'INVALID_TOKEN', 'the bearer token is not valid for this node', {
        'www-authenticate': 'Bearer realm="plexus", error="invalid_token"',
      });
    }
  }

  async #readBody(req: IncomingMessage, validate: ValidateFunction): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got "${type || 'nothing'}")`);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#maxBody) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `body is over ${this.#maxBody} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.#maxBody) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `body is over ${this.#maxBody} bytes`);
      chunks.push(chunk as Buffer);
    }
    let value: unknown;
    try {
      value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new ApiError(400, 'INVALID_JSON', `body is not JSON: ${(err as Error).message}`);
    }
    if (!validate(value)) {
      const details = (validate.errors ?? []).map((e) => `${e.instancePath || 'body'} ${e.message}`).join('; ');
      throw new ApiError(400, 'INVALID_BODY', details);
    }
    return value;
  }

  #openStream(r: RouteRequest): undefined {
    const { req, res, url } = r;
    const only = url.searchParams.get('types')?.split(',').filter(Boolean);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: connected to ${this.#c.info().nodeId}\n\n`);
    let seq = 0;
    const unsubscribe = this.#c.onAny((event, payload) => {
      if (only && !only.includes(event)) return;
      res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.#keepAliveMs);
    keepAlive.unref();
    this.#streams.add(res);
    const close = (): void => {
      clearInterval(keepAlive);
      unsubscribe();
      this.#streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

import Ajv, { type SchemaObject, type ValidateFunction } from 'ajv';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlexusError } from '../errors.js';
import type { AnyListener } from '../events.js';
import type { PeerInfo } from '../peers/index.js';
import type { BanRecord, OutboxEntry, PeerRecord } from '../store/index.js';
import type { CallResult, ContractRecord, ContractSummary } from '../contracts/index.js';
import type { DownloadProgress, ShareInfo } from '../transfer/index.js';
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
}

/** The node operations the API exposes; PlexusNode implements them. */
export interface ApiNode {
  info(): NodeInfo;
  peers(): PeerInfo[];
  connect(address: string): Promise<PeerInfo>;
  disconnect(nodeId: string): void;
  addressBook(): PeerRecord[];
  bans(): BanRecord[];
  ban(nodeId: string, durationMs?: number, reason?: string): BanRecord;
  unban(nodeId: string): boolean;
  deploy(input: { name: string; source: string; args?: unknown[] }): Promise<ContractRecord>;
  call(address: string, fn: string, args?: unknown[]): Promise<CallResult>;
  contracts(): ContractSummary[];
  contract(address: string): ContractRecord;
  outbox(): OutboxEntry[];
  share(path: string): Promise<ShareInfo>;
  shares(): ShareInfo[];
  fetch(link: string, outPath: string): Promise<DownloadProgress>;
  downloads(): DownloadProgress[];
  download(id: string): DownloadProgress;
  removeDownload(id: string): Promise<void>;
  unshare(fileId: string): Promise<void>;
  onAny(listener: AnyListener<Record<string, unknown>>): () => void;
}

export interface ApiComponents {
  node: ApiNode;
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

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  url: URL;
  body: unknown;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Schema of the JSON body for POST routes. */
  body?: ValidateFunction;
  /** Returns [status, json] or undefined when the handler wrote the response itself. */
  handle: (r: Request) => Promise<[number, unknown] | undefined> | [number, unknown] | undefined;
}

const NODE_ID = '([0-9a-f]{64})';
const ADDRESS = '([0-9a-f]{64})';

/**
 * The node's HTTP API under /api/v1 (documented in docs/api.md). JSON in and out; every
 * request needs `Authorization: Bearer <token>`; errors are
 * `{"error":{"code":"...","message":"..."}}` with a 4xx for the caller's mistakes.
 * `GET /api/v1/events` streams every node event as Server-Sent Events.
 */
export class ApiServer {
  readonly #node: ApiNode;
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
    this.#node = components.node;
    this.#token = init.token;
    this.#host = init.host ?? API_HOST;
    this.#port = init.port ?? 0;
    this.#maxBody = init.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#keepAliveMs = init.sseKeepAliveMs ?? SSE_KEEPALIVE_MS;
    this.#routes = this.#buildRoutes();
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

  #buildRoutes(): Route[] {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const connectBody: SchemaObject = {
      type: 'object',
      properties: { address: { type: 'string', minLength: 3, maxLength: 260 } },
      required: ['address'],
      additionalProperties: false,
    };
    const banBody: SchemaObject = {
      type: 'object',
      properties: {
        nodeId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        durationMs: { type: 'integer', minimum: 1, maximum: 10 * 365 * 24 * 3600 * 1000 },
        reason: { type: 'string', minLength: 1, maxLength: 200 },
      },
      required: ['nodeId'],
      additionalProperties: false,
    };
    const deployBody: SchemaObject = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64 },
        source: { type: 'string', minLength: 1, maxLength: 64 * 1024 },
        args: { type: 'array', maxItems: 64 },
      },
      required: ['name', 'source'],
      additionalProperties: false,
    };
    const callBody: SchemaObject = {
      type: 'object',
      properties: {
        function: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' },
        args: { type: 'array', maxItems: 64 },
      },
      required: ['function'],
      additionalProperties: false,
    };
    const node = this.#node;
    const p = (path: string): RegExp => new RegExp(`^${API_PREFIX}${path}$`);
    return [
      { method: 'GET', pattern: p('/node'), handle: () => [200, node.info()] },
      { method: 'GET', pattern: p('/network/peers'), handle: () => [200, { peers: node.peers() }] },
      {
        method: 'POST',
        pattern: p('/network/connect'),
        body: ajv.compile(connectBody),
        handle: async (r) => [200, { peer: await node.connect((r.body as { address: string }).address) }],
      },
      {
        method: 'DELETE',
        pattern: p(`/network/peers/${NODE_ID}`),
        handle: (r) => {
          node.disconnect(r.params[0]!);
          return [200, { disconnected: r.params[0] }];
        },
      },
      { method: 'GET', pattern: p('/network/address-book'), handle: () => [200, { entries: node.addressBook() }] },
      { method: 'GET', pattern: p('/network/bans'), handle: () => [200, { bans: node.bans() }] },
      {
        method: 'POST',
        pattern: p('/network/bans'),
        body: ajv.compile(banBody),
        handle: (r) => {
          const b = r.body as { nodeId: string; durationMs?: number; reason?: string };
          return [201, { ban: node.ban(b.nodeId, b.durationMs, b.reason) }];
        },
      },
      {
        method: 'DELETE',
        pattern: p(`/network/bans/${NODE_ID}`),
        handle: (r) => {
          if (!node.unban(r.params[0]!)) throw new ApiError(404, 'BAN_NOT_FOUND', `${r.params[0]} is not banned`);
          return [200, { unbanned: r.params[0] }];
        },
      },
      {
        method: 'POST',
        pattern: p('/contracts'),
        body: ajv.compile(deployBody),
        handle: async (r) => [201, { contract: await node.deploy(r.body as { name: string; source: string; args?: unknown[] }) }],
      },
      { method: 'GET', pattern: p('/contracts'), handle: () => [200, { contracts: node.contracts() }] },
      { method: 'GET', pattern: p(`/contracts/${ADDRESS}`), handle: (r) => [200, { contract: node.contract(r.params[0]!) }] },
      {
        method: 'POST',
        pattern: p(`/contracts/${ADDRESS}/call`),
        body: ajv.compile(callBody),
        handle: async (r) => {
          const b = r.body as { function: string; args?: unknown[] };
          return [200, await node.call(r.params[0]!, b.function, b.args ?? [])];
        },
      },
      {
        method: 'GET',
        pattern: p('/outbox'),
        handle: () => [
          200,
          {
            entries: node.outbox().map((e) => {
              const record = JSON.parse(e.contractData) as ContractRecord;
              return {
                id: e.id,
                peerAddress: e.peerAddress,
                peerNodeId: e.peerNodeId,
                contractAddress: e.contractAddress,
                seq: record.seq,
                version: record.version,
                createdAt: e.createdAt,
                retryCount: e.retryCount,
              };
            }),
          },
        ],
      },
      {
        method: 'POST',
        pattern: p('/files'),
        body: ajv.compile({ type: 'object', properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } }, required: ['path'], additionalProperties: false }),
        handle: async (r) => [201, { file: await node.share((r.body as { path: string }).path) }],
      },
      { method: 'GET', pattern: p('/files'), handle: () => [200, { files: node.shares() }] },
      {
        method: 'POST',
        pattern: p('/downloads'),
        body: ajv.compile({
          type: 'object',
          properties: { link: { type: 'string', minLength: 1, maxLength: 8192 }, out: { type: 'string', minLength: 1, maxLength: 4096 } },
          required: ['link', 'out'],
          additionalProperties: false,
        }),
        handle: async (r) => {
          const b = r.body as { link: string; out: string };
          return [201, { download: await node.fetch(b.link, b.out) }];
        },
      },
      { method: 'GET', pattern: p('/downloads'), handle: () => [200, { downloads: node.downloads() }] },
      { method: 'GET', pattern: p('/downloads/([0-9a-f]{12})'), handle: (r) => [200, { download: node.download(r.params[0]!) }] },
      {
        method: 'DELETE',
        pattern: p('/downloads/([0-9a-f]{12})'),
        handle: async (r) => {
          await node.removeDownload(r.params[0]!);
          return [200, { removed: r.params[0] }];
        },
      },
      {
        method: 'DELETE',
        pattern: p(`/files/${ADDRESS}`),
        handle: async (r) => {
          await node.unshare(r.params[0]!);
          return [200, { unshared: r.params[0] }];
        },
      },
      { method: 'GET', pattern: p('/events'), handle: (r) => this.#openStream(r) },
    ];
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

  #openStream(r: Request): undefined {
    const { req, res, url } = r;
    const only = url.searchParams.get('types')?.split(',').filter(Boolean);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: connected to ${this.#node.info().nodeId}\n\n`);
    let seq = 0;
    const unsubscribe = this.#node.onAny((event, payload) => {
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

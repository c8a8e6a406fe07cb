import { promises as fs } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { PlexusError } from '../errors.js';
import { readRunInfo } from '../datadir/index.js';
import { API_PREFIX, TOKEN_FILE } from './constants.js';

/** An error answer from a node's API (`code` from its body), or a failure to reach it. */
export class ApiClientError extends PlexusError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** No node is running on this data folder (no live DIR/node.json). */
export class NodeNotRunningError extends PlexusError {
  constructor(dir: string) {
    super('NODE_NOT_RUNNING', `no running node found in ${dir} (start one with: plexus node --data-dir ${dir})`);
  }
}

/**
 * A small client of the node API (docs/api.md), used by the CLI verbs, `plexus devnet` and tests.
 * Paths are relative to /api/v1.
 */
export class ApiClient {
  readonly url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/$/, '');
    this.#token = token;
  }

  /** Find a running node's API from its data folder (DIR/node.json and DIR/api-token). @throws NodeNotRunningError */
  static async fromDataDir(dir: string): Promise<ApiClient> {
    const run = await readRunInfo(dir);
    if (!run?.apiUrl) throw new NodeNotRunningError(dir);
    const token = (await fs.readFile(join(dir, TOKEN_FILE), 'utf8')).trim();
    return new ApiClient(run.apiUrl, token);
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** @throws ApiClientError with the API's error code, or NODE_UNREACHABLE */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.url}${API_PREFIX}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiClientError(0, 'NODE_UNREACHABLE', `cannot reach ${this.url}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new ApiClientError(res.status, 'INVALID_RESPONSE', `${method} ${path}: not JSON (${res.status})`);
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } })?.error;
      throw new ApiClientError(res.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /**
   * Follow GET /api/v1/events until `signal` aborts or the node closes the stream.
   * Calls `onEvent(name, payload)` per event. Resolves when the stream ends.
   */
  events(onEvent: (name: string, payload: unknown) => void, signal?: AbortSignal, types?: string[]): Promise<void> {
    const query = types?.length ? `?types=${encodeURIComponent(types.join(','))}` : '';
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${this.url}${API_PREFIX}/events${query}`, { headers: { authorization: `Bearer ${this.#token}` }, signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new ApiClientError(res.statusCode ?? 0, 'HTTP_ERROR', `events stream refused (${res.statusCode})`));
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length) onEvent(name, JSON.parse(data.join('\n')));
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', (err) => {
        if (signal?.aborted) resolve();
        else reject(new ApiClientError(0, 'NODE_UNREACHABLE', `cannot reach ${this.url}: ${err.message}`));
      });
      req.end();
    });
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createNode, type NodeEvents, type NodeInit, PlexusNode } from '../src/index';
import { Identity } from '../src/identity/index';
import { helloSigningPayload } from '../src/transport/index';

/** Timers shrunk so tests run in milliseconds, not minutes. */
export const FAST: NodeInit = {
  heartbeat: { intervalMs: 100, timeoutMs: 300 },
  dialBackoffBaseMs: 50,
  dialBackoffMaxMs: 400,
  handshakeTimeoutMs: 2000,
  store: { groupCommitMs: 5 },
};

export const CLI = resolve(__dirname, '../bin/plexus.js');

type Teardown = () => unknown;

/**
 * Resources registered here are released after each test, newest first, so a test
 * registers teardown right after creating each resource (hyperswarm style).
 */
export class Resources {
  #teardowns: Teardown[] = [];

  add(teardown: Teardown): void {
    this.#teardowns.push(teardown);
  }

  async release(): Promise<void> {
    const list = this.#teardowns.splice(0).reverse();
    for (const t of list) {
      try {
        await t();
      } catch {
        // best effort: keep releasing the rest
      }
    }
  }

  tmpDir(prefix = 'plexus-test-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.add(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async node(init: NodeInit = {}): Promise<PlexusNode> {
    const node = await createNode({ ...FAST, dataDir: null, ...init });
    this.add(() => node.stop());
    return node;
  }

  /** A node not started yet, so a test can listen before anything happens. */
  unstarted(init: NodeInit = {}): PlexusNode {
    const node = new PlexusNode({ ...FAST, dataDir: null, ...init });
    this.add(() => node.stop());
    return node;
  }

  /** A `plexus node --json` child process; resolves once it printed node:start. */
  async cliNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliNode> {
    const child = spawn(process.execPath, [CLI, 'node', '--json', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const cli = new CliNode(child);
    this.add(() => cli.kill('SIGKILL'));
    await cli.started;
    return cli;
  }

  /** A `plexus discovery --json` child process; resolves once it printed discovery:start. */
  async cliDiscovery(args: string[]): Promise<CliNode> {
    const child = spawn(process.execPath, [CLI, 'discovery', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const cli = new CliNode(child);
    cli.started.catch(() => undefined); // a discovery server prints discovery:start, not node:start
    this.add(() => cli.kill('SIGKILL'));
    await cli.waitFor('discovery:start', () => true, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${cli.stderr.join('\n')}`);
    });
    return cli;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a child process that needs it up front). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Poll the async `probe` every 50 ms until it resolves with something other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => void (last = err));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node running as a child process, with its JSON event lines. */
export class CliNode {
  readonly child: ChildProcess;
  readonly events: Array<{ event: string; payload: Record<string, unknown> }> = [];
  readonly stderr: string[] = [];
  readonly started: Promise<{ nodeId: string; addresses: { p2p: string; api: string } }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #listeners = new Set<() => void>();

  constructor(child: ChildProcess) {
    this.child = child;
    createInterface({ input: child.stderr! }).on('line', (l) => this.stderr.push(l));
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    this.started = new Promise((resolveStart, rejectStart) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          return;
        }
        this.events.push(message);
        if (message.event === 'node:start') resolveStart(message.payload);
        for (const l of this.#listeners) l();
      });
      void this.exited.then(({ code, signal }) => rejectStart(new Error(`node exited (${signal ?? code}) before start: ${this.stderr.join('\n')}`)));
    });
  }

  /**
   * Resolve when an event matching `predicate` has been printed, counting earlier ones from
   * index `from` of `events` on (0: all of them; `events.length`: only those still to come).
   */
  waitFor(event: string, predicate: (payload: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<Record<string, unknown>> {
    return new Promise((resolveWait, rejectWait) => {
      const check = (): boolean => {
        const hit = this.events.slice(from).find((e) => e.event === event && predicate(e.payload));
        if (!hit) return false;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolveWait(hit.payload);
        return true;
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        rejectWait(new Error(`timed out waiting for ${event}`));
      }, timeoutMs);
      if (!check()) this.#listeners.add(check);
    });
  }

  kill(signal: NodeJS.Signals): Promise<unknown> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Resolve with the payload of the next `event` matching `predicate`; reject after `timeoutMs`. */
export function nextEvent<K extends keyof NodeEvents & string>(
  node: PlexusNode,
  event: K,
  predicate: (payload: NodeEvents[K]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<NodeEvents[K]> {
  return new Promise((resolveEvent, rejectEvent) => {
    const listener = (payload: NodeEvents[K]): void => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      node.off(event, listener);
      resolveEvent(payload);
    };
    const timer = setTimeout(() => {
      node.off(event, listener);
      rejectEvent(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    node.on(event, listener);
  });
}

/** Poll `condition` every 10 ms until true; reject after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw WebSocket client speaking the wire protocol by hand, for tests of bad behaviour. */
export class RawPeer {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, unknown>> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters = new Set<() => void>();

  constructor(address: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(`ws://${address}/plexus`, options);
    this.opened = new Promise((r, j) => {
      this.ws.once('open', () => r());
      this.ws.once('error', j);
    });
    this.closed = new Promise((r) => this.ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()));
      for (const w of this.#waiters) w();
    });
  }

  /**
   * Behave like a quiet, polite peer: answer Pings with Pongs and the node's contract sync
   * with an empty page, so that a test sees only what it sends itself.
   */
  answerPingsAndSync(options: { pings?: boolean } = {}): this {
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(data.toString());
      if (f.type === 'Ping' && options.pings !== false) this.send({ v: 1, type: 'Pong', re: f.id, body: f.body });
      if (f.type === 'GetContracts') this.send({ v: 1, type: 'Contracts', re: f.id, body: { epoch: 'e'.repeat(32), contracts: [], cursor: 0, more: false } });
    });
    return this;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Next received frame (from the start of the log) of `type` matching `predicate`. */
  waitFrame(type: string, predicate: (f: Record<string, unknown>) => boolean = () => true, timeoutMs = 3_000): Promise<Record<string, unknown>> {
    return new Promise((r, j) => {
      const check = (): boolean => {
        const hit = this.frames.find((f) => f.type === type && predicate(f));
        if (!hit) return false;
        clearTimeout(timer);
        this.#waiters.delete(check);
        r(hit);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        j(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      if (!check()) this.#waiters.add(check);
    });
  }

  /**
   * Run the handshake as `identity`, with optional corruptions. Resolves after our Ready
   * is sent (the node's Ready may or may not follow, depending on the corruption).
   */
  async handshake(
    identity: Identity,
    tweak: { version?: number; badSignature?: boolean; claimNodeId?: string; listenAddress?: string | null; thenAtOnce?: unknown[] } = {},
  ): Promise<void> {
    await this.opened;
    const nonce = Buffer.alloc(32, 7).toString('base64url');
    this.send({ v: 1, type: 'Challenge', body: { nonce } });
    const challenge = await this.waitFrame('Challenge');
    const peerNonce = (challenge.body as { nonce: string }).nonce;
    const unsigned = {
      version: tweak.version ?? 1,
      nodeId: tweak.claimNodeId ?? identity.nodeId,
      publicKey: identity.publicKey,
      listenAddress: tweak.listenAddress ?? null,
      agent: 'raw-test-peer',
      name: 'raw',
    };
    let signature = identity.sign(helloSigningPayload(unsigned, peerNonce));
    if (tweak.badSignature) signature = identity.sign(helloSigningPayload(unsigned, Buffer.alloc(32, 1).toString('base64url')));
    this.send({ v: 1, type: 'Hello', body: { ...unsigned, signature } });
    await Promise.race([this.waitFrame('Hello'), this.closed]);
    this.send({ v: 1, type: 'Ready', body: {} });
    // Frames to send in the same tick as Ready (likely the same TCP segment).
    for (const frame of tweak.thenAtOnce ?? []) this.send(frame);
  }

  close(): void {
    this.ws.terminate();
  }
}

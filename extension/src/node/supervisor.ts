/**
 * The node beside the editor, supervised as a language server is.
 *
 * Data flow: start() attaches to a node already running on the extension's data folder (a
 * second VS Code window finds the first window's node through DATA_DIR/node.json), or to the
 * external node of the settings, or else spawns the bundled `plexus node` CLI
 * (extension/dist/node.js) with `process.execPath` and ELECTRON_RUN_AS_NODE=1. Its stdout and
 * stderr go to the "Plexus" output channel; the banner line on stdout says it is listening,
 * and the API URL and token are then read from the data folder. Everything else talks to the
 * node through the resulting {@link TypedApiClient}.
 *
 * The spawned node lives as long as the window that spawned it: stop() and dispose() send
 * SIGTERM (the CLI stops cleanly), and the node also stops by itself when its stdin closes,
 * i.e. when the extension host is gone, even after a crash. A node that dies unexpectedly is
 * started again with exponential backoff; an attached or external node whose event stream
 * ends is looked for again the same way (when the window that owned it closed, one of the
 * other windows starts the next node and the rest attach to it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ApiClient, lockHolder, readRunFile, TypedApiClient, type NodeInfo } from '@plexus/sdk';
import type { PlexusConfig } from '../config';
import { NodeStartError } from './errors';

export type NodeMode = 'spawned' | 'attached' | 'external';
export type SupervisorState = 'stopped' | 'starting' | 'running' | 'failed';

/** First restart delay after the node died (ms); doubles per consecutive failure. */
export const RESTART_INITIAL_MS = 1_000;
/** Longest restart delay (ms). */
export const RESTART_MAX_MS = 30_000;
/** A node that ran this long before dying restarts after the initial delay again (ms). */
export const RESTART_RESET_AFTER_MS = 60_000;
/** Time from spawn to the banner line before the start counts as failed (ms). */
export const START_TIMEOUT_MS = 30_000;
/** Time a node gets to stop after SIGTERM before SIGKILL (ms). */
export const STOP_GRACE_MS = 5_000;
/** Time to wait for another window's node to come up when it holds the data folder's lock (ms). */
export const ATTACH_WAIT_MS = 15_000;
/** Lines of the node's stderr kept for error messages. */
const STDERR_KEEP = 20;
/** The banner `plexus node` prints once it listens (docs/api.md §2: node.json is written by then). */
const BANNER = /^Plexus node ([0-9a-f]{64})\b/;

export interface SupervisorComponents {
  output: vscode.OutputChannel;
  /** Read at each start, so changed settings take effect at the next (re)start. */
  config: () => PlexusConfig;
}

export interface SupervisorInit {
  /** The bundled CLI entry (extension/dist/node.js). */
  cliPath: string;
  /** The node's data folder (the extension's global storage). */
  dataDir: string;
  restartInitialMs?: number;
  restartMaxMs?: number;
  startTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


export class NodeSupervisor implements vscode.Disposable {
  readonly cliPath: string;
  readonly dataDir: string;
  readonly #output: vscode.OutputChannel;
  readonly #config: () => PlexusConfig;
  readonly #restartInitialMs: number;
  readonly #restartMaxMs: number;
  readonly #startTimeoutMs: number;
  readonly #onDidChangeState = new vscode.EventEmitter<SupervisorState>();
  /** Fires on every state change: starting, running (with a client), stopped, failed. */
  readonly onDidChangeState = this.#onDidChangeState.event;

  #state: SupervisorState = 'stopped';
  #mode: NodeMode | null = null;
  #client: TypedApiClient | null = null;
  #info: NodeInfo | null = null;
  #pid: number | null = null;
  #error: Error | null = null;
  #child: ChildProcess | null = null;
  /** True between start() and stop(): the node should be running. */
  #wanted = false;
  #starting: Promise<void> | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  #runningSince = 0;
  /** Time from start() to running, of the last start (ms). */
  lastStartMs: number | null = null;

  constructor(components: SupervisorComponents, init: SupervisorInit) {
    this.#output = components.output;
    this.#config = components.config;
    this.cliPath = init.cliPath;
    this.dataDir = init.dataDir;
    this.#restartInitialMs = init.restartInitialMs ?? RESTART_INITIAL_MS;
    this.#restartMaxMs = init.restartMaxMs ?? RESTART_MAX_MS;
    this.#startTimeoutMs = init.startTimeoutMs ?? START_TIMEOUT_MS;
  }

  get state(): SupervisorState {
    return this.#state;
  }
  /** How this window reaches the node; null while none. */
  get mode(): NodeMode | null {
    return this.#mode;
  }
  /** The API client while running, else null. */
  get client(): TypedApiClient | null {
    return this.#client;
  }
  get info(): NodeInfo | null {
    return this.#info;
  }
  /** PID of the node process (also of another window's node), null for an external node by URL. */
  get pid(): number | null {
    return this.#pid;
  }
  /** Why the last start failed (state 'failed'). */
  get error(): Error | null {
    return this.#error;
  }

  /** Start or attach; resolves when running. Repeated calls share the start in progress. @throws NodeStartError */
  start(): Promise<void> {
    this.#wanted = true;
    this.#clearRestart();
    if (this.#state === 'running') return Promise.resolve();
    this.#starting ??= this.#launch().finally(() => (this.#starting = null));
    return this.#starting;
  }

  /** Stop the node this window started, or detach from another's. Safe to call twice. */
  async stop(): Promise<void> {
    this.#wanted = false;
    this.#clearRestart();
    await this.#starting?.catch(() => undefined);
    const child = this.#child;
    this.#child = null;
    this.#reset();
    this.#setState('stopped');
    if (child) await this.#terminate(child);
  }

  /** Stop, then start again (settings changed). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * The event stream of an attached or external node ended without being asked to: the node
   * went away (its window closed). Look for a node again, after the backoff.
   */
  connectionLost(): void {
    if (!this.#wanted || this.#state !== 'running') return;
    if (this.#mode === 'spawned') {
      // Our own process: its exit handler restarts it. If it is still alive, only the stream
      // broke: announce `running` again after a moment, so the model reconnects.
      setTimeout(() => {
        if (this.#state === 'running' && this.#mode === 'spawned' && this.#child) this.#setState('running');
      }, this.#restartInitialMs).unref();
      return;
    }
    this.#log(`lost the connection to the ${this.#mode} node at ${this.#client?.url}; looking for a node again`);
    this.#reset();
    this.#setState('starting');
    this.#scheduleRestart();
  }

  dispose(): void {
    this.#wanted = false;
    this.#clearRestart();
    // SIGTERM now: the CLI stops cleanly by itself; the extension host does not wait for us.
    this.#child?.kill('SIGTERM');
    this.#child = null;
    this.#onDidChangeState.dispose();
  }

  async #launch(): Promise<void> {
    const started = Date.now();
    this.#error = null;
    this.#setState('starting');
    const config = this.#config();
    try {
      const external = config.externalNode;
      if (external.url || external.dataDir) await this.#attachExternal(external);
      else if (!(await this.#tryAttach())) await this.#spawn(config);
      if (!this.#wanted) {
        // stop() came while starting.
        const child = this.#child;
        this.#child = null;
        this.#reset();
        if (child) await this.#terminate(child);
        return;
      }
      this.lastStartMs = Date.now() - started;
      this.#runningSince = Date.now();
      this.#log(`node ${this.#info!.nodeId.slice(0, 12)} ${this.#mode} (pid ${this.#pid ?? '?'}), API ${this.#client!.url}, ready in ${this.lastStartMs} ms`);
      this.#setState('running');
    } catch (err) {
      this.#reset();
      this.#error = err as Error;
      this.#log(`start failed: ${(err as Error).message}`);
      this.#setState('failed');
      throw err;
    }
  }

  async #attachExternal(external: PlexusConfig['externalNode']): Promise<void> {
    let client: TypedApiClient;
    let pid: number | null = null;
    if (external.url) {
      let token = external.token;
      if (!token && external.dataDir) token = (await fs.readFile(join(external.dataDir, 'api-token'), 'utf8').catch(() => '')).trim();
      if (!token) throw new NodeStartError('EXTERNAL_NODE_UNREACHABLE', `plexus.externalNode.url is set to ${external.url} but there is no token: set plexus.externalNode.token or plexus.externalNode.dataDir.`);
      client = new TypedApiClient(new ApiClient(external.url, token));
    } else {
      client = await TypedApiClient.fromDataDir(external.dataDir).catch((err: Error) => {
        throw new NodeStartError('EXTERNAL_NODE_UNREACHABLE', `No running Plexus node in ${external.dataDir} (plexus.externalNode.dataDir): ${err.message}`);
      });
      pid = (await this.#runFile(external.dataDir))?.pid ?? null;
    }
    const info = await client.node().catch((err: Error) => {
      throw new NodeStartError('EXTERNAL_NODE_UNREACHABLE', `The external Plexus node at ${client.url} does not answer: ${err.message}`);
    });
    this.#attached('external', client, info, pid);
  }

  /** Attach to a live node on our data folder (another window's); false when there is none. */
  async #tryAttach(): Promise<boolean> {
    const run = await this.#runFile(this.dataDir);
    // readRunFile says `running` only for a live process.
    if (!run?.running || !run.apiUrl) return false;
    try {
      const client = await TypedApiClient.fromDataDir(this.dataDir);
      const info = await client.node();
      this.#attached('attached', client, info, run.pid);
      return true;
    } catch {
      return false;
    }
  }

  #attached(mode: NodeMode, client: TypedApiClient, info: NodeInfo, pid: number | null): void {
    this.#mode = mode;
    this.#client = client;
    this.#info = info;
    this.#pid = pid;
  }

  /** The data folder's run file, through the SDK (the one place that parses it). */
  async #runFile(dir: string): Promise<{ running: boolean; pid: number; apiUrl: string | null } | null> {
    return readRunFile(dir);
  }

  /** Whether a live process holds the data folder's lock. */
  async #lockHeld(): Promise<boolean> {
    return (await lockHolder(this.dataDir)) !== null;
  }

  /** The CLI arguments for the settings. */
  nodeArgs(config: PlexusConfig): string[] {
    const args = [this.cliPath, 'node', '--data-dir', this.dataDir];
    if (config.p2pPort) args.push('--p2p-port', String(config.p2pPort));
    if (config.apiPort) args.push('--api-port', String(config.apiPort));
    for (const peer of config.peers) if (peer.trim()) args.push('--peer', peer.trim());
    if (config.name.trim()) args.push('--name', config.name.trim());
    const discovery = config.discoveryServer.trim().replace(/^wss?:\/\//, '').replace(/\/.*$/, '');
    if (discovery) args.push('--discovery', discovery);
    const chain = config.chain;
    if (chain.mode === 'manual') args.push('--chain');
    if (chain.mode === 'automine') args.push('--mine', 'automine');
    if (chain.mode === 'interval') args.push('--mine', 'interval', '--block-time', `${Math.max(1, chain.blockTimeSeconds)}s`);
    return args;
  }

  async #spawn(config: PlexusConfig): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true });
    const args = this.nodeArgs(config);
    this.#log(`starting: ${process.execPath} ${args.join(' ')}`);
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.#child = child;
    const stderr: string[] = [];
    let onBanner: (() => void) | null = null;
    this.#lines(child.stdout!, (line) => {
      this.#output.appendLine(line);
      if (onBanner && BANNER.test(line)) onBanner();
    });
    this.#lines(child.stderr!, (line) => {
      this.#output.appendLine(line);
      stderr.push(line);
      if (stderr.length > STDERR_KEEP) stderr.shift();
    });
    child.stdin!.on('error', () => undefined);

    const outcome = await new Promise<'started' | { code: number | null; signal: NodeJS.Signals | null } | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.#startTimeoutMs);
      onBanner = () => {
        clearTimeout(timer);
        resolve('started');
      };
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        stderr.push(err.message);
        resolve({ code: null, signal: null });
      });
    });
    onBanner = null;
    const log = stderr.join('\n');
    if (outcome === 'timeout') {
      this.#child = null;
      await this.#terminate(child);
      throw new NodeStartError('NODE_START_FAILED', `The Plexus node did not start within ${this.#startTimeoutMs / 1000} s.`, log);
    }
    if (outcome !== 'started') {
      this.#child = null;
      if (/DATA_DIR_IN_USE/.test(log)) {
        // Another window is starting a node on the same folder right now: attach to it. Or a
        // node is stopping there (its window closed): start ours as soon as it let go.
        const deadline = Date.now() + ATTACH_WAIT_MS;
        while (Date.now() < deadline) {
          if (await this.#tryAttach()) return;
          if (!(await this.#lockHeld())) return this.#spawn(config);
          await sleep(200);
        }
        throw new NodeStartError('DATA_DIR_IN_USE', `Another process holds the Plexus data folder ${this.dataDir} but its node does not answer.`, log);
      }
      const inUse = /(API )?cannot listen on [^\n]*?:(\d+)[^\n]*EADDRINUSE/.exec(log);
      if (inUse || /EADDRINUSE/.test(log)) {
        const what = inUse?.[1] ? 'for its API (plexus.apiPort)' : 'for peers (plexus.p2pPort)';
        throw new NodeStartError('PORT_IN_USE', inUse ? `Port ${inUse[2]} is already in use, so the Plexus node cannot listen on it ${what}.` : 'A port the Plexus node needs is already in use.', log);
      }
      const last = stderr.filter((l) => l.trim()).at(-1) ?? `exit ${outcome.signal ?? `code ${outcome.code}`}`;
      throw new NodeStartError('NODE_START_FAILED', `The Plexus node failed to start: ${last}`, log);
    }
    const client = await TypedApiClient.fromDataDir(this.dataDir);
    const info = await client.node();
    this.#attached('spawned', client, info, child.pid ?? null);
    child.once('exit', (code, signal) => this.#onChildExit(child, code, signal));
  }

  #onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return; // stopped on purpose
    this.#child = null;
    this.#log(`the node process ${child.pid} exited (${signal ?? `code ${code}`})${this.#wanted ? '; restarting it' : ''}`);
    this.#reset();
    if (!this.#wanted) return this.#setState('stopped');
    this.#setState('starting');
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (Date.now() - this.#runningSince > RESTART_RESET_AFTER_MS) this.#failures = 0;
    const delay = Math.min(this.#restartMaxMs, this.#restartInitialMs * 2 ** this.#failures);
    this.#failures += 1;
    this.#log(`next start in ${delay} ms`);
    this.#clearRestart();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#wanted) return;
      this.#starting ??= this.#launch().finally(() => (this.#starting = null));
      this.#starting.catch(() => {
        if (this.#wanted) this.#scheduleRestart();
      });
    }, delay);
  }

  #clearRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  async #terminate(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    this.#log(`the node process ${child.pid} stopped`);
  }

  #reset(): void {
    this.#mode = null;
    this.#client = null;
    this.#info = null;
    this.#pid = null;
  }

  #setState(state: SupervisorState): void {
    this.#state = state;
    this.#onDidChangeState.fire(state);
  }

  #lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, end).replace(/\r$/, ''));
        buffer = buffer.slice(end + 1);
      }
    });
    stream.on('end', () => {
      if (buffer) onLine(buffer);
      buffer = '';
    });
  }

  #log(line: string): void {
    this.#output.appendLine(`[plexus] ${line}`);
  }
}

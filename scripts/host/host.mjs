// A code-server host (a real VS Code server with a Node extension host) and the headless
// Chromium that opens its workbench. A host is started per phase, the browser once per run;
// the caller always stops both. Each runs in its own process group (code-server's extension
// host and other children are in its group), and stopping ends the whole group.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CODE_SERVER_BIN, NODE24_BIN, RUN_DIR } from './paths.mjs';

/** Time allowed from spawn to a healthy HTTP server (ms); it takes under a second here. */
const HOST_START_TIMEOUT_MS = 30_000;
/** Time allowed after SIGTERM before the group gets SIGKILL (ms). */
const HOST_STOP_GRACE_MS = 5_000;
const LISTENING = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//;

/** User settings for a quiet, offline workbench. */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  // Not from the recipe: the workspace folder sits inside this repo's checkout, and the git
  // prompt about it, or the auto-forwarded node ports, would only clutter the screenshots.
  'git.openRepositoryInParentFolders': 'never',
  'remote.autoForwardPorts': false,
};

/** Flags for Debian's Chromium, headless, with nothing that reaches the network by itself. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Time allowed for a group's last processes to be reaped after SIGKILL (ms). */
const GROUP_REAP_TIMEOUT_MS = 5_000;

/** True while any process of group `pgid` exists (zombies not yet reaped count too). */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Send `signal` to every process of group `pgid`; false when the group is gone. */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  return !groupAlive(pgid);
}

/**
 * End process group `pgid`: `signal` first (null: none, the group is already ending), SIGKILL
 * after `graceMs`, then wait until every process is gone, orphans reaped by init included.
 * @throws Error naming the group when processes are still there after that
 */
export async function endProcessGroup(pgid, { signal = 'SIGTERM', graceMs = HOST_STOP_GRACE_MS, what = 'process group' } = {}) {
  if (signal && !signalGroup(pgid, signal)) return;
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitGroupGone(pgid, GROUP_REAP_TIMEOUT_MS))) throw new Error(`${what} (process group ${pgid}) is still there after SIGKILL`);
}

/**
 * One code-server process group with its own folders under .host-run/<name>/:
 * ud/ (user data; settings.json), exts/, home/ (HOME), workspace/ (the opened folder), host.log.
 * The folders are emptied at start(), so every run begins with fresh global storage.
 * The host's environment has PLEXUS_HOST_USER_DATA_DIR (the ud/ folder); it reaches the
 * extension host, where the integration tests use it to locate the global storage.
 */
export class CodeServerHost {
  /**
   * @param {{ name: string, settings?: object, env?: Record<string, string> }} init
   *   env: extra variables for code-server; they reach the extension host.
   */
  constructor(init) {
    this.name = init.name;
    this.dir = join(RUN_DIR, init.name);
    this.userDataDir = join(this.dir, 'ud');
    this.extensionsDir = join(this.dir, 'exts');
    this.home = join(this.dir, 'home');
    this.workspace = join(this.dir, 'workspace');
    this.logFile = join(this.dir, 'host.log');
    this.settings = { ...BASE_SETTINGS, ...init.settings };
    this.env = init.env ?? {};
    /** @type {number | null} */
    this.port = null;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    /** @type {Promise<void> | null} */
    this.stopping = null;
  }

  /**
   * Spawn code-server on a free 127.0.0.1 port; resolves once /healthz answers.
   * @param {{ fresh?: boolean }} [opts] fresh: false keeps the folders of an earlier start
   *   (e.g. an extension installed into exts/ meanwhile)
   */
  async start({ fresh = true } = {}) {
    this.stopping = null;
    if (fresh) rmSync(this.dir, { recursive: true, force: true });
    for (const dir of [join(this.userDataDir, 'User'), this.extensionsDir, this.home, this.workspace]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(this.settings, null, 2) + '\n');
    const log = createWriteStream(this.logFile);
    // detached: setsid, so the host and every child it forks share one process group we can end.
    const child = spawn(
      CODE_SERVER_BIN,
      [
        '--auth', 'none',
        '--bind-addr', '127.0.0.1:0',
        '--user-data-dir', this.userDataDir,
        '--extensions-dir', this.extensionsDir,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--vscode-option', 'enable-smoke-test-driver',
      ],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...this.env,
          HOME: this.home,
          PATH: `${NODE24_BIN}:${process.env.PATH}`,
          PLEXUS_HOST_USER_DATA_DIR: this.userDataDir,
        },
      },
    );
    this.child = child;
    child.once('close', () => log.end());
    const port = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => done(new Error(`code-server did not report its port within ${HOST_START_TIMEOUT_MS} ms; see ${this.logFile}`)), HOST_START_TIMEOUT_MS);
      const onData = (chunk) => {
        log.write(chunk);
        if (seen === null) return;
        seen += chunk.toString();
        const match = LISTENING.exec(seen);
        if (match) done(null, Number(match[1]));
      };
      const onExit = (code, signal) => done(new Error(`code-server exited (${signal ?? `code ${code}`}) before listening; see ${this.logFile}`));
      const done = (err, value) => {
        if (seen === null) return;
        seen = null;
        clearTimeout(timer);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', (err) => done(err));
    });
    this.port = port;
    const deadline = Date.now() + HOST_START_TIMEOUT_MS;
    for (;;) {
      const ok = await fetch(`${this.origin}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`code-server on port ${port} never answered /healthz; see ${this.logFile}`);
      await sleep(100);
    }
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A vscode-remote URI for an absolute path on this host (the authority must match the page's). */
  remoteUri(path) {
    return `vscode-remote://127.0.0.1:${this.port}${path}`;
  }

  /**
   * The workbench URL opening the workspace folder with `payload`, pairs such as
   * ['extensionDevelopmentPath', uri]; the payload is honoured only with the smoke-test driver.
   */
  workbenchUrl(payload) {
    const query = new URLSearchParams({ folder: this.workspace, payload: JSON.stringify(payload) });
    return `${this.origin}/?${query}`;
  }

  /** End the whole process group: SIGTERM, then SIGKILL after a grace period. Safe to call twice. */
  stop() {
    this.stopping ??= this.child?.pid ? endProcessGroup(this.child.pid, { what: `code-server (${this.name})` }) : Promise.resolve();
    return this.stopping;
  }

  /** Last resort from a synchronous 'exit' handler. */
  killNow() {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
  }
}

/**
 * Debian's Chromium, headless, started as a playwright browser server so its process (and
 * process group: playwright starts it detached) is known; close() ends the whole group and
 * waits until its orphaned helpers are reaped, so nothing is left behind.
 * HOME is a folder under .host-run so Chromium writes nothing elsewhere. Signals are left to
 * the caller, which calls close() itself.
 */
export class HeadlessBrowser {
  /** @type {import('playwright-core').Browser | null} */
  browser = null;
  /** @type {import('playwright-core').BrowserServer | null} */
  #server = null;
  #pgid = 0;
  #closing = null;

  async launch(home) {
    mkdirSync(home, { recursive: true });
    this.#server = await chromium.launchServer({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      env: { ...process.env, HOME: home },
    });
    this.#pgid = this.#server.process().pid ?? 0;
    this.browser = await chromium.connect(this.#server.wsEndpoint());
    return this.browser;
  }

  /** Safe to call twice. */
  close() {
    this.#closing ??= (async () => {
      await this.browser?.close().catch(() => undefined);
      await this.#server?.close().catch(() => undefined);
      if (this.#pgid) await endProcessGroup(this.#pgid, { signal: null, graceMs: 2_000, what: 'Chromium' });
    })();
    return this.#closing;
  }

  killNow() {
    if (this.#pgid) signalGroup(this.#pgid, 'SIGKILL');
  }
}

/**
 * A page with its console and page errors written to `logFile` (for diagnosing failures).
 * @param {import('playwright-core').Browser} browser
 */
export async function newLoggedPage(browser, logFile) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const out = createWriteStream(logFile);
  page.on('console', (msg) => out.write(`[${msg.type()}] ${msg.text()}\n`));
  page.on('pageerror', (err) => out.write(`[pageerror] ${err.stack ?? err.message}\n`));
  page.on('close', () => out.end());
  return page;
}

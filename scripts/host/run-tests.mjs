#!/usr/bin/env node
// `npm run test:host`: the extension in a real VS Code host (code-server 4.139.1, VS Code
// 1.139.1, extension host on Node 24), driven by headless Chromium through playwright-core.
// The tools come from `npm run host:install`; see /work/shared/recipes/vscode-host.md.
//
//   phase 1, extension tests: extension/test/**/*.ts compiled into .host-run/test-dist/, run
//            by mocha inside the extension host (extensionTestsPath); the host's exit code is
//            the result, its log lines are printed as they arrive.
//   phase 2, UI check: the workbench as a person sees it (scripts/host/ui-check.mjs), with
//            screenshots in .host-run/screenshots/.
//
// Usage: node scripts/host/run-tests.mjs [--tests-only | --ui-only]
// Exit code 0 only when every phase run passed. Whatever happens (failure, timeout, SIGINT,
// SIGTERM), every code-server process group and the browser are ended before exiting.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import { buildTests, ensureExtensionBuilt } from './build-tests.mjs';
import { CodeServerHost, HeadlessBrowser, newLoggedPage } from './host.mjs';
import { REPO, RUN_DIR, SCREENSHOTS, TEST_INDEX, ToolsMissingError, checkTools } from './paths.mjs';
import { runUiCheck } from './ui-check.mjs';

/** Time for the whole extension test run, from opening the page to codeAutomationExit (ms). */
const TESTS_TIMEOUT_MS = 180_000;
const PHASES = ['tests', 'ui'];
/** Time for the extension's node process to end after the test window closed (ms). */
const NODE_GONE_TIMEOUT_MS = 10_000;
const EXTENSION_ID = 'plexus.plexus';

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Workbench log messages that only say the machine is offline. */
const OFFLINE_NOISE = /ENOTFOUND open-vsx\.org/;

const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => console.log(`test:host: ${line}`);

/** Teardowns run newest first; close() is safe to call twice and from a signal handler. */
class Scope {
  #teardowns = [];
  #closing = null;

  /** Register a teardown; once the scope is closing, a late resource is released at once. */
  defer(teardown) {
    if (this.#closing) {
      Promise.resolve()
        .then(teardown)
        .catch((err) => log(`cleanup: ${err.message}`));
      return;
    }
    this.#teardowns.push(teardown);
  }

  close() {
    this.#closing ??= (async () => {
      for (const teardown of this.#teardowns.splice(0).reverse()) {
        try {
          await teardown();
        } catch (err) {
          log(`cleanup: ${err.message}`);
        }
      }
    })();
    return this.#closing;
  }
}

const root = new Scope();
/** Every process group started (hosts, the browser), for the synchronous last-resort kill on exit. */
const groups = new Set();
const track = (group) => groups.add(group);
process.on('exit', () => {
  for (const group of groups) group.killNow();
});
/** Set by SIGINT/SIGTERM: no further phase starts. */
let interrupted = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping code-server and the browser`);
    root.close().finally(() => process.exit(code));
  });
}

/** Run `fn(scope)` with a scope closed when it ends (and by the root scope on a signal). */
async function withScope(fn) {
  const scope = new Scope();
  root.defer(() => scope.close());
  try {
    return await fn(scope);
  } finally {
    await scope.close();
  }
}

/** Phase 1: mocha inside the extension host; resolves with the host's exit code. */
async function runExtensionTests(browser) {
  return withScope(async (scope) => {
    const host = new CodeServerHost({ name: 'tests' });
    track(host);
    scope.defer(() => host.stop());
    await host.start();
    log(`tests: code-server on ${host.origin} (log: ${host.logFile})`);

    const page = await newLoggedPage(browser, join(host.dir, 'browser.log'));
    scope.defer(() => page.context().close());
    // Every workbench log line goes to automation.log; the terminal gets them until the host
    // exits, minus the known noise of an offline machine (the extension gallery is unreachable).
    const automationLog = createWriteStream(join(host.dir, 'automation.log'));
    scope.defer(() => new Promise((resolve) => automationLog.end(resolve)));
    let onExit;
    let echo = true;
    scope.defer(() => (echo = false)); // runs first: the shutdown's own complaints are noise
    const exited = new Promise((resolve) => (onExit = resolve));
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      echo = false;
      onExit({ code, logs });
    });
    await page.exposeFunction('codeAutomationLog', (level, message) => {
      // Console calls from the extension host arrive as their argument list (format first).
      const text = Array.isArray(message) ? format(...message) : String(message);
      const prefix = level === 'info' ? '' : `[${level}] `;
      automationLog.write(`${prefix}${text}\n`);
      if (!echo || OFFLINE_NOISE.test(text)) return;
      for (const line of text.split('\n')) console.log(`  │ ${prefix}${line}`);
    });
    await page.goto(
      host.workbenchUrl([
        ['extensionDevelopmentPath', host.remoteUri(REPO)],
        ['extensionTestsPath', host.remoteUri(TEST_INDEX)],
      ]),
    );
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), TESTS_TIMEOUT_MS);
    });
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (!result) throw new Error(`the extension host did not finish the tests within ${seconds(TESTS_TIMEOUT_MS)}; see ${host.logFile} and ${join(host.dir, 'browser.log')}`);
    const logsDir = join(host.dir, 'logs');
    for (const { relativePath, contents } of Array.isArray(result.logs) ? result.logs : []) {
      const file = join(logsDir, relativePath);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
    }
    log(`tests: extension host exited with code ${result.code} (workbench logs: ${logsDir})`);
    // The window is gone with its extension host: the node process it started must be too
    // (the supervisor stops it on dispose, and the node stops by itself when its stdin closes).
    const runFile = join(host.userDataDir, 'User', 'globalStorage', EXTENSION_ID, 'node.json');
    const pid = existsSync(runFile) ? JSON.parse(readFileSync(runFile, 'utf8')).pid : null;
    if (!pid) throw new Error(`no node.json in the extension's global storage (${runFile}): the extension never started its node`);
    await page.close();
    const deadline = Date.now() + NODE_GONE_TIMEOUT_MS;
    while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(pid)) throw new Error(`the extension's node process ${pid} is still running ${seconds(NODE_GONE_TIMEOUT_MS)} after its window closed`);
    log(`tests: the extension's node process ${pid} is gone after the window closed`);
    return result.code;
  });
}

async function main() {
  const only = process.argv.includes('--tests-only') ? ['tests'] : process.argv.includes('--ui-only') ? ['ui'] : PHASES;
  checkTools();
  ensureExtensionBuilt(log);
  mkdirSync(RUN_DIR, { recursive: true });
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (only.includes('tests')) {
    const built = await buildTests();
    log(`built ${built.length} test file(s) into ${dirname(TEST_INDEX)}`);
  }

  const chromium = new HeadlessBrowser();
  track(chromium);
  root.defer(() => chromium.close());
  const browser = await chromium.launch(join(RUN_DIR, 'browser-home'));
  const results = [];
  for (const phase of only) {
    if (interrupted) break;
    const phaseStarted = Date.now();
    log(`${phase}: starting`);
    try {
      if (phase === 'tests') {
        const code = await runExtensionTests(browser);
        if (code !== 0) throw new Error(`extension tests failed (exit code ${code}); the mocha output is above`);
      } else {
        await withScope((scope) => runUiCheck({ scope, browser, log, track }));
      }
      results.push({ phase, ok: true, ms: Date.now() - phaseStarted });
    } catch (err) {
      results.push({ phase, ok: false, ms: Date.now() - phaseStarted, error: err.message });
    }
  }
  await root.close();

  const names = { tests: 'extension tests (mocha in the extension host)', ui: 'UI check (palette, views, contract panel, chat, two windows, screenshots dark/light/high contrast)' };
  for (const r of results) {
    log(`${r.ok ? 'PASS' : 'FAIL'}  ${names[r.phase]}  ${seconds(r.ms)}${r.ok ? '' : `\n  ${r.error}`}`);
  }
  if (only.includes('ui') && results.find((r) => r.phase === 'ui')?.ok) log(`screenshots: ${SCREENSHOTS}`);
  log(`total ${seconds(Date.now() - started)}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err) => {
    await root.close();
    console.error(`test:host: error: ${err instanceof ToolsMissingError ? err.message : err.stack ?? err.message}`);
    process.exitCode = 1;
  },
);

// The end-to-end UI check: what a person sees. Opens the workbench with the extension under
// development (no test payload), with a real SDK node from sdk/dist running in this process as
// the extension's configured peer (setting plexus.peers), then:
//   1. the status bar item reaches "Plexus: 1 peer" (and the peer sees the extension's node);
//   2. "Plexus: Show Node Info" from the command palette shows the node's ID, address and
//      peer count (read in the notification center: the smoke-test driver suppresses toasts);
//   3. the peer stops and the status bar goes back to "Plexus: 0 peers" (peer:disconnect).
// Screenshots go to .host-run/screenshots/: statusbar.png, node-info.png,
// statusbar-disconnected.png, and failure-ui.png when a step fails.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CodeServerHost, newLoggedPage } from './host.mjs';
import { REPO, SCREENSHOTS } from './paths.mjs';

const require = createRequire(import.meta.url);

/** Time for the workbench to load and the extension's node to start (ms). */
const WORKBENCH_TIMEOUT_MS = 60_000;
/** Time for one UI reaction (a status bar refresh, a quick-pick row) (ms). */
const UI_TIMEOUT_MS = 15_000;
const STATUS_ITEM = '#workbench\\.parts\\.statusbar .statusbar-item';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class UiCheckError extends Error {
  code = 'UI_CHECK_FAILED';
}

/** Visible text of the Plexus status bar item ('' when absent), whitespace collapsed. */
async function statusText(page) {
  const item = page.locator(STATUS_ITEM, { hasText: 'Plexus:' }).first();
  if ((await item.count()) === 0) return '';
  return ((await item.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Poll the status bar item until its text matches `expected`; returns the text. */
async function waitForStatus(page, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = await statusText(page);
    if (expected.test(text)) return text;
    if (Date.now() > deadline) {
      throw new UiCheckError(`the status bar item should match ${expected} within ${timeoutMs} ms, but shows ${text ? `"${text}"` : 'no Plexus item'}`);
    }
    await sleep(100);
  }
}

/** Run a command by its palette title (F1, type, click the matching row). */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: UI_TIMEOUT_MS }).catch(() => {
    throw new UiCheckError(`the command palette has no entry "${title}"`);
  });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
}

/** Resolves once `node` has a peer (polls its list; the event may have fired already). */
async function waitForPeer(node, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (node.peers().length === 0) {
    if (Date.now() > deadline) throw new UiCheckError(`the extension's node never connected to the configured peer ${node.p2pAddress} within ${timeoutMs} ms`);
    await sleep(50);
  }
  return node.peers()[0];
}

/**
 * @param {{ scope: { defer(fn: () => unknown): void }, browser: import('playwright-core').Browser,
 *           log: (line: string) => void, track: (host: CodeServerHost) => void }} c
 *   scope: releases what this check starts (newest first); track: registers the host for the
 *   last-resort kill on process exit.
 */
export async function runUiCheck({ scope, browser, log, track }) {
  // Loaded here, not at import: the bundle may only have been built by this run.
  const { createNode } = require('@plexus/sdk');
  const peer = await createNode({ dataDir: null, p2pPort: 0, name: 'ui-check-peer' });
  scope.defer(() => peer.stop());
  log(`ui: peer node ${peer.nodeId.slice(0, 12)} listening on ${peer.p2pAddress}`);

  const host = new CodeServerHost({ name: 'ui', settings: { 'plexus.peers': [peer.p2pAddress] } });
  track(host);
  scope.defer(() => host.stop());
  await host.start();
  log(`ui: code-server on ${host.origin} (log: ${host.logFile})`);

  const page = await newLoggedPage(browser, join(host.dir, 'browser.log'));
  scope.defer(() => page.context().close());
  let step = 'open the workbench';
  try {
    await page.goto(host.workbenchUrl([['extensionDevelopmentPath', host.remoteUri(REPO)]]));
    await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT_MS });

    step = 'status bar shows "Plexus: 1 peer"';
    const extPeer = await waitForPeer(peer, WORKBENCH_TIMEOUT_MS);
    const connected = await waitForStatus(page, /^Plexus: 1 peer$/, UI_TIMEOUT_MS);
    log(`ui: status bar shows "${connected}"; extension node ${extPeer.nodeId.slice(0, 12)} is connected to the peer`);
    await page.screenshot({ path: join(SCREENSHOTS, 'statusbar.png') });

    step = 'run "Plexus: Show Node Info" and read it in the notification center';
    await runCommand(page, 'Plexus: Show Node Info');
    await runCommand(page, 'Notifications: Show Notifications');
    const message = page.locator('.notifications-center .notification-list-item-message', { hasText: 'Plexus node' }).first();
    await message.waitFor({ timeout: UI_TIMEOUT_MS }).catch(() => {
      throw new UiCheckError('no "Plexus node ..." notification after running Plexus: Show Node Info');
    });
    const info = ((await message.textContent()) ?? '').trim();
    const expected = new RegExp(`^Plexus node ${extPeer.nodeId.slice(0, 12)} on 127\\.0\\.0\\.1:\\d+, 1 peers?$`);
    if (!expected.test(info)) throw new UiCheckError(`the node info notification reads "${info}", expected ${expected}`);
    const copy = page.locator('.notifications-center .monaco-button', { hasText: 'Copy Node ID' });
    if ((await copy.count()) === 0) throw new UiCheckError('the node info notification has no "Copy Node ID" button');
    log(`ui: notification reads "${info}"`);
    await page.screenshot({ path: join(SCREENSHOTS, 'node-info.png') });
    await page.keyboard.press('Escape');

    step = 'status bar goes back to "Plexus: 0 peers" when the peer stops';
    await peer.stop();
    const disconnected = await waitForStatus(page, /^Plexus: 0 peers$/, UI_TIMEOUT_MS);
    log(`ui: peer stopped; status bar shows "${disconnected}"`);
    await page.screenshot({ path: join(SCREENSHOTS, 'statusbar-disconnected.png') });
  } catch (err) {
    const shot = join(SCREENSHOTS, 'failure-ui.png');
    await page.screenshot({ path: shot }).catch(() => undefined);
    throw new UiCheckError(`UI check failed at step "${step}": ${err.message}\n  screenshot: ${shot}\n  logs: ${host.logFile}, ${join(host.dir, 'browser.log')}`);
  }
}

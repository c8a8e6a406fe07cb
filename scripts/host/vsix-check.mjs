#!/usr/bin/env node
// `npm run test:vsix`: the packaged extension as a user gets it. Builds plexus-<version>.vsix
// when missing (`npm run package`), installs it into a fresh code-server with
// `--install-extension`, opens the workbench (no development path), and checks that:
//   - the status bar reaches "Plexus: 0 peers" (the node runs),
//   - the node process runs extension/dist/node.js from the installed copy, not the repo,
//   - "Plexus: Show Node Info" from the palette reports the node (read in the notification
//     center: the smoke-test driver is off here, but toasts hide after a while),
//   - "Plexus: Open Chat" shows the chat view (its webview loads from the installed copy).
// Prints the .vsix size and the time from activation to a running node (the supervisor's
// "ready in N ms" line in the Plexus output channel). Ends every process it started.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CodeServerHost, HeadlessBrowser, newLoggedPage } from './host.mjs';
import { CODE_SERVER_BIN, NODE24_BIN, REPO, RUN_DIR, SCREENSHOTS, checkTools } from './paths.mjs';

const log = (line) => console.log(`test:vsix: ${line}`);
const TIMEOUT_MS = 60_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function findFile(dir, re) {
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) if (re.test(f)) return join(dir, f);
  return null;
}

async function main() {
  checkTools();
  const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
  const vsix = join(REPO, `plexus-${version}.vsix`);
  if (!existsSync(vsix)) execFileSync('npm', ['run', 'package'], { cwd: REPO, stdio: 'inherit' });
  log(`${vsix}: ${(statSync(vsix).size / 1024 / 1024).toFixed(2)} MiB`);

  const host = new CodeServerHost({ name: 'vsix' });
  const browser = new HeadlessBrowser();
  process.on('exit', () => {
    host.killNow();
    browser.killNow();
  });
  try {
    await host.start(); // fresh folders, including an empty extensions dir
    await host.stop();
    execFileSync(CODE_SERVER_BIN, ['--extensions-dir', host.extensionsDir, '--user-data-dir', host.userDataDir, '--install-extension', vsix], {
      env: { ...process.env, HOME: host.home, PATH: `${NODE24_BIN}:${process.env.PATH}` },
      stdio: 'pipe',
    });
    const installed = readdirSync(host.extensionsDir).find((d) => d.startsWith('plexus.plexus-'));
    if (!installed) throw new Error(`--install-extension left no plexus.plexus-* folder in ${host.extensionsDir}`);
    log(`installed into ${join(host.extensionsDir, installed)}`);
    await host.start({ fresh: false });
    const b = await browser.launch(join(RUN_DIR, 'browser-home'));
    const page = await newLoggedPage(b, join(host.dir, 'browser.log'));
    await page.goto(`${host.origin}/?folder=${encodeURIComponent(host.workspace)}`);
    const item = page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'Plexus: 0 peers' });
    await item.first().waitFor({ timeout: TIMEOUT_MS });
    log('status bar: "Plexus: 0 peers"');
    const runFile = join(host.userDataDir, 'User', 'globalStorage', 'plexus.plexus', 'node.json');
    const pid = JSON.parse(readFileSync(runFile, 'utf8')).pid;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (!cmdline.includes(join(host.extensionsDir, installed, 'extension', 'dist', 'node.js'))) throw new Error(`node process ${pid} runs "${cmdline}", not the installed extension's node.js`);
    log(`node process ${pid}: ${cmdline.trim()}`);
    let ready = null;
    for (const deadline = Date.now() + 10_000; !ready && Date.now() < deadline; await sleep(200)) {
      const out = findFile(join(host.userDataDir, 'logs'), /Plexus\.log$/);
      ready = out ? /ready in (\d+) ms/.exec(readFileSync(out, 'utf8')) : null;
    }
    log(`activation to running node: ${ready ? `${ready[1]} ms` : 'not found in the output channel log'}`);
    for (const title of ['Plexus: Show Node Info', 'Notifications: Show Notifications']) {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill(`>${title}`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click({ timeout: 15_000 });
    }
    const nodeId = JSON.parse(readFileSync(runFile, 'utf8')).nodeId;
    const message = page.locator('.notification-list-item-message', { hasText: `Plexus node ${nodeId.slice(0, 12)} on 127.0.0.1:` }).first();
    await message.waitFor({ timeout: 15_000 });
    log(`Show Node Info: "${(await message.textContent())?.trim()}"`);
    // The chat view's webview loads its script and style from the installed webview/dist.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Plexus: Open Chat');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Plexus: Open Chat' }).first().click({ timeout: 15_000 });
    const chat = page.frameLocator('iframe.webview.ready[src*="purpose=webviewView"]').frameLocator('#active-frame');
    await chat.locator('.conv.selected', { hasText: 'general' }).waitFor({ timeout: 15_000 });
    log('Open Chat: the chat view shows #general');
    await page.screenshot({ path: join(SCREENSHOTS, 'vsix.png') });
    await page.context().close();
    log('PASS');
  } finally {
    await browser.close();
    await host.stop();
  }
}

main().catch((err) => {
  console.error(`test:vsix: FAIL ${err.stack ?? err.message}`);
  process.exitCode = 1;
});

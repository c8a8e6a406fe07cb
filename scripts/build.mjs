// Builds everything: the SDK bundle (library + CLI), its type declarations,
// the extension bundle and the webviews. Run by `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'sdk', 'package.json'));
const sqlWasm = require.resolve('sql.js/dist/sql-wasm.wasm');
const started = Date.now();

function copyWasm(outdir) {
  mkdirSync(outdir, { recursive: true });
  copyFileSync(sqlWasm, join(outdir, 'sql-wasm.wasm'));
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ws has optional native helpers; the pure-JS fallbacks are used when these are absent.
  external: ['bufferutil', 'utf-8-validate', 'sql.js/dist/sql-wasm.wasm'],
};

rmSync(join(root, 'sdk', 'dist'), { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { index: join(root, 'sdk/src/index.ts'), cli: join(root, 'sdk/src/cli/index.ts') },
  outdir: join(root, 'sdk/dist'),
});
copyWasm(join(root, 'sdk/dist'));

// Type declarations for @plexus/sdk consumers; also a strict type-check of the SDK sources.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'sdk/tsconfig.json')], {
  stdio: 'inherit',
});

if (existsSync(join(root, 'extension/src/extension.ts'))) {
  rmSync(join(root, 'extension', 'dist'), { recursive: true, force: true });
  const outdir = join(root, 'extension/dist');
  // The extension host side: only the API client and types of the SDK are used, so the SDK is
  // bundled from its sources (tree-shaken) instead of its full CommonJS bundle.
  await build({
    ...common,
    entryPoints: { extension: join(root, 'extension/src/extension.ts') },
    outdir,
    external: [...common.external, 'vscode'],
    alias: { '@plexus/sdk': join(root, 'sdk/src/index.ts') },
    metafile: true,
  });
  // The node process: the whole `plexus` CLI, started by the extension with process.execPath
  // (ELECTRON_RUN_AS_NODE=1); sql-wasm.wasm beside it, QuickJS is a single-file variant.
  await build({
    ...common,
    entryPoints: { node: join(root, 'extension/src/node/process-main.ts') },
    outdir,
  });
  copyWasm(outdir);
}

/** Webviews: one folder per webview under webview/src, each with main.ts and style.css. */
const WEBVIEWS = ['contract-panel', 'chat-panel'];
if (existsSync(join(root, 'webview/src/contract-panel/main.ts'))) {
  // Browser ES modules (lit-based @vscode-elements/elements bundled in) and their CSS.
  const outdir = join(root, 'webview/dist');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(WEBVIEWS.map((name) => [name, join(root, `webview/src/${name}/main.ts`)])),
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  for (const name of WEBVIEWS) copyFileSync(join(root, `webview/src/${name}/style.css`), join(outdir, `${name}.css`));
}

console.log(`build: done in ${Date.now() - started} ms`);

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
  await build({
    ...common,
    entryPoints: { extension: join(root, 'extension/src/extension.ts') },
    outdir: join(root, 'extension/dist'),
    external: [...common.external, 'vscode'],
  });
  copyWasm(join(root, 'extension/dist'));
}

console.log(`build: done in ${Date.now() - started} ms`);

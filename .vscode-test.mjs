// @vscode/test-cli configuration (`npx vscode-test`), for people with VS Code and internet:
// test-cli downloads VS Code and runs the same integration tests as `npm run test:host` (which
// runs them offline in code-server; see scripts/host/run-tests.mjs). Loading this file
// compiles extension/test/**/*.ts into .host-run/test-dist/ and, when the extension bundle is
// missing, runs `npm run build` first. test-cli brings its own mocha runner, so only the
// *.test.js files are listed here, not the suite's index.js.
import { defineConfig } from '@vscode/test-cli';
import { buildTests, ensureExtensionBuilt } from './scripts/host/build-tests.mjs';

ensureExtensionBuilt((line) => console.log(`vscode-test: ${line}`));
await buildTests();

export default defineConfig({
  label: 'extension integration tests',
  files: '.host-run/test-dist/**/*.test.js',
  // The root package.json is the extension manifest.
  extensionDevelopmentPath: '.',
  mocha: {
    ui: 'bdd',
    timeout: 20_000,
    forbidOnly: true,
    forbidPending: true,
  },
});

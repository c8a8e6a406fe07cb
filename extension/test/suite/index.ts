/**
 * Mocha runner for the extension integration tests, loaded by the VS Code extension host as
 * its `extensionTestsPath`: the host calls `run()` once the extension under development is
 * loaded, and treats a rejection as a failed run.
 *
 * Runs every `*.test.js` under this file's folder (the compiled `extension/test/suite`,
 * see scripts/host/build-tests.mjs), BDD interface. Mocha is bundled into this file by
 * esbuild, so it does not depend on how the host loads the repo's ESM `mocha` package.
 * Pending (skipped) and `.only` tests fail the run: a test that did not run did not pass.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** Per-test timeout (ms): a node start plus a connect on a slow CI machine. */
const TEST_TIMEOUT_MS = 20_000;
const TEST_FILE = /\.test\.js$/;

/** Every compiled test file under `dir`, sorted so runs are repeatable. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => TEST_FILE.test(file))
    .sort()
    .map((file) => join(dir, file));
}

/** Run the suites; rejects with the number of failures, or when there is no test to run. */
export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: TEST_TIMEOUT_MS,
    forbidOnly: true,
    forbidPending: true,
  });
  const files = testFiles(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${__dirname}`));
  for (const file of files) mocha.addFile(file);
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} extension test(s) failed`));
        else if (runner.total === 0) reject(new Error(`the test files under ${__dirname} declare no tests`));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}

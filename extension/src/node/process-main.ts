/**
 * Entry of extension/dist/node.js: the bundled `plexus` CLI, run by the extension in its own
 * process (`process.execPath` with ELECTRON_RUN_AS_NODE=1, as `node.js node --data-dir ...`).
 *
 * Like a language server, the node must not outlive the editor: the extension holds this
 * process's stdin (a pipe) open, and when it closes (the extension host exited, even by a
 * crash) the process sends itself SIGTERM, which `plexus node` answers with a clean stop.
 * Run by hand with a terminal or a file as stdin, it behaves as `plexus` does.
 */
import { fstatSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

// The contract worker (sdk/src/contracts/watched-sandbox.ts) runs this same bundle in a worker
// thread: there the SDK is loaded (which starts the worker loop) but the CLI does not run.
if (isMainThread) require('@plexus/sdk/bin/plexus.js');
else require('@plexus/sdk/dist/cli.js');

function stdinIsPipe(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

if (isMainThread && stdinIsPipe()) {
  const stop = (): void => void process.kill(process.pid, 'SIGTERM');
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  // Not a reason to stay alive: once the node stopped, the process exits as `plexus node` does.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}

/**
 * Entry of extension/dist/node.js: the bundled `plexus` CLI, run by the extension in its own
 * process (`process.execPath` with ELECTRON_RUN_AS_NODE=1, as `node.js node --data-dir ...`).
 *
 * Like a language server, the node must not outlive the editor: the extension holds this
 * process's stdin open, and when it closes (the extension host exited, even by a crash) the
 * process sends itself SIGTERM, which `plexus node` answers with a clean stop.
 */
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// Not a reason to stay alive: once the node stopped, the process exits as `plexus node` does.
(process.stdin as unknown as { unref?: () => void }).unref?.();
import '@plexus/sdk/bin/plexus.js';

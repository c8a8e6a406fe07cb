/**
 * Integration tests of the extension in a real VS Code extension host (Node), run by
 * `npm run test:host` (scripts/host/run-tests.mjs) or `vscode-test` (.vscode-test.mjs).
 *
 * They talk to the node the extension embeds through the API `activate()` returns, and to it
 * over the wire from a second, real SDK node started in this same host process on 127.0.0.1.
 * The status bar text cannot be read through the extension API; the UI check in
 * scripts/host/ui-check.mjs asserts what a person sees there.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { createNode, type NodeEvents, type PlexusNode } from '@plexus/sdk';
import type { PlexusExtensionApi } from '../../src/extension';

/** publisher.name from the root package.json. */
const EXTENSION_ID = 'plexus.plexus';
/** How long a peer event may take to arrive on loopback (ms); far above what it takes. */
const PEER_EVENT_TIMEOUT_MS = 10_000;
/**
 * Set by scripts/host/run-tests.mjs on the code-server process (environment variables reach
 * the extension host): the host's --user-data-dir, so the global storage path is known exactly.
 */
const HOST_USER_DATA_DIR = process.env.PLEXUS_HOST_USER_DATA_DIR;

/** Activate the extension (idempotent in VS Code) and wait until its node started. */
async function activated(): Promise<PlexusExtensionApi> {
  const extension = vscode.extensions.getExtension<PlexusExtensionApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded in this host`);
  const api = await extension.activate();
  await api.ready;
  return api;
}

/**
 * Resolves once `event` fired with a payload `accept` returns true for; rejects after
 * `timeoutMs` with `what` in the message. Removes its listener and timer either way.
 */
function nextEvent<K extends keyof NodeEvents & string>(
  node: PlexusNode,
  event: K,
  accept: (payload: NodeEvents[K]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<NodeEvents[K]> {
  return new Promise((resolve, reject) => {
    const onEvent = (payload: NodeEvents[K]): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      node.off(event, onEvent);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      node.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    node.on(event, onEvent);
  });
}

describe('Plexus extension in a VS Code host', () => {
  /** Teardowns of the current test, run newest first after it (hyperswarm style). */
  const teardowns: Array<() => unknown> = [];
  afterEach(async () => {
    for (const teardown of teardowns.splice(0).reverse()) await teardown();
  });

  it('activates and exports { node, ready }; the node runs with a 64-hex node ID', async () => {
    const extension = vscode.extensions.getExtension<PlexusExtensionApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded in this host`);
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.ok(api, 'activate() returned nothing');
    assert.equal(typeof api.node?.peers, 'function', 'exports.node is a PlexusNode');
    assert.equal(typeof api.ready?.then, 'function', 'exports.ready is a promise');
    await api.ready;
    assert.equal(api.node.state, 'running');
    assert.match(api.node.nodeId, /^[0-9a-f]{64}$/);
    assert.match(api.node.p2pAddress ?? '', /^127\.0\.0\.1:\d+$/, 'the node listens for peers on loopback');
  });

  it("keeps its data in the extension's global storage, with identity.key mode 0600", async () => {
    const { node } = await activated();
    const dataDir = node.init.dataDir;
    assert.equal(typeof dataDir, 'string', 'the node has a data folder (not in memory)');
    assert.equal(basename(dataDir!), EXTENSION_ID);
    assert.equal(basename(dirname(dataDir!)), 'globalStorage');
    if (HOST_USER_DATA_DIR) assert.equal(dataDir, join(HOST_USER_DATA_DIR, 'User', 'globalStorage', EXTENSION_ID));
    assert.equal(statSync(join(dataDir!, 'identity.key')).mode & 0o777, 0o600);
    // The embedded node runs inside the extension host process, which holds the folder's lock.
    assert.equal(readFileSync(join(dataDir!, 'node.lock'), 'utf8').trim(), String(process.pid));
  });

  it('counts a real peer that connects, and sees it leave (peer:disconnect)', async () => {
    const { node: extNode } = await activated();
    assert.equal(extNode.peers().length, 0, 'no peer before the test connects one');
    const address = extNode.p2pAddress;
    assert.ok(address, 'the extension node listens for peers');

    const second = await createNode({ dataDir: null, p2pPort: 0, name: 'host-test-peer' });
    teardowns.push(() => second.stop());
    const secondId = second.nodeId; // the getter throws NotStartedError once the node stopped
    const seen = nextEvent(extNode, 'peer:connect', (p) => p.nodeId === secondId, PEER_EVENT_TIMEOUT_MS, 'peer:connect on the extension node');
    seen.catch(() => undefined); // awaited below; handled here in case connect() throws first
    const remote = await second.connect(address);
    assert.equal(remote.nodeId, extNode.nodeId, 'the second node reached the extension node');
    await seen;
    const peers = extNode.peers();
    assert.equal(peers.length, 1);
    assert.equal(peers[0]!.nodeId, secondId);
    assert.equal(extNode.info().peerCount, 1, 'the count "Plexus: Show Node Info" reports');

    const gone = nextEvent(extNode, 'peer:disconnect', (p) => p.nodeId === secondId, PEER_EVENT_TIMEOUT_MS, 'peer:disconnect on the extension node');
    await second.stop();
    await gone;
    assert.equal(extNode.peers().length, 0);
    assert.equal(extNode.info().peerCount, 0);
  });

  it('registers the command plexus.showNodeInfo', async () => {
    await activated();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('plexus.showNodeInfo'), 'plexus.showNodeInfo is not among the registered commands');
  });
});

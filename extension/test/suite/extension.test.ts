/**
 * Integration tests of the extension in a real VS Code extension host (Node), run by
 * `npm run test:host` (scripts/host/run-tests.mjs) or `vscode-test` (.vscode-test.mjs).
 *
 * Everything is real: the extension's node is the bundled `plexus node` CLI in its own
 * process; a second node, "external", is started by these tests outside VS Code
 * (`sdk/bin/plexus.js node` as a child process, stopped at the end) and talked to through its
 * own HTTP API, as another person's node would be. The tests drive the extension through its
 * commands and read what its views, documents and panels show.
 * scripts/host/run-tests.mjs checks after the run that the node process is gone once the
 * window closed; scripts/host/ui-check.mjs drives the same flow by hand, as a person would.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { type ChainCallResult, type ChainContractView, type ContractRecord, type DownloadProgress, type PeerInfo, type TxStatus, TypedApiClient } from '@plexus/sdk';
import type { PlexusExtensionApi } from '../../src/extension';
import { readConfig } from '../../src/config';
import { explain } from '../../src/node/errors';
import { NodeSupervisor } from '../../src/node/supervisor';
import type { ConversationKey } from '../../../webview/src/protocol';
import type { Contract } from '../../src/node/model';
import type { BanItem } from '../../src/views/ban-item';
import type { CallItem } from '../../src/views/call-item';
import type { BlockItem } from '../../src/views/block-item';
import type { TxItem } from '../../src/views/tx-item';
import type { ContractItem } from '../../src/views/contract-item';
import type { DownloadItem } from '../../src/views/download-item';
import type { GroupItem } from '../../src/views/group-item';
import type { KnownItem } from '../../src/views/known-item';
import type { PeerItem } from '../../src/views/peer-item';
import type { StateItem } from '../../src/views/state-item';

/** publisher.name from the root package.json. */
const EXTENSION_ID = 'plexus.plexus';
/**
 * Tree items are told apart by their `kind`, not `instanceof`: this file is bundled on its
 * own, so its copies of the view classes are not the extension bundle's.
 */
const isKind = <T extends { kind: string }>(kind: T['kind']) => (e: unknown): e is T => (e as { kind?: string } | undefined)?.kind === kind;
const isGroup = isKind<GroupItem<unknown>>('group');
const isContract = isKind<ContractItem>('contract');
const isDownload = isKind<DownloadItem>('download');
const isKnown = isKind<KnownItem>('known');
const isBan = isKind<BanItem>('ban');
const isBlock = isKind<BlockItem>('block');
const isTx = isKind<TxItem>('tx');
const isCall = isKind<CallItem>('call');

/** How long an event may take to travel node -> stream -> model on loopback (ms); far above what it takes. */
const EVENT_TIMEOUT_MS = 10_000;
/** Set by scripts/host/run-tests.mjs on the code-server process: the host's --user-data-dir. */
const HOST_USER_DATA_DIR = process.env.PLEXUS_HOST_USER_DATA_DIR;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function activated(): Promise<PlexusExtensionApi> {
  const extension = vscode.extensions.getExtension<PlexusExtensionApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded in this host`);
  const api = await extension.activate();
  await api.ready;
  return api;
}

/**
 * Resolves with `probe()`'s value once it is truthy, probing now and after each of `events`;
 * rejects after `timeoutMs` naming `what`. Event-driven: what the extension's views do.
 */
function until<T>(probe: () => T | undefined | null | false, events: Array<vscode.Event<unknown>>, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      for (const s of subs) s.dispose();
      f();
    };
    const check = (): void => {
      try {
        const v = probe();
        if (v) finish(() => resolve(v));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
    for (const e of events) subs.push(e(check));
    check();
  });
}

/** Test-side polling of another process (not the extension's behaviour): retries `fn` until it resolves. */
async function eventually<T>(fn: () => Promise<T>, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(err as Error).message}`);
      await sleep(100);
    }
  }
}

/** A `plexus node` started outside VS Code, as another person's node. */
class ExternalNode {
  readonly dir = mkdtempSync(join(tmpdir(), 'plexus-external-'));
  child: ChildProcess | null = null;
  client!: TypedApiClient;
  info!: { nodeId: string; p2p: string };

  async start(repo: string): Promise<void> {
    const cli = join(repo, 'sdk', 'bin', 'plexus.js');
    const child = spawn(process.execPath, [cli, 'node', '--data-dir', this.dir, '--p2p-port', '0', '--api-port', '0', '--name', 'external', '--mine', 'automine'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`external node did not start: ${out}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        if (/^Plexus node [0-9a-f]{64}/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`external node exited (${code}): ${out}`));
      });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    this.client = await TypedApiClient.fromDataDir(this.dir);
    const info = await this.client.node();
    this.info = { nodeId: info.nodeId, p2p: info.addresses.p2p! };
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function peerItems(api: PlexusExtensionApi): PeerItem[] {
  const groups = api.views.network.getChildren().filter(isGroup) as Array<GroupItem<PeerItem>>;
  return groups.flatMap((g) => g.children());
}

/** The rows of the Network view's group `id` ("peers", "known", "banned"), or null without that group. */
function groupRows(api: PlexusExtensionApi, id: string): unknown[] | null {
  const group = (api.views.network.getChildren().filter(isGroup) as Array<GroupItem<unknown>>).find((g) => g.id === id);
  return group ? group.children() : null;
}

/** A message the chat view's webview has rendered in conversation `key`. */
function rendered(api: PlexusExtensionApi, key: ConversationKey, text: string, what: string): Promise<true> {
  const view = api.chat.view;
  return until(() => view.lastRendered?.key === key && view.lastRendered.texts.includes(text), [view.onDidRender], what);
}

describe('Plexus extension in a VS Code host', function () {
  this.timeout(30_000);
  let repo: string;
  const external = new ExternalNode();
  const scratch = mkdtempSync(join(tmpdir(), 'plexus-host-test-'));
  let counter: ContractRecord;

  before(async () => {
    repo = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    await external.start(repo);
  });
  after(async () => {
    await external.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('activates and runs its node in a process of its own, with its data in global storage', async () => {
    const api = await activated();
    const { supervisor } = api;
    assert.equal(supervisor.state, 'running');
    assert.equal(supervisor.mode, 'spawned');
    assert.ok(supervisor.pid, 'the node process has a pid');
    assert.notEqual(supervisor.pid, process.pid, 'the node runs outside the extension host process');
    assert.ok(alive(supervisor.pid!), `node process ${supervisor.pid} is alive`);
    assert.match(api.model.info?.nodeId ?? '', /^[0-9a-f]{64}$/);
    assert.match(api.model.info?.addresses.api ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'the API listens on loopback');
    const dataDir = supervisor.dataDir;
    assert.equal(basename(dataDir), EXTENSION_ID);
    assert.equal(basename(dirname(dataDir)), 'globalStorage');
    if (HOST_USER_DATA_DIR) assert.equal(dataDir, join(HOST_USER_DATA_DIR, 'User', 'globalStorage', EXTENSION_ID));
    // The node process, not the extension host, holds the data folder's lock.
    assert.equal(readFileSync(join(dataDir, 'node.lock'), 'utf8').trim(), String(supervisor.pid));
    assert.equal(JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')).pid, supervisor.pid);
    assert.ok(supervisor.lastStartMs !== null && supervisor.lastStartMs < 15_000, `started in ${supervisor.lastStartMs} ms`);
    console.log(`      activation to running node: ${supervisor.lastStartMs} ms (pid ${supervisor.pid})`);
  });

  it('a second window attaches to the running node through node.json instead of starting one', async () => {
    const api = await activated();
    const lines: string[] = [];
    const output = { appendLine: (l: string) => lines.push(l) } as unknown as vscode.OutputChannel;
    const second = new NodeSupervisor({ output, config: readConfig }, { cliPath: api.supervisor.cliPath, dataDir: api.supervisor.dataDir });
    try {
      await second.start();
      assert.equal(second.mode, 'attached', lines.join('\n'));
      assert.equal(second.pid, api.supervisor.pid, 'the same node process');
      assert.equal(second.info?.nodeId, api.model.info?.nodeId);
    } finally {
      await second.stop();
      second.dispose();
    }
    assert.ok(alive(api.supervisor.pid!), 'detaching the second window leaves the node running');
    assert.equal(api.supervisor.state, 'running');
  });

  it('says which port is in use when a node cannot listen, and that a peer is unreachable', async () => {
    const api = await activated();
    const port = Number(api.model.info!.addresses.p2p!.split(':')[1]);
    const dir = mkdtempSync(join(tmpdir(), 'plexus-port-'));
    const output = { appendLine: () => undefined } as unknown as vscode.OutputChannel;
    const clash = new NodeSupervisor({ output, config: () => ({ ...readConfig(), p2pPort: port }) }, { cliPath: api.supervisor.cliPath, dataDir: dir });
    try {
      const err = await clash.start().then(() => null, (e: unknown) => e as { code?: string; message?: string });
      assert.equal(err?.code, 'PORT_IN_USE');
      assert.equal(err?.message, `Port ${port} is already in use, so the Plexus node cannot listen on it for peers (plexus.p2pPort).`);
      assert.equal(clash.state, 'failed');
      assert.deepEqual(explain(err).actions.map((a) => a.title), ['Open Settings', 'Show Log']);
    } finally {
      await clash.stop();
      clash.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    const refused = await api.supervisor.client!.connect('127.0.0.1:1').then(() => null, (e: unknown) => e as { code?: string });
    assert.equal(refused?.code, 'DIAL_FAILED');
    assert.match(explain(refused, { address: '127.0.0.1:1' }).message, /^Peer 127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED.*Check that its node is running/);
  });

  it('uses an external node from the settings (its data folder, or its URL and token) instead of starting one', async () => {
    const output = { appendLine: () => undefined } as unknown as vscode.OutputChannel;
    const cliPath = (await activated()).supervisor.cliPath;
    const token = readFileSync(join(external.dir, 'api-token'), 'utf8').trim();
    const settings = [
      { url: '', token: '', dataDir: external.dir },
      { url: external.client.url, token, dataDir: '' },
    ];
    for (const externalNode of settings) {
      const dir = mkdtempSync(join(tmpdir(), 'plexus-unused-'));
      const sup = new NodeSupervisor({ output, config: () => ({ ...readConfig(), externalNode }) }, { cliPath, dataDir: dir });
      try {
        await sup.start();
        assert.equal(sup.mode, 'external');
        assert.equal(sup.info?.nodeId, external.info.nodeId);
        assert.equal(sup.client?.url, external.client.url);
      } finally {
        await sup.stop();
        sup.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const wrong = new NodeSupervisor({ output, config: () => ({ ...readConfig(), externalNode: { url: external.client.url, token: 'not-the-token-at-all', dataDir: '' } }) }, { cliPath, dataDir: external.dir });
    const err = await wrong.start().then(() => null, (e: unknown) => e as { code?: string; message?: string });
    wrong.dispose();
    assert.equal(err?.code, 'EXTERNAL_NODE_UNREACHABLE');
    assert.match(err?.message ?? '', /does not answer: .*bearer token is not valid/);
  });

  it('connects to a node started outside VS Code (Connect to Peer) and the Network view lists it', async () => {
    const api = await activated();
    const peer = await vscode.commands.executeCommand<PeerInfo>('plexus.connectPeer', external.info.p2p);
    assert.equal(peer?.nodeId, external.info.nodeId, 'the command resolves with the peer it reached');
    const item = await until(
      () => peerItems(api).find((p) => p.peer.nodeId === external.info.nodeId),
      [api.views.network.onDidChangeTreeData],
      'the external node in the Network view',
    );
    assert.equal(item.label, 'external');
    assert.match(String(item.description), new RegExp(`${external.info.p2p.replace(/\./g, '\\.')}`));
    assert.equal(item.contextValue, 'peer', 'inline Disconnect and Ban apply to it');
    const details = Object.fromEntries(item.children().map((d) => [d.label, d.value]));
    assert.equal(details['Node ID'], external.info.nodeId);
    assert.equal(details['Address'], external.info.p2p);
    assert.match(details['Direction']!, /^outbound/);
    // And the other side sees the extension's node.
    const theirs = await external.client.peers();
    assert.ok(theirs.some((p) => p.nodeId === api.model.info?.nodeId), 'the external node lists the extension node as a peer');
  });

  it('deploys examples/contracts/counter.js from the open editor', async () => {
    const api = await activated();
    const doc = await vscode.workspace.openTextDocument(join(repo, 'examples', 'contracts', 'counter.js'));
    await vscode.window.showTextDocument(doc);
    const deployed = await vscode.commands.executeCommand<Contract>('plexus.deployContract', undefined, { args: [10], mode: 'replicated' });
    assert.ok(deployed, 'Deploy Contract resolved with the record');
    assert.equal(deployed.mode, 'replicated');
    const record = deployed as ContractRecord;
    assert.equal(record.name, 'counter');
    assert.match(record.address, /^[0-9a-f]{64}$/);
    assert.deepEqual(record.state, { count: 10, updates: 0 });
    counter = record;
    const items = api.views.contracts.getChildren().filter(isContract);
    const item = items.find((i) => i.record.address === record.address);
    assert.ok(item, 'the Contracts view lists the deployed contract');
    assert.equal(item.label, 'counter');
    const [fns, state] = api.views.contracts.getChildren(item) as Array<GroupItem<unknown>>;
    assert.deepEqual((fns!.children() as Array<{ fn: string }>).map((f) => f.fn), ['decrement', 'get', 'increment']);
    assert.deepEqual((state!.children() as StateItem[]).map((s) => [s.label, s.description]), [['count', '10'], ['updates', '0']]);
  });

  it('shows a call made by the external node in the Contracts view, the record document and the contract panel', async () => {
    const api = await activated();
    // The deploy reaches the external node through the outbox; it then calls the contract over its own API.
    await eventually(() => external.client.contract(counter.address), 'the contract on the external node');
    const panel = await vscode.commands.executeCommand('plexus.openContractPanel', counter.address).then(() => api.panels.get(counter.address));
    assert.ok(panel, 'the contract panel opened');
    await panel.ready;
    const rendered0 = await until(() => panel.lastRendered?.seq === 0 && panel.lastRendered, [panel.onDidRender], 'the panel to render v0');
    assert.match(rendered0.stateText, /"count": 10/);

    const result = await external.client.call(counter.address, 'increment', [5]);
    assert.equal(result.result, 15);
    const replicatedAt = (seq: number): ContractRecord | false => {
      const c = api.model.contract(counter.address);
      return c?.mode === 'replicated' && c.seq === seq && c;
    };
    const record = await until(() => replicatedAt(1), [api.model.onDidChangeContract], 'the update from the external node');
    assert.equal(record.state.count, 15);
    assert.equal(record.version.nodeId, external.info.nodeId, 'the version was made by the external node');

    const item = api.views.contracts.getChildren().filter(isContract).find((e) => e.record.address === counter.address)!;
    const state = (api.views.contracts.getChildren(item)[1] as GroupItem<StateItem>).children();
    assert.equal(state.find((s) => s.label === 'count')?.description, '15', 'the State tree shows the new count');

    const rendered = await until(() => panel.lastRendered?.seq === 1 && panel.lastRendered, [panel.onDidRender], 'the panel to render v1');
    assert.match(rendered.stateText, /"count": 15/);
    assert.match(rendered.stateText, new RegExp(`"lastBy": "${external.info.nodeId}"`));

    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'plexus-contract', path: `/${counter.address}/counter.json` }));
    assert.equal(JSON.parse(doc.getText()).state.count, 15, 'the plexus-contract: document has the new state');
    await external.client.call(counter.address, 'increment', [1]);
    await until(() => doc.getText().includes('"count": 16') && doc, [vscode.workspace.onDidChangeTextDocument as vscode.Event<unknown>], 'the open record document to update');
    const again = await until(() => panel.lastRendered?.seq === 2 && panel.lastRendered, [panel.onDidRender], 'the panel to render v2');
    assert.match(again.stateText, /"count": 16/);
  });

  it('explains a contract that threw (with its line) and one that ran out of gas', async () => {
    const api = await activated();
    const client = api.supervisor.client!;
    const threw = await client.call(counter.address, 'increment', ['x']).then(() => null, (err: unknown) => err);
    assert.equal((threw as { code?: string }).code, 'CONTRACT_THREW');
    const said = explain(threw, { contract: counter, fn: 'increment' }).message;
    const line = counter.source.split('\n').findIndex((l) => l.includes('by must be a whole number')) + 1;
    assert.equal(said, `counter.increment threw Error: by must be a whole number (line ${line}).`);

    // An endless loop uses up its instruction budget, or on a slow machine its 1 s deadline first.
    const spin = await client.deploy('spin', 'export function spin(state) { for (;;) {} }\n');
    const gas = await client.call(spin.address, 'spin').then(() => null, (err: unknown) => err);
    const code = (gas as { code?: string }).code;
    assert.ok(code === 'CONTRACT_OUT_OF_GAS' || code === 'CONTRACT_TIMEOUT', `got ${code}`);
    assert.match(explain(gas, { contract: spin, fn: 'spin' }).message, code === 'CONTRACT_OUT_OF_GAS' ? /^spin\.spin ran out of gas: it used its whole instruction budget/ : /^spin\.spin ran too long: it ran past its/);
  });

  it('downloads a file the external node shares (Download File) and lists it complete in the Files view', async () => {
    const api = await activated();
    const source = join(scratch, 'shared.bin');
    const data = randomBytes(1_500_000);
    writeFileSync(source, data);
    const share = await external.client.share(source);
    const out = join(scratch, 'downloaded', 'copy.bin');
    const download = await vscode.commands.executeCommand<DownloadProgress>('plexus.downloadFile', share.link, out);
    assert.equal(download?.status, 'complete');
    assert.equal(download.total, data.length);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(readFileSync(out)), sha(data), 'the downloaded copy has the original SHA-256');
    const item = await until(
      () => api.views.files.getChildren().flatMap((g) => (isGroup(g) ? g.children() : [])).filter(isDownload).find((i) => i.download.id === download.id && i.download.status === 'complete'),
      [api.views.files.onDidChangeTreeData as vscode.Event<unknown>],
      'the completed download in the Files view',
    );
    assert.match(String(item.description), /complete/);
  });

  it('lists the known addresses and the bans in the Network view, and lifts a ban with Unban Peer', async () => {
    const api = await activated();
    const known = await until(
      () => groupRows(api, 'known')?.filter(isKnown).find((k) => k.entry.address === external.info.p2p && k.entry.state === 'connected'),
      [api.views.network.onDidChangeTreeData],
      'the external node in the Known group',
    );
    assert.equal(known.entry.nodeId, external.info.nodeId);
    assert.equal(known.label, 'external');
    assert.equal(known.contextValue, 'known:node', 'Send Direct Message applies to it');
    assert.match(String(known.description), /connected$/);
    const nobody = randomBytes(32).toString('hex');
    await api.supervisor.client!.ban(nobody, { durationMs: 60_000, reason: 'host test' });
    const ban = await until(() => groupRows(api, 'banned')?.filter(isBan).find((b) => b.ban.nodeId === nobody), [api.views.network.onDidChangeTreeData], 'the ban in the Banned group (peer:ban event)');
    assert.match(String(ban.description), /host test$/);
    assert.equal(ban.contextValue, 'ban');
    await vscode.commands.executeCommand('plexus.unbanPeer', ban);
    await until(() => !groupRows(api, 'banned')?.filter(isBan).some((b) => b.ban.nodeId === nobody), [api.views.network.onDidChangeTreeData], 'the ban to leave the Banned group (peer:unban event)');
    assert.deepEqual((await api.supervisor.client!.bans()).map((b) => b.nodeId), [], 'the node lifted the ban');
  });

  it('shows a room message from the external node in the chat view, and one sent from the view reaches it', async () => {
    const api = await activated();
    const { view, model: chat } = api.chat;
    await vscode.commands.executeCommand('plexus.openChat');
    await view.show('room:general');
    assert.equal(view.selected, 'room:general');
    const hello = `hello from outside ${randomBytes(4).toString('hex')}`;
    await external.client.chatSend('general', hello);
    await rendered(api, 'room:general', hello, 'the external message in the webview');
    const entry = chat.history('room:general')!.entries.find((e) => e.text === hello)!;
    assert.equal(entry.author, external.info.nodeId);
    assert.equal(entry.label, `external (${external.info.nodeId.slice(0, 8)})`, 'name (first 8 hex of the node ID)');
    assert.equal(entry.own, false);
    assert.equal(chat.unreadTotal(), 0, 'a message in the conversation on screen is not unread');

    const reply = `and hello from VS Code ${randomBytes(4).toString('hex')}`;
    const sent = await view.request({ req: 1, command: 'send', args: { key: 'room:general', text: reply } });
    assert.equal(sent.err, undefined);
    await rendered(api, 'room:general', reply, 'our own message in the webview');
    const theirs = await eventually(async () => {
      const m = (await external.client.chatHistory('general')).find((x) => x.text === reply);
      assert.ok(m, 'not there yet');
      return m;
    }, 'the message at the external node');
    assert.equal(theirs.author, api.model.info!.nodeId);

    // Hidden (the panel closed), the view keeps its webview; what arrives meanwhile is unread
    // until it is shown again.
    const starts = view.starts;
    await vscode.commands.executeCommand('workbench.action.closePanel');
    const meanwhile = `while hidden ${randomBytes(4).toString('hex')}`;
    await external.client.chatSend('general', meanwhile);
    await until(() => chat.list().find((c) => c.key === 'room:general')?.unread === 1, [chat.onDidChange], 'one unread in #general while the view is hidden');
    assert.equal(view.badge, 1, 'the badge counts it');
    await vscode.commands.executeCommand('plexus.openChat');
    await until(() => chat.unreadTotal() === 0 && view.badge === 0, [chat.onDidChange], 'read once the view is shown again');
    await rendered(api, 'room:general', meanwhile, 'the message that came while hidden');
    assert.ok(view.lastRendered!.texts.includes(hello), 'the earlier history is still shown');
    assert.equal(view.starts, starts, 'the same webview: its context was kept while hidden');

    const empty = await view.request({ req: 2, command: 'send', args: { key: 'room:general', text: '   ' } });
    assert.equal(empty.err?.code, 'INVALID_CHAT_INPUT');
    const long = await view.request({ req: 3, command: 'send', args: { key: 'room:general', text: 'x'.repeat(4001) } });
    assert.equal(long.err?.code, 'INVALID_CHAT_INPUT');
    const badRoom = await view.request({ req: 4, command: 'join', args: { room: 'Not A Room' } });
    assert.equal(badRoom.err?.code, 'INVALID_CHAT_INPUT');
  });

  it('counts unread messages of another room on the view badge, and pages back through a room with `before`', async () => {
    const api = await activated();
    const { view, model: chat } = api.chat;
    const room = `paging-${randomBytes(3).toString('hex')}`;
    const dev = `dev-${randomBytes(3).toString('hex')}`;
    const joined = await view.request({ req: 5, command: 'join', args: { room: dev } });
    assert.deepEqual(joined.res, { key: `room:${dev}` });
    assert.equal(view.selected, `room:${dev}`, 'joining from the view selects the room');
    assert.ok((await api.supervisor.client!.chatRooms()).some((r) => r.room === dev), 'the node joined it');
    assert.equal((await view.request({ req: 6, command: 'leave', args: { room: dev } })).err, undefined);
    assert.equal(view.selected, 'room:general', 'leaving the room on screen shows general');
    // A room joined but not opened yet (so its history is read only when it is shown): what
    // arrives there while general is on screen is unread.
    await external.client.chatJoin(room);
    await chat.join(room);
    // Within the per-author rate (docs/protocol.md §20.4 check 7: 5 a second, bursts of 30), or relays
    // would drop the excess and penalise the sender: a burst, then 5 a second.
    const count = 55;
    for (let i = 0; i < count; i++) {
      await external.client.chatSend(room, `page message ${i}`);
      if (i >= 24) await sleep(210);
    }
    await until(() => chat.list().find((c) => c.key === `room:${room}`)?.unread === count, [chat.onDidChange], `${count} unread in #${room}`);
    assert.ok(!(await api.supervisor.client!.peers()).find((p) => p.nodeId === external.info.nodeId)!.score, 'the external node was not penalised');
    assert.equal(view.badge, chat.unreadTotal(), 'the view badge is the unread total');
    assert.ok(view.badge >= count);

    await view.show(`room:${room}`);
    assert.equal(chat.list().find((c) => c.key === `room:${room}`)?.unread, 0, 'shown: read');
    await until(() => view.lastRendered?.key === `room:${room}` && view.lastRendered.texts.length === 50, [view.onDidRender], 'the newest page (50) in the webview');
    assert.equal(chat.history(`room:${room}`)!.hasMore, true);
    assert.equal(view.lastRendered!.texts.at(-1), `page message ${count - 1}`);
    const more = await view.request({ req: 10, command: 'more', args: { key: `room:${room}` } });
    assert.deepEqual(more.res, { added: count - 50 });
    await until(() => view.lastRendered?.key === `room:${room}` && view.lastRendered.texts.length === count, [view.onDidRender], 'every message after paging back');
    assert.deepEqual(view.lastRendered!.texts, Array.from({ length: count }, (_, i) => `page message ${i}`), 'oldest first, in order');
    assert.equal(chat.history(`room:${room}`)!.hasMore, false);

    const left = await view.request({ req: 7, command: 'leave', args: { room } });
    assert.equal(left.err, undefined);
    assert.ok(!chat.list().some((c) => c.key === `room:${room}`));
    const general = await view.request({ req: 8, command: 'leave', args: { room: 'general' } });
    assert.equal(general.err?.code, 'INVALID_CHAT_INPUT');
  });

  it('opens a direct conversation from a peer (Send Direct Message) with sent / delivered / read marks, or hides direct messages on a node without them', async () => {
    const api = await activated();
    const { view, model: chat } = api.chat;
    const peer = peerItems(api).find((p) => p.peer.nodeId === external.info.nodeId)!;
    if (!chat.directMessages) {
      // The node answers 404 to GET /chat/conversations: the view lists rooms only and the
      // command explains itself instead of opening a conversation.
      await assert.rejects(external.client.raw.get('/chat/conversations'), (err: { status?: number }) => err.status === 404);
      assert.ok(chat.list().every((c) => c.kind === 'room'));
      assert.throws(() => chat.openDirect(external.info.nodeId), (err: { code?: string }) => err.code === 'INVALID_CHAT_INPUT');
      return;
    }
    const key = await vscode.commands.executeCommand<ConversationKey>('plexus.sendDirectMessage', peer);
    assert.equal(key, `dm:${external.info.nodeId}`);
    assert.equal(view.selected, key);
    const self = api.model.info!.nodeId;
    const text = `psst ${randomBytes(4).toString('hex')}`;
    await external.client.chatSendDirect(self, text);
    await rendered(api, key, text, 'the direct message in the webview');
    const got = chat.history(key)!.entries.find((e) => e.text === text)!;
    assert.equal(got.label, `external (${external.info.nodeId.slice(0, 8)})`);
    assert.equal(got.marks, null, 'marks are on messages this node sent only');

    const answer = `answer ${randomBytes(4).toString('hex')}`;
    const sent = await view.request({ req: 9, command: 'send', args: { key, text: answer } });
    assert.equal(sent.err, undefined);
    const id = (sent.res as { id: string }).id;
    await rendered(api, key, answer, 'our direct message in the webview');
    const marksOf = () => chat.history(key)!.entries.find((e) => e.id === id)?.marks;
    await until(() => marksOf()?.delivered, [chat.onDidChange], 'the delivered mark (chat:mark)').catch(async (err: Error) => {
      const there = (await external.client.chatConversation(self)).find((m) => m.id === id);
      throw new Error(`${err.message}; marks here ${JSON.stringify(marksOf())}, at the external node ${there ? JSON.stringify(there.marks) : 'not arrived'}; our copy ${JSON.stringify((await api.supervisor.client!.chatConversation(external.info.nodeId)).find((m) => m.id === id)?.marks)}`);
    });
    assert.ok(marksOf()!.sent !== null);
    await external.client.chatRead(self);
    await until(() => marksOf()?.read, [chat.onDidChange], 'the read mark (chat:mark)');
    const theirs = await external.client.chatConversation(self);
    assert.ok(theirs.some((m) => m.id === id && m.text === answer && !m.outgoing), 'the external node has our direct message');
  });

  it('lists blocks mined by the external node in the Chain view, and a transfer sent with Send Coins is confirmed', async () => {
    const api = await activated();
    const chainRows = (id: string): unknown[] => {
      const group = (api.views.chain.getChildren() as Array<GroupItem<unknown>>).filter(isGroup).find((g) => g.id === id);
      return group ? group.children() : [];
    };
    assert.equal(api.chain.enabled, true, 'the node runs the chain (plexus.chain.mode automine by default)');
    // Two blocks mined by the external node reach this node by gossip: the view lists them, by name.
    const mined: Array<{ hash: string; height: number }> = [];
    for (let i = 0; i < 2; i++) mined.push(await external.client.raw.post<{ hash: string; height: number }>('/chain/mine', {}));
    const theirs = await until(
      () => {
        const blocks = chainRows('blocks').filter(isBlock);
        return mined.every((m) => blocks.some((b) => b.block.hash === m.hash)) && blocks.filter((b) => b.block.miner === external.info.nodeId);
      },
      [api.views.chain.onDidChangeTreeData],
      "the external node's blocks in the Chain view (chain:block events)",
    );
    assert.ok(theirs.length >= 2, `the external node's blocks: ${theirs.length}`);
    assert.match(String(theirs[0]!.description), /· external ·/, 'the miner is named');
    // This node mines a block (its reward pays for the transfer), then sends coins to the external node.
    const own = await vscode.commands.executeCommand<{ hash: string; height: number }>('plexus.mineBlock');
    assert.ok(own && own.height > mined[1]!.height, `mined on top of the external node's blocks: ${JSON.stringify(own)}`);
    const before = (await external.client.raw.get<{ balance: number }>(`/chain/accounts/${external.info.nodeId}`)).balance;
    const status = await vscode.commands.executeCommand<TxStatus>('plexus.sendCoins', { to: external.info.nodeId, amount: 500, fee: 2 });
    assert.ok(status, 'Send Coins answered with the transaction');
    assert.equal(status.status, 'pending');
    const confirmed = await until(() => api.chain.snapshot?.blocks.find((b) => b.txs > 0 && b.height > own!.height), [api.chain.onDidChange], 'a block with the transfer (automine, tx:confirmed)');
    assert.equal((await api.chain.tx(status.hash)).status, 'confirmed');
    // Expanding the block shows the transfer; the external node holds the coins.
    const block = chainRows('blocks').filter(isBlock).find((b) => b.block.hash === confirmed.hash)!;
    const txs = ((await api.views.chain.getChildren(block)) as unknown[]).filter(isTx);
    assert.ok(txs.some((t) => t.label === '500 coins → external'), `the block's transactions: ${txs.map((t) => t.label).join(', ')}`);
    // Both nodes automine: the external node may mine the transfer too, at the same height (then
    // it keeps its own block, and its reward) until a heavier branch comes; either way it holds the coins.
    await eventually(async () => assert.equal((await external.client.raw.get<TxStatus>(`/chain/txs/${status.hash}`)).status, 'confirmed'), 'the transfer confirmed on the external node');
    assert.ok((await external.client.raw.get<{ balance: number }>(`/chain/accounts/${external.info.nodeId}`)).balance >= before + 500, 'the external node holds the coins');
    await until(
      () => (api.views.chain.getChildren() as Array<{ label?: unknown; description?: unknown }>).find((e) => e.label === 'Balance' && /nonce [1-9][0-9]*$/.test(String(e.description))),
      [api.views.chain.onDidChangeTreeData],
      "this node's account with the spent nonce",
    );
  });

  it('deploys the counter on the chain from the editor; two increments are pending, then confirmed, in the Contracts view and the panel', async () => {
    const api = await activated();
    assert.equal(readConfig().contracts.mode, 'auto', 'the default: the chain when the node runs it');
    const doc = await vscode.workspace.openTextDocument(join(repo, 'examples', 'contracts', 'counter.js'));
    await vscode.window.showTextDocument(doc);
    const deployed = await vscode.commands.executeCommand<Contract>('plexus.deployContract', undefined, { args: [10] });
    assert.ok(deployed, 'Deploy Contract resolved with the contract (its block came within the wait)');
    assert.equal(deployed.mode, 'chain');
    const record = deployed as ChainContractView;
    assert.deepEqual(record.state, { count: 10, updates: 0 });
    assert.equal((await api.chain.tx(record.address)).receipt?.contract, record.address, "the address is the deploy transaction's hash");
    const address = record.address;
    const contractItem = () => api.views.contracts.getChildren().filter(isContract).find((i) => i.record.address === address);
    const item = await until(contractItem, [api.views.contracts.onDidChangeTreeData], 'the chain contract in the Contracts view');
    assert.equal(item.description, `chain · block ${record.height} · ${address.slice(0, 12)}`);
    const groups = () => api.views.contracts.getChildren(contractItem()!) as Array<GroupItem<unknown>>;
    assert.deepEqual(groups().map((g) => [g.label, g.description]), [
      ['Functions', '3'],
      ['State', `block ${record.height}`],
      ['Calls', 'none seen yet'],
    ]);
    const panel = await vscode.commands.executeCommand('plexus.openContractPanel', address).then(() => api.panels.get(address));
    assert.ok(panel, 'the contract panel opened');
    await until(() => panel.lastRendered?.address === address && panel.lastRendered.mode === 'chain', [panel.onDidRender], 'the panel to render the chain contract');

    // Two increments: each a transaction, pending when the command answers.
    const callRows = () => (groups()[2]!.children() as unknown[]).filter(isCall);
    const sent: string[] = [];
    for (const by of [1, 1]) {
      const res = await vscode.commands.executeCommand<ChainCallResult>('plexus.callContractFunction', address, 'increment', [by]);
      assert.ok(res?.tx, `a transaction, not a view: ${JSON.stringify(res)}`);
      assert.equal(res.tx.status, 'pending');
      sent.push(res.tx.hash);
      const row = callRows().find((r) => r.call.hash === res.tx!.hash);
      assert.ok(row, 'the call is listed at once');
      assert.equal(row.label, 'increment(1)');
      if (row.call.status === 'pending') assert.equal(row.description, `pending · fee 0 · ${res.tx.hash.slice(0, 12)} · this window`);
    }
    // Confirmed by their tx:confirmed events: results 11 and 12, newest first.
    const confirmed = await until(
      () => {
        const rows = callRows();
        return rows.length === 2 && rows.every((r) => r.call.status === 'confirmed') && rows;
      },
      [api.views.contracts.onDidChangeTreeData],
      'both calls confirmed in the Contracts view',
    );
    assert.deepEqual(confirmed.map((r) => r.call.hash), [...sent].reverse());
    for (const [row, result] of [[confirmed[0]!, 12], [confirmed[1]!, 11]] as const) {
      assert.match(String(row.description), new RegExp(`^block ${row.call.receipt!.height} · → ${result} · gas \\d+ · this window$`));
      assert.ok(row.call.receipt!.height > record.height);
    }
    const state = await until(
      () => {
        const c = api.model.contract(address);
        return c?.state.count === 12 && (groups()[1]!.children() as StateItem[]);
      },
      [api.views.contracts.onDidChangeTreeData],
      'the state after both calls (contract:update)',
    );
    assert.deepEqual(state.map((s) => [s.label, s.description]).filter(([l]) => l !== 'lastBy'), [['count', '12'], ['updates', '2']]);
    // Both nodes automine: a tie between them can take a call off the main chain for a moment
    // (pending again, then mined again), so wait for the group to settle.
    await until(() => groups()[2]!.description === '2', [api.views.contracts.onDidChangeTreeData], 'the Calls group: 2, none pending');
    // The panel shows both calls confirmed, and the state.
    // (tx:confirmed comes before the contract's record is read again: the state follows a moment later.)
    const shown = await until(
      () => panel.lastRendered?.calls.length === 2 && panel.lastRendered.calls.every((c) => c.status === 'confirmed') && panel.lastRendered.stateText.includes('"count": 12') && panel.lastRendered,
      [panel.onDidRender],
      'the panel to show both calls confirmed and the state after them',
    );
    assert.match(shown.calls[0]!.text, /^block \d+increment\(1\)→ 12 · gas \d+this window$/);
    // The external node runs the same chain: it reaches the same state.
    await eventually(async () => assert.equal(((await external.client.contract(address)) as ChainContractView).state.count, 12), 'the state on the external node');
  });

  it('restarts its node when the process dies, and the external node reconnects', async () => {
    const api = await activated();
    const { supervisor } = api;
    const oldPid = supervisor.pid!;
    process.kill(oldPid, 'SIGKILL');
    const newPid = await until(() => supervisor.state === 'running' && supervisor.pid !== oldPid && supervisor.pid, [supervisor.onDidChangeState], 'the node to be restarted', 15_000);
    assert.ok(alive(newPid));
    assert.ok(!alive(oldPid));
    await until(() => api.model.peers().some((p) => p.nodeId === external.info.nodeId), [api.model.onDidChangePeers], 'the external node to be connected again', 15_000);
    // The chat view follows the new node: its conversation is read again and stays live.
    const key = api.chat.view.selected!;
    assert.ok(key, 'a conversation is selected');
    if (key !== 'room:general') await api.chat.view.show('room:general');
    const after = `after the restart ${randomBytes(4).toString('hex')}`;
    await external.client.chatSend('general', after);
    await rendered(api, 'room:general', after, 'a message after the restart in the webview');
  });
});

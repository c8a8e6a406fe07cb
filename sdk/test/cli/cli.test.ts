import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, Resources } from '../helpers';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real `plexus` launcher and collect its output. */
function plexus(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}


describe('plexus CLI', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('--help lists the commands and --version prints the version', async () => {
    const help = await plexus(['--help']);
    assert.equal(help.code, 0);
    for (const verb of ['node', 'peers', 'connect', 'info', 'events', 'devnet']) assert.match(help.stdout, new RegExp(`\\b${verb}\\b`));
    const nodeHelp = await plexus(['node', '--help']);
    assert.match(nodeHelp.stdout, /--p2p-port/);
    assert.match(nodeHelp.stdout, /--api-port/);
    assert.match(nodeHelp.stdout, /--peer/);
    const version = await plexus(['--version']);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version);
  });

  it('rejects bad arguments with a message and a non-zero exit', async () => {
    const port = await plexus(['node', '--p2p-port', 'abc']);
    assert.notEqual(port.code, 0);
    assert.match(port.stderr, /port number/);
    const peer = await plexus(['node', '--peer', 'nonsense']);
    assert.notEqual(peer.code, 0);
    assert.match(peer.stderr, /HOST:PORT/);
    const unknown = await plexus(['frobnicate']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('says clearly when no node runs on the data folder', async () => {
    const r = await plexus(['peers', '--data-dir', res.tmpDir()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NODE_NOT_RUNNING/);
  });

  it('runs three nodes as processes that the verbs inspect and connect, and stops them cleanly', async function () {
    this.timeout(60_000);
    const root = res.tmpDir();
    const dirs = ['a', 'b', 'c'].map((n) => join(root, n));
    const a = await res.cliNode(['--data-dir', dirs[0]!, '--p2p-port', '0', '--api-port', '0', '--name', 'a']);
    const aInfo = await a.started;
    const b = await res.cliNode(['--data-dir', dirs[1]!, '--p2p-port', '0', '--api-port', '0', '--name', 'b', '--peer', aInfo.addresses.p2p]);
    const c = await res.cliNode(['--data-dir', dirs[2]!, '--p2p-port', '0', '--api-port', '0', '--name', 'c']);
    const cInfo = await c.started;
    await a.waitFor('peer:connect');

    const connect = await plexus(['connect', aInfo.addresses.p2p, '--data-dir', dirs[2]!]);
    assert.equal(connect.code, 0, connect.stderr);
    assert.match(connect.stdout, /connected to [0-9a-f]{12} \(a\)/);
    await c.waitFor('peer:connect');

    const peers = await plexus(['peers', '--json', '--data-dir', dirs[0]!]);
    assert.equal(peers.code, 0, peers.stderr);
    const list = JSON.parse(peers.stdout) as Array<{ name: string; nodeId: string }>;
    assert.deepEqual(list.map((p) => p.name).sort(), ['b', 'c']);
    const table = await plexus(['peers', '--data-dir', dirs[0]!]);
    assert.match(table.stdout, /NODE ID\s+NAME\s+ADDRESS/);
    const info = await plexus(['info', '--json', '--data-dir', dirs[2]!]);
    assert.equal(JSON.parse(info.stdout).nodeId, cInfo.nodeId);

    // SIGTERM: a clean stop, exit 0, run file marked stopped, lock released.
    await b.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null });
    const run = JSON.parse(readFileSync(join(dirs[1]!, 'node.json'), 'utf8'));
    assert.equal(run.running, false);
    assert.equal(existsSync(join(dirs[1]!, 'node.lock')), false);
    await a.waitFor('peer:disconnect', (p) => p.code === 1001);
    const after = await plexus(['peers', '--data-dir', dirs[1]!]);
    assert.match(after.stderr, /NODE_NOT_RUNNING/);
  });

  it('refuses a second node on a data folder that is in use', async () => {
    const dir = res.tmpDir();
    await res.cliNode(['--data-dir', dir, '--p2p-port', '0', '--api-port', '0']);
    const second = await plexus(['node', '--data-dir', dir, '--p2p-port', '0', '--api-port', '0']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /DATA_DIR_IN_USE/);
  });

  it('stops with STORE_CORRUPT on a corrupt database and leaves the file alone', async () => {
    const dir = res.tmpDir();
    const bytes = Buffer.from('definitely not sqlite '.repeat(50));
    writeFileSync(join(dir, 'node.db'), bytes);
    const r = await plexus(['node', '--data-dir', dir, '--p2p-port', '0', '--api-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /STORE_CORRUPT/);
    assert.deepEqual(readFileSync(join(dir, 'node.db')), bytes);
  });

  it('reuses the ports of the previous run when none are given', async () => {
    const dir = res.tmpDir();
    const first = await res.cliNode(['--data-dir', dir, '--p2p-port', '0', '--api-port', '0']);
    const p2p = (await first.started).addresses.p2p;
    await first.kill('SIGTERM');
    const second = await res.cliNode(['--data-dir', dir]);
    assert.equal((await second.started).addresses.p2p, p2p);
  });

  it('devnet --once starts a local network, prints what each node sees and exits 0', async function () {
    this.timeout(60_000);
    const cwd = res.tmpDir();
    const r = await plexus(['devnet', '--once', '--nodes', '3', '--base-port', '0'], { cwd, timeoutMs: 50_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /every node sees 2 peers with measured round-trip times/);
    // The chain demo: 2 fundings + 3 transfers sent at once, confirmed, one head everywhere.
    assert.match(r.stdout, /and 5 transfers are confirmed with every node at height \d+/);
    const heads = [...r.stdout.matchAll(/^ {4}(node\d) +(\d+) +([0-9a-f]{12}) +([0-9a-f]{12}) +0 +\d+$/gm)].map((m) => m.slice(2).join(' '));
    assert.equal(heads.length, 3, r.stdout);
    assert.equal(new Set(heads).size, 1, `one height, head and state root on every node: ${heads.join(' | ')}`);
    for (const n of ['node1', 'node2', 'node3']) {
      assert.ok(existsSync(join(cwd, '.plexus', n, 'node.db')), `${n} has its store under .plexus/`);
      assert.equal(JSON.parse(readFileSync(join(cwd, '.plexus', n, 'node.json'), 'utf8')).running, false, `${n} stopped`);
    }
  });
});

describe('examples', () => {
  it('examples/two-nodes.mjs runs with the SDK alone and prints round-trip times', async () => {
    const out = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [join(__dirname, '../../../examples/two-nodes.mjs')], { timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /alice sees bob inbound, rtt \d+\.\d+ ms/);
    assert.match(out.stdout, /bob {3}sees alice outbound, rtt \d+\.\d+ ms/);
  });
});

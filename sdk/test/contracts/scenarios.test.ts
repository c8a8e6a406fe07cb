import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, ApiClientError } from '../../src/api/index';
import type { ContractRecord, ContractSummary } from '../../src/contracts/index';
import { Store } from '../../src/store/index';
import { CLI, type CliNode, Resources, until } from '../helpers';

const TOKEN = readFileSync(join(__dirname, '../../../examples/contracts/token.js'), 'utf8');
const FAST_CHILD = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '400ms'];

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('contract scenarios with node processes', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function start(dir: string, port = 0, extra: string[] = []): Promise<{ node: CliNode; api: ApiClient; p2p: string; nodeId: string }> {
    const node = await res.cliNode(['--data-dir', dir, '--p2p-port', String(port), '--api-port', '0', ...FAST_CHILD, ...extra]);
    const info = await node.started;
    return { node, api: await ApiClient.fromDataDir(dir), p2p: info.addresses.p2p, nodeId: info.nodeId };
  }

  it('two nodes: deploy on 1, 2 lacks it, connect, 2 has it, mint on 1, 2 shows the balance', async function () {
    this.timeout(60_000);
    const root = res.tmpDir();
    const one = await start(join(root, 'one'));
    const two = await start(join(root, 'two'));

    const deployed = await one.api.post<{ contract: ContractRecord }>('/contracts', { name: 'token', source: TOKEN, args: ['T', 'TKN'] });
    const address = deployed.contract.address;
    await assert.rejects(two.api.get(`/contracts/${address}`), (e: unknown) => e instanceof ApiClientError && e.status === 404 && e.code === 'CONTRACT_NOT_FOUND');

    await two.api.post('/network/connect', { address: one.p2p });
    await eventually(async () => (await two.api.get<{ contracts: ContractSummary[] }>('/contracts')).contracts.length === 1, 'node 2 has the contract');

    const minted = await one.api.post<{ result: number; changed: boolean; seq: number }>(`/contracts/${address}/call`, { function: 'mint', args: [two.nodeId, 250] });
    assert.deepEqual([minted.result, minted.changed, minted.seq], [250, true, 1]);
    await eventually(async () => {
      const view = await two.api.post<{ result: number }>(`/contracts/${address}/call`, { function: 'balanceOf', args: [two.nodeId] });
      return view.result === 250;
    }, 'node 2 shows the balance');
    const onTwo = await two.api.get<{ contract: ContractRecord }>(`/contracts/${address}`);
    assert.equal(onTwo.contract.seq, 1);
    assert.equal(onTwo.contract.stateHash, (await one.api.get<{ contract: ContractRecord }>(`/contracts/${address}`)).contract.stateHash);
  });

  it('restart: A deploys while B is down, A is SIGKILLed and restarted, B returns and gets it once; A\'s outbox empties', async function () {
    this.timeout(90_000);
    const root = res.tmpDir();
    const dirA = join(root, 'a');
    const dirB = join(root, 'b');
    let a = await start(dirA);
    let b = await start(dirB);
    const portA = Number(a.p2p.split(':')[1]);
    const portB = Number(b.p2p.split(':')[1]);
    await a.api.post('/network/connect', { address: b.p2p });

    // B goes down; A deploys.
    await b.node.kill('SIGTERM');
    await a.node.waitFor('peer:disconnect', (p) => p.nodeId === b.nodeId);
    const { contract } = await a.api.post<{ contract: ContractRecord }>('/contracts', { name: 'token', source: TOKEN });
    const outbox = await a.api.get<{ entries: Array<{ peerAddress: string; contractAddress: string }> }>('/outbox');
    assert.deepEqual(
      outbox.entries.map((e) => [e.peerAddress, e.contractAddress]),
      [[b.p2p, contract.address]],
    );

    // The row is on disk: the deploy returned only after it was durable.
    copyFileSync(join(dirA, 'node.db'), join(root, 'copy.db'));
    copyFileSync(join(dirA, 'node.db-wal'), join(root, 'copy.db-wal')); // durable = in the image or its log
    const copy = await Store.open(join(root, 'copy.db'));
    const rows = copy.all<{ contract_address: string }>('SELECT contract_address FROM pending_contract_broadcasts');
    await copy.close();
    assert.deepEqual(rows.map((r) => r.contract_address), [contract.address]);

    // A dies hard and comes back on the same port; then B comes back.
    await a.node.kill('SIGKILL');
    a = await start(dirA, portA);
    assert.equal((await a.api.get<{ entries: unknown[] }>('/outbox')).entries.length, 1, 'the outbox survived SIGKILL');
    b = await start(dirB, portB);

    await eventually(async () => (await a.api.get<{ entries: unknown[] }>('/outbox')).entries.length === 0, "A's outbox empties", 30_000);
    const onB = await b.api.get<{ contract: ContractRecord }>(`/contracts/${contract.address}`);
    assert.equal(onB.contract.stateHash, contract.stateHash);
    assert.equal((await b.api.get<{ contracts: unknown[] }>('/contracts')).contracts.length, 1);
    // Applied once: B announced it as new exactly once, whether it came by sync or by the outbox.
    await until(() => b.node.events.some((e) => e.event === 'contract:sync'), 'b synced');
    const news = b.node.events.filter((e) => e.event === 'contract:new' && e.payload.address === contract.address);
    assert.equal(news.length, 1);
  });

  it('CLI verbs deploy, call, contracts, contract and outbox work against a running node', async function () {
    this.timeout(60_000);
    const dir = res.tmpDir();
    const { nodeId } = await start(dir);
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [CLI, ...args, '--data-dir', dir], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, stdout, stderr }),
        ),
      );
    const file = join(__dirname, '../../../examples/contracts/token.js');
    const deploy = await run(['deploy', file, '--args', '["Plexus Token","PLX"]', '--json']);
    assert.equal(deploy.code, 0, deploy.stderr);
    const record = JSON.parse(deploy.stdout) as ContractRecord;
    assert.equal(record.name, 'token');
    const prefix = record.address.slice(0, 10);

    const mint = await run(['call', prefix, 'mint', nodeId, '40']);
    assert.equal(mint.code, 0, mint.stderr);
    assert.match(mint.stdout, /^40\n/);
    assert.match(mint.stdout, /state changed: seq 1/);
    const view = await run(['call', prefix, 'balanceOf', nodeId]);
    assert.match(view.stdout, /^40\n/);
    assert.match(view.stdout, /read-only/);
    const bad = await run(['call', prefix, 'transfer', 'x', '1000']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /CONTRACT_THREW.*insufficient balance/);

    assert.match((await run(['contracts'])).stdout, new RegExp(`${record.address.slice(0, 12)}\\s+token\\s+replicated\\s+1`));
    const show = await run(['contract', prefix]);
    assert.match(show.stdout, /"PLX"/);
    assert.match((await run(['outbox'])).stdout, /outbox empty/);
    const badArgs = await run(['deploy', file, '--args', '{"not":"an array"}']);
    assert.notEqual(badArgs.code, 0);
    assert.match(badArgs.stderr, /JSON array/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import type { PlexusNode } from '../../src/index';
import { Resources, until } from '../helpers';

describe('HTTP API', () => {
  const res = new Resources();
  afterEach(() => res.release());

  async function apiNode(): Promise<{ node: PlexusNode; url: string; token: string; dir: string }> {
    const dir = res.tmpDir();
    // The instruction budget, not the wall-clock deadline, must end an endless loop here, even
    // on a busy machine (the deadline has its own test in the sandbox's).
    const node = await res.node({ dataDir: dir, api: { port: 0 }, contracts: { deadlineMs: 60_000 } });
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    return { node, url: `${node.apiUrl}/api/v1`, token, dir };
  }

  async function call(url: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    const r = await fetch(url, { ...init, headers });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
  }

  it('creates the token file with mode 0600 and binds to 127.0.0.1', async () => {
    const { node, dir } = await apiNode();
    const { statSync } = await import('node:fs');
    assert.equal(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
    assert.match(node.apiUrl!, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 UNAUTHENTICATED without a token and 401 INVALID_TOKEN with a wrong one', async () => {
    const { url, token } = await apiNode();
    const none = await call(`${url}/node`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHENTICATED');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await call(`${url}/node`, { token: token.slice(0, -2) + 'xx' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'INVALID_TOKEN');
    const basic = await call(`${url}/node`, { headers: { authorization: `Basic ${token}` } });
    assert.equal(basic.body.error.code, 'INVALID_TOKEN');
    // Even the event stream needs it.
    assert.equal((await call(`${url}/events`)).status, 401);
  });

  it('GET /node reports identity, version, addresses and uptime', async () => {
    const { node, url, token } = await apiNode();
    const { status, body } = await call(`${url}/node`, { token });
    assert.equal(status, 200);
    assert.equal(body.nodeId, node.nodeId);
    assert.equal(body.addresses.p2p, node.p2pAddress);
    assert.equal(body.addresses.api, node.apiUrl);
    assert.equal(body.protocolVersion, 1);
    assert.ok(body.uptimeMs >= 0);
  });

  it('POST /network/connect connects, and GET /network/peers lists the peer with its RTT', async () => {
    const { url, token } = await apiNode();
    const other = await res.node({ name: 'other' });
    const post = await call(`${url}/network/connect`, {
      token,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: other.p2pAddress }),
    });
    assert.equal(post.status, 200);
    assert.equal(post.body.peer.nodeId, other.nodeId);
    const deadline = Date.now() + 3000;
    let peers: any[] = [];
    while (Date.now() < deadline) {
      peers = (await call(`${url}/network/peers`, { token })).body.peers;
      if (peers[0]?.rttMs != null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(peers.length, 1);
    assert.equal(peers[0].nodeId, other.nodeId);
    assert.equal(peers[0].address, other.p2pAddress);
    assert.equal(peers[0].direction, 'outbound');
    assert.equal(typeof peers[0].rttMs, 'number');
    assert.equal(typeof peers[0].connectedAt, 'number');
    assert.equal(typeof peers[0].lastSeen, 'number');
  });

  it('answers bad input with the right 4xx and an error code', async () => {
    const { url, token } = await apiNode();
    const json = { 'content-type': 'application/json' };
    const post = (body: string, headers: Record<string, string> = json) =>
      call(`${url}/network/connect`, { token, method: 'POST', headers, body });
    const cases: Array<[string, Promise<{ status: number; body: any }>, number, string]> = [
      ['not JSON', post('{"address":'), 400, 'INVALID_JSON'],
      ['missing field', post('{}'), 400, 'INVALID_BODY'],
      ['extra field', post('{"address":"127.0.0.1:1","admin":true}'), 400, 'INVALID_BODY'],
      ['wrong type', post('{"address":5000}'), 400, 'INVALID_BODY'],
      ['bad address', post('{"address":"no-port-here"}'), 400, 'INVALID_ADDRESS'],
      ['wrong content type', post('address=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['too large', post(JSON.stringify({ address: 'x'.repeat(2 * 1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE'],
      ['unknown route', call(`${url}/nope`, { token }), 404, 'NOT_FOUND'],
      ['wrong method', call(`${url}/node`, { token, method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED'],
      ['unknown peer', call(`${url}/network/peers/${'ab'.repeat(32)}`, { token, method: 'DELETE' }), 404, 'PEER_NOT_FOUND'],
      ['unknown ban', call(`${url}/network/bans/${'ab'.repeat(32)}`, { token, method: 'DELETE' }), 404, 'BAN_NOT_FOUND'],
      [
        'null ban duration',
        call(`${url}/network/bans`, { token, method: 'POST', headers: json, body: JSON.stringify({ nodeId: 'ab'.repeat(32), durationMs: null }) }),
        400,
        'INVALID_BODY',
      ],
      [
        'null ban reason',
        call(`${url}/network/bans`, { token, method: 'POST', headers: json, body: JSON.stringify({ nodeId: 'ab'.repeat(32), reason: null }) }),
        400,
        'INVALID_BODY',
      ],
      [
        'bad ban node ID',
        call(`${url}/network/bans`, { token, method: 'POST', headers: json, body: '{"nodeId":"xyz"}' }),
        400,
        'INVALID_BODY',
      ],
    ];
    for (const [label, pending, status, code] of cases) {
      const r = await pending;
      assert.equal(r.status, status, `${label}: status`);
      assert.equal(r.body.error.code, code, `${label}: code`);
      assert.ok(r.body.error.message.length > 0, `${label}: message`);
    }
  });

  it('answers 502 DIAL_FAILED for a closed port and 409 SELF_CONNECTION for its own address', async () => {
    const { node, url, token } = await apiNode();
    const post = (address: string) =>
      call(`${url}/network/connect`, { token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address }) });
    const closed = await post('127.0.0.1:1');
    assert.equal(closed.status, 502);
    assert.equal(closed.body.error.code, 'DIAL_FAILED');
    const self = await post(node.p2pAddress!);
    assert.equal(self.status, 409);
    assert.equal(self.body.error.code, 'SELF_CONNECTION');
    // The same node under another name is found out by the handshake: still a 409.
    const viaName = await post(`localhost:${node.p2pAddress!.split(':')[1]}`);
    assert.equal(viaName.status, 409);
    assert.equal(viaName.body.error.code, 'SELF_CONNECTION');
  });

  it('bans, lists and unbans through the API', async () => {
    const { url, token } = await apiNode();
    const nodeId = 'cd'.repeat(32);
    const ban = await call(`${url}/network/bans`, {
      token,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nodeId, durationMs: 60_000, reason: 'spam' }),
    });
    assert.equal(ban.status, 201);
    assert.equal(ban.body.ban.nodeId, nodeId);
    assert.equal(ban.body.ban.until - ban.body.ban.bannedAt, 60_000);
    assert.equal((await call(`${url}/network/bans`, { token })).body.bans[0].reason, 'spam');
    assert.equal((await call(`${url}/network/bans/${nodeId}`, { token, method: 'DELETE' })).status, 200);
    assert.deepEqual((await call(`${url}/network/bans`, { token })).body.bans, []);
  });

  it('DELETE /network/peers/{id} drops the peer and stops redialing it, even if it comes back on its own', async () => {
    const { node, url, token } = await apiNode();
    const other = await res.node();
    await node.connect(other.p2pAddress!);
    const r = await call(`${url}/network/peers/${other.nodeId}`, { token, method: 'DELETE' });
    assert.equal(r.status, 200);
    await until(() => node.peers().length === 0, 'dropped');
    // The other side redials us; we accept it, but still do not dial it ourselves.
    await other.connect(node.p2pAddress!);
    await until(() => node.peers().length === 1, 'it came back inbound');
    assert.equal(node.addressBook().find((e) => e.address === other.p2pAddress)?.autoDial, false);
  });

  it('contract routes answer bad input and failing contracts with the right status and code', async () => {
    const { url, token } = await apiNode();
    const json = { 'content-type': 'application/json' };
    const post = (path: string, body: unknown) => call(`${url}${path}`, { token, method: 'POST', headers: json, body: JSON.stringify(body) });
    const deployed = await post('/contracts', { name: 'c', source: 'export function f(s) { s.n = (s.n ?? 0) + 1; return s.n }\nexport function loop() { for (;;) {} }' });
    assert.equal(deployed.status, 201);
    const address = deployed.body.contract.address;
    const cases: Array<[string, Promise<{ status: number; body: any }>, number, string]> = [
      ['deploy without source', post('/contracts', { name: 'x' }), 400, 'INVALID_BODY'],
      ['deploy with args not an array', post('/contracts', { name: 'x', source: 'export function f(){}', args: 5 }), 400, 'INVALID_BODY'],
      ['deploy broken source', post('/contracts', { name: 'x', source: 'export function (' }), 422, 'CONTRACT_INVALID_SOURCE'],
      ['unknown contract', call(`${url}/contracts/${'0'.repeat(64)}`, { token }), 404, 'CONTRACT_NOT_FOUND'],
      ['call without function', post(`/contracts/${address}/call`, { args: [] }), 400, 'INVALID_BODY'],
      ['call a bad function name', post(`/contracts/${address}/call`, { function: 'no such' }), 400, 'INVALID_BODY'],
      ['call a missing function', post(`/contracts/${address}/call`, { function: 'g' }), 404, 'CONTRACT_FUNCTION_NOT_FOUND'],
      ['call an endless loop', post(`/contracts/${address}/call`, { function: 'loop' }), 422, 'CONTRACT_OUT_OF_GAS'],
    ];
    for (const [label, pending, status, code] of cases) {
      const r = await pending;
      assert.equal(r.status, status, `${label}: status`);
      assert.equal(r.body.error.code, code, `${label}: code`);
    }
    const ok = await post(`/contracts/${address}/call`, { function: 'f' });
    assert.deepEqual([ok.status, ok.body.result, ok.body.changed, ok.body.seq], [200, 1, true, 1]);
    assert.deepEqual((await call(`${url}/outbox`, { token })).body.entries, []);
  });

  it('streams node events over SSE', async () => {
    const { node, token } = await apiNode();
    const client = new ApiClient(node.apiUrl!, token);
    const abort = new AbortController();
    const got: Array<[string, any]> = [];
    const stream = client.events((name, payload) => got.push([name, payload]), abort.signal, ['peer:connect', 'peer:disconnect']);
    res.add(() => abort.abort());
    await new Promise((r) => setTimeout(r, 100));
    const other = await res.node();
    const otherId = other.nodeId;
    await other.connect(node.p2pAddress!);
    const deadline = Date.now() + 3000;
    while (!got.some(([n]) => n === 'peer:connect') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await other.stop();
    while (!got.some(([n]) => n === 'peer:disconnect') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await stream;
    const names = got.map(([n]) => n);
    assert.deepEqual(names, ['peer:connect', 'peer:disconnect']);
    assert.equal(got[0]![1].nodeId, otherId);
    assert.equal(got[1]![1].nodeId, otherId);
  });
});

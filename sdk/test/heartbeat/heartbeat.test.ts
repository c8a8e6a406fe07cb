import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Identity } from '../../src/identity/index';
import { detectionBoundMs } from '../../src/heartbeat/index';
import { FAST, nextEvent, RawPeer, Resources, until } from '../helpers';

// The heartbeat of these nodes: ping every 100 ms, dead after 300 ms without a pong.
const BOUND_MS = detectionBoundMs(FAST.heartbeat!.intervalMs!, FAST.heartbeat!.timeoutMs!);
// Slack for timer scheduling and process start-up on a loaded 2-core machine.
const SLACK_MS = 400;
const CHILD_HEARTBEAT = ['--heartbeat-interval', '100ms', '--heartbeat-timeout', '300ms'];

describe('heartbeat', () => {
  const res = new Resources();
  afterEach(() => res.release());

  it('measures round-trip time to every peer', async () => {
    const a = await res.node();
    const b = await res.node();
    await b.connect(a.p2pAddress!);
    await until(() => a.peers()[0]?.rttMs != null && b.peers()[0]?.rttMs != null, 'both have an RTT');
    const rtt = a.peers()[0]!.rttMs!;
    assert.ok(rtt > 0 && rtt < 1000, `rtt ${rtt} ms on loopback`);
    assert.ok(a.peers()[0]!.lastSeen >= a.peers()[0]!.connectedAt);
  });

  it('removes a peer that stays connected but stops answering pings, within the heartbeat bound', async () => {
    const node = await res.node();
    const silent = new RawPeer(node.p2pAddress!);
    res.add(() => silent.close());
    const id = Identity.generate();
    const joined = nextEvent(node, 'peer:connect');
    await silent.handshake(id);
    await joined;
    const since = Date.now(); // from here on the raw peer sends nothing at all
    const dead = await nextEvent(node, 'peer:dead', (d) => d.nodeId === id.nodeId, 5_000);
    const elapsed = Date.now() - since;
    assert.equal(dead.reason, 'heartbeat-timeout');
    assert.ok(elapsed <= BOUND_MS + SLACK_MS, `removed after ${elapsed} ms, bound ${BOUND_MS} ms`);
    assert.ok(silent.frames.some((f) => f.type === 'Ping'), 'it was pinged');
    assert.equal(node.peers().length, 0);
    // The socket is dropped too.
    await silent.closed;
  });

  it('keeps pinging a peer that answers Ping with Error, and reports a heartbeat death with 4010', async () => {
    const node = await res.node();
    const rude = new RawPeer(node.p2pAddress!);
    res.add(() => rude.close());
    const id = Identity.generate();
    let answering = true;
    rude.ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'Ping' && answering) rude.send({ v: 1, type: 'Error', re: f.id, body: { code: 'NOPE', message: 'no pongs here' } });
    });
    await rude.handshake(id);
    await until(() => node.peers().length === 1, 'connected');
    await new Promise((r) => setTimeout(r, BOUND_MS * 3));
    assert.ok(rude.frames.filter((f) => f.type === 'Ping').length >= 4, 'pinged again and again');
    answering = false;
    const gone = nextEvent(node, 'peer:disconnect', (d) => d.nodeId === id.nodeId, 5_000);
    const dead = await nextEvent(node, 'peer:dead', (d) => d.nodeId === id.nodeId, 5_000);
    assert.equal(dead.reason, 'heartbeat-timeout');
    assert.equal((await gone).code, 4010);
  });

  it('re-pings at once when a frame excused a late pong, so silence right after is still caught within the bound', async () => {
    const node = await res.node();
    const sly = new RawPeer(node.p2pAddress!);
    res.add(() => sly.close());
    const id = Identity.generate();
    let pings = 0;
    let silentSince = 0;
    sly.ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type !== 'Ping') return;
      pings++;
      if (pings === 1) sly.send({ v: 1, type: 'Pong', re: f.id, body: f.body });
      else if (pings === 2) {
        // Ignore this ping but send one last frame that crosses it, then fall silent.
        sly.send({ v: 1, type: 'Error', body: { code: 'LAST_WORDS', message: 'bye' } });
        silentSince = Date.now();
      }
    });
    await sly.handshake(id);
    const dead = await nextEvent(node, 'peer:dead', (d) => d.nodeId === id.nodeId, 5_000);
    const elapsed = Date.now() - silentSince;
    assert.equal(dead.reason, 'heartbeat-timeout');
    assert.ok(pings >= 3, `pinged again after the excused timeout (${pings} pings)`);
    assert.ok(elapsed <= BOUND_MS + SLACK_MS, `removed ${elapsed} ms after its last frame, bound ${BOUND_MS} ms`);
  });

  it('does not declare a peer dead while it keeps sending other frames', async () => {
    const node = await res.node();
    const busy = new RawPeer(node.p2pAddress!);
    res.add(() => busy.close());
    await busy.handshake(Identity.generate());
    await until(() => node.peers().length === 1, 'connected');
    // Never answers a Ping, but sends a valid Pong-less frame stream (Error notices) all the time.
    const chatter = setInterval(() => busy.send({ v: 1, type: 'Error', body: { code: 'NOISE', message: 'still here' } }), 50);
    res.add(() => clearInterval(chatter));
    await new Promise((r) => setTimeout(r, BOUND_MS * 3));
    assert.equal(node.peers().length, 1, 'still in the active set');
  });

  it('keeps pinging a peer whose connection a duplicate replaced while a Ping was out, and still catches its silence', async () => {
    const node = await res.node();
    const id = Identity.generate();
    const first = new RawPeer(node.p2pAddress!);
    res.add(() => first.close());
    await first.handshake(id);
    await first.waitFrame('Ping'); // unanswered, in flight on the first connection
    // The same node ID connects again: the newer connection wins, the first is closed (§11.1).
    const second = new RawPeer(node.p2pAddress!);
    res.add(() => second.close());
    await second.handshake(id);
    assert.equal((await first.closed).code, 4005);
    const since = Date.now();
    const dead = await nextEvent(node, 'peer:dead', (d) => d.nodeId === id.nodeId, 5_000);
    assert.equal(dead.reason, 'heartbeat-timeout');
    assert.ok(Date.now() - since <= BOUND_MS + SLACK_MS, `removed after ${Date.now() - since} ms, bound ${BOUND_MS} ms`);
    assert.ok(second.frames.some((f) => f.type === 'Ping'), 'pinged on the new connection');
  });

  it('removes a node killed with SIGKILL at once (socket closed), and reconnects when it comes back', async function () {
    this.timeout(30_000);
    // The victim's address came from its Hello (unconfirmed): the observer gives it up after 8
    // failed dials. Backoff long enough for those 8 to outlast a process restart on a busy machine.
    const observer = await res.node({ dialBackoffBaseMs: 300, dialBackoffMaxMs: 1500 });
    const dir = res.tmpDir();
    const victim = await res.cliNode(['--data-dir', join(dir, 'victim'), '--p2p-port', '0', '--api-port', '0', '--peer', observer.p2pAddress!, ...CHILD_HEARTBEAT]);
    const started = await victim.started;
    await until(() => observer.peers().some((p) => p.nodeId === started.nodeId), 'the observer sees the victim');
    const dead = nextEvent(observer, 'peer:dead', (d) => d.nodeId === started.nodeId);
    const gone = nextEvent(observer, 'peer:disconnect', (d) => d.nodeId === started.nodeId);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    const d = await dead;
    const elapsed = Date.now() - killedAt;
    await gone;
    assert.equal(d.reason, 'connection-lost');
    assert.ok(elapsed <= BOUND_MS + SLACK_MS, `removed ${elapsed} ms after SIGKILL, bound ${BOUND_MS} ms`);
    assert.equal(observer.peers().length, 0);

    // The victim comes back on the same port with the same identity: the observer redials it.
    const back = nextEvent(observer, 'peer:connect', (p) => p.nodeId === started.nodeId, 10_000);
    const port = started.addresses.p2p.split(':')[1]!;
    const revived = await res.cliNode(['--data-dir', join(dir, 'victim'), '--p2p-port', port, '--api-port', '0', ...CHILD_HEARTBEAT]);
    assert.equal((await revived.started).nodeId, started.nodeId, 'same identity after restart');
    await back;
    await revived.waitFor('peer:connect', (p) => p.nodeId === observer.nodeId);
  });

  it('removes a frozen process (SIGSTOP: socket open, no answers) by heartbeat', async function () {
    this.timeout(30_000);
    const observer = await res.node();
    const victim = await res.cliNode(['--data-dir', join(res.tmpDir(), 'v'), '--p2p-port', '0', '--api-port', '0', '--peer', observer.p2pAddress!, ...CHILD_HEARTBEAT]);
    const started = await victim.started;
    await until(() => observer.peers().some((p) => p.nodeId === started.nodeId && p.rttMs !== null), 'connected with an RTT');
    const dead = nextEvent(observer, 'peer:dead', (d) => d.nodeId === started.nodeId, 5_000);
    const frozenAt = Date.now();
    victim.child.kill('SIGSTOP');
    res.add(() => victim.child.kill('SIGCONT'));
    const d = await dead;
    const elapsed = Date.now() - frozenAt;
    assert.equal(d.reason, 'heartbeat-timeout');
    assert.ok(elapsed <= BOUND_MS + SLACK_MS, `removed ${elapsed} ms after freezing, bound ${BOUND_MS} ms`);
    assert.ok(d.silentForMs >= FAST.heartbeat!.timeoutMs!, `silent for ${d.silentForMs} ms`);
  });
});

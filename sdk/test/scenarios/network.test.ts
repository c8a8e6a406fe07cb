import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/index';
import type { ChatMessage } from '../../src/chat/index';
import type { DiscoveryServerStatus } from '../../src/discovery/index';
import type { GossipStats } from '../../src/gossip/index';
import type { PeerInfo } from '../../src/peers/index';
import type { KnownAddress } from '../../src/pex/index';
import { type CliNode, eventually, freePort, Resources } from '../helpers';

/**
 * The scenario issue 8's design comes from, with every part a real process: a discovery server
 * and five `plexus node` processes on 127.0.0.1, each with its own data folder, talking to each
 * other over WebSocket and to this test over their HTTP API. The steps run in order and share
 * the network; each `it` is one step of the story.
 */

// Timers shrunk through the CLI: a peer-exchange round every 300 ms, a heartbeat every 250 ms
// (a silent peer dropped within 250 + 1500 ms: a margin for six processes on two busy cores),
// the server's heartbeat every 200 ms.
const PEX_INTERVAL_MS = 300;
const NODE_TIMERS = ['--pex-interval', `${PEX_INTERVAL_MS}ms`, '--heartbeat-interval', '250ms', '--heartbeat-timeout', '1500ms'];
const SERVER_TIMERS = ['--heartbeat-interval', '200ms', '--expiry', '3s', '--check-interval', '200ms'];

interface Proc {
  name: string;
  node: CliNode;
  api: ApiClient;
  nodeId: string;
  p2p: string;
}

describe('network scenario (child processes): discovery server killed, a node joins through one peer, a node killed, a room message', function () {
  this.timeout(30_000);
  const res = new Resources();
  // One network for the whole story; every child is SIGKILLed here, whatever happened.
  after(() => res.release());

  let root: string;
  let discovery: CliNode;
  let discoveryAddress: string;
  const nodes: Proc[] = [];
  let alive: Proc[] = [];

  async function start(name: string, args: string[]): Promise<Proc> {
    const dir = join(root, name);
    const node = await res.cliNode(['--data-dir', dir, '--name', name, '--p2p-port', '0', '--api-port', '0', ...NODE_TIMERS, ...args]);
    const info = await node.started;
    return { name, node, api: await ApiClient.fromDataDir(dir), nodeId: info.nodeId, p2p: info.addresses.p2p };
  }

  const peersOf = async (p: Proc): Promise<PeerInfo[]> => (await p.api.get<{ peers: PeerInfo[] }>('/network/peers')).peers;
  const knownOf = async (p: Proc): Promise<KnownAddress[]> => (await p.api.get<{ entries: KnownAddress[] }>('/network/known')).entries;
  const serversOf = async (p: Proc): Promise<DiscoveryServerStatus[]> => (await p.api.get<{ servers: DiscoveryServerStatus[] }>('/discovery')).servers;
  /** True when `p` is connected to every other node of `group` (and to nothing else). */
  const meshed = async (p: Proc, group: Proc[]): Promise<boolean> => {
    const ids = new Set((await peersOf(p)).map((x) => x.nodeId));
    return ids.size === group.length - 1 && group.every((o) => o === p || ids.has(o.nodeId));
  };

  before(async () => {
    root = res.tmpDir('plexus-net-');
    discoveryAddress = `127.0.0.1:${await freePort()}`;
  });

  it('a discovery server and four nodes that register with it and connect to each other', async function () {
    this.timeout(60_000); // five processes starting on two cores
    discovery = await res.cliDiscovery(['--port', discoveryAddress.split(':')[1]!, '--data-dir', join(root, 'discovery'), ...SERVER_TIMERS]);
    for (const name of ['n1', 'n2', 'n3', 'n4']) nodes.push(await start(name, ['--discovery', discoveryAddress]));
    alive = [...nodes];
    const serverId = (discovery.events.find((e) => e.event === 'discovery:start')!.payload as { nodeId: string }).nodeId;
    for (const p of nodes) {
      // Generous: five processes start on two cores, and CI machines are busy.
      await discovery.waitFor('discovery:join', (j) => j.nodeId === p.nodeId && j.address === p.p2p, 30_000).catch((err: Error) => {
        throw new Error(`${err.message} of ${p.name} (${p.p2p}); the server saw: ${JSON.stringify(discovery.events.filter((e) => e.event.startsWith('discovery:')).map((e) => [e.event, e.payload]))}`);
      });
      const [server] = await eventually(async () => {
        const s = await serversOf(p);
        return s[0]?.state === 'registered' ? s : undefined;
      }, `${p.name} registered`);
      assert.equal(server!.address, discoveryAddress);
      assert.equal(server!.serverId, serverId, 'GET /discovery names the server it registered with');
    }
    await eventually(async () => ((await Promise.all(nodes.map((p) => meshed(p, nodes)))).every(Boolean) ? true : undefined), 'the four nodes connected to each other');
    // The server is never one of a node's peers, and each node learned the other three from it.
    for (const p of nodes) {
      assert.ok(!(await peersOf(p)).some((x) => x.nodeId === serverId), `${p.name} does not count the server as a peer`);
      const [server] = await serversOf(p);
      assert.equal(server!.known, 3, `${p.name} learned the 3 others from the server`);
    }
  });

  it('the discovery server is SIGKILLed: the nodes lose it and keep their peers', async () => {
    await discovery.kill('SIGKILL');
    for (const p of nodes) {
      await p.node.waitFor('discovery:disconnected', () => true, 5_000);
      assert.notEqual((await serversOf(p))[0]!.state, 'registered', `${p.name} knows the server is gone`);
    }
    for (const p of nodes) assert.ok(await meshed(p, nodes), `${p.name} still has its 3 peers`);
  });

  it('a fifth node that knows only one of them, and no discovery server, learns the network by peer exchange and every node knows every other', async () => {
    // n5 is told of n1 only, and dials n1 only (target 1): the other three can learn of n5 from
    // nothing but peer-exchange rounds (a GetAddr to a node that met n5), never from its Hello.
    const joiner = await start('n5', ['--peer', nodes[0]!.p2p, '--target-peers', '1']);
    const since = Date.now();
    nodes.push(joiner);
    alive = [...nodes];
    assert.deepEqual(await serversOf(joiner), [], 'n5 has no discovery server');
    const everyoneKnowsEveryone = async (): Promise<true | undefined> => {
      for (const p of nodes) {
        const known = new Map((await knownOf(p)).map((e) => [e.address, e]));
        if (!nodes.every((o) => o === p || known.has(o.p2p))) return undefined;
      }
      return true;
    };
    // The bound is generous for six processes on two cores; the figure is printed.
    const rounds = 20;
    await eventually(everyoneKnowsEveryone, `every node knows every other within ${rounds} peer-exchange rounds`, rounds * PEX_INTERVAL_MS);
    const elapsed = Date.now() - since;
    console.log(`      every node knew every other ${elapsed} ms (${(elapsed / PEX_INTERVAL_MS).toFixed(1)} rounds of ${PEX_INTERVAL_MS} ms) after n5 started`);
    // n5 heard of the three in Addr lists (n1's first: the only peer it had); they heard of n5 in
    // Addr lists too (n1's, or one that another of them passed on after meeting n5). `heard`
    // keeps the newest claim, so it may name a later sender.
    const heardOf = async (p: Proc, o: Proc): Promise<string | undefined> => (await knownOf(p)).find((k) => k.address === o.p2p)!.heard?.heardFrom;
    for (const o of nodes.slice(1, 4)) {
      const from = await heardOf(joiner, o);
      assert.ok(nodes.some((x) => x.nodeId === from), `n5 heard of ${o.name} in an Addr`);
    }
    for (const p of nodes.slice(1, 4)) {
      const from = await heardOf(p, joiner);
      assert.ok(nodes.some((x) => x !== joiner && x.nodeId === from), `${p.name} heard of n5 in an Addr`);
    }
    // Known, and reached: the others dial n5 (their target is 8), so it is connected to all four.
    await eventually(async () => ((await meshed(joiner, nodes)) ? true : undefined), 'n5 connected to the four', rounds * PEX_INTERVAL_MS);
    const n5Peers = await peersOf(joiner);
    assert.deepEqual(n5Peers.filter((x) => x.direction === 'outbound').map((x) => x.nodeId), [nodes[0]!.nodeId], 'n5 dialed n1 only');
    for (const p of nodes) {
      const known = await knownOf(p);
      for (const o of nodes) {
        if (o === p) continue;
        const e = known.find((k) => k.address === o.p2p)!;
        assert.equal(e.state, 'connected', `${p.name} sees ${o.name} (${o.p2p}) as ${e.state} after ${elapsed} ms`);
      }
      assert.ok(!known.some((k) => k.address === p.p2p), `${p.name} does not list itself`);
    }
  });

  it('a node SIGKILLed leaves the active peer list of every other node', async () => {
    const victim = nodes[3]!;
    const survivors = nodes.filter((p) => p !== victim);
    const marks = new Map(survivors.map((p) => [p, p.node.events.length]));
    await victim.node.kill('SIGKILL');
    alive = survivors;
    for (const p of survivors) {
      const gone = await p.node.waitFor('peer:disconnect', (d) => d.nodeId === victim.nodeId, 5_000, marks.get(p));
      assert.equal(gone.operator, false);
      assert.ok(!(await peersOf(p)).some((x) => x.nodeId === victim.nodeId), `${p.name} dropped ${victim.name}`);
      // Still known (it may come back), but no longer connected.
      const entry = (await knownOf(p)).find((k) => k.address === victim.p2p)!;
      assert.notEqual(entry.state, 'connected');
      assert.ok(await meshed(p, survivors), `${p.name} keeps the other survivors`);
    }
  });

  it('a node frozen with SIGSTOP is dropped by every other node through the heartbeat', async () => {
    const victim = nodes[2]!;
    const survivors = alive.filter((p) => p !== victim);
    for (const p of survivors) assert.ok((await peersOf(p)).some((x) => x.nodeId === victim.nodeId), `${p.name} is connected to ${victim.name}`);
    const marks = new Map(survivors.map((p) => [p, p.node.events.length]));
    victim.node.child.kill('SIGSTOP');
    alive = survivors;
    // Its sockets stay open: only the heartbeat (a Ping every 250 ms, 1500 ms for its Pong) tells.
    for (const p of survivors) {
      const dead = await p.node.waitFor('peer:dead', (d) => d.nodeId === victim.nodeId, 10_000, marks.get(p)).catch((err: Error) => {
        const seen = p.node.events.slice(marks.get(p)).filter((e) => e.payload.nodeId === victim.nodeId);
        throw new Error(`${p.name}: ${err.message}; its events about ${victim.name} since: ${JSON.stringify(seen)}`);
      });
      assert.equal(dead.reason, 'heartbeat-timeout');
      assert.ok(!(await peersOf(p)).some((x) => x.nodeId === victim.nodeId), `${p.name} dropped ${victim.name}`);
    }
    await victim.node.kill('SIGKILL');
  });

  it('a room message sent from the first node reaches the fifth exactly once', async () => {
    const [sender, , , , receiver] = nodes as [Proc, Proc, Proc, Proc, Proc];
    const before = await receiver.api.get<GossipStats>('/gossip');
    const mark = receiver.node.events.length;
    const text = `hello from ${sender.name} at ${Date.now()}`;
    const { message } = await sender.api.post<{ message: ChatMessage }>('/chat/messages', { room: 'general', text });
    assert.equal(message.author, sender.nodeId);
    const inHistory = async (p: Proc): Promise<ChatMessage[]> =>
      (await p.api.get<{ messages: ChatMessage[] }>('/chat/messages?room=general&limit=1000')).messages.filter((m) => m.id === message.id);
    for (const p of alive) if (p !== sender) await eventually(async () => ((await inHistory(p)).length ? true : undefined), `${p.name} has the message`);
    // Past Plumtree's lazy timer (500 ms): a late Graft or a second copy would show by now.
    await new Promise((r) => setTimeout(r, 1_500));
    const stored = await inHistory(receiver);
    assert.equal(stored.length, 1, 'once in n5 history');
    // As listed by the API: the signed message plus `seenBy` (how many of n5's peers hold it).
    const { seenBy, ...signed } = stored[0] as typeof message & { seenBy: number | null };
    assert.deepEqual(signed, { ...message }, 'n5 stored the message as signed by n1');
    assert.ok(seenBy === null || seenBy >= 1, `seenBy ${seenBy}`);
    const since = receiver.node.events.slice(mark);
    const chatEvents = since.filter((e) => e.event === 'chat:message' && e.payload.id === message.id);
    assert.equal(chatEvents.length, 1, 'one chat:message event on n5');
    assert.ok(alive.some((p) => p.nodeId === chatEvents[0]!.payload.from), 'it came from a peer');
    const gossipEvents = since.filter((e) => e.event === 'gossip:message' && e.payload.topic === 'chat');
    assert.equal(gossipEvents.length, 1, 'one gossip delivery of the chat topic on n5');
    const after = await receiver.api.get<GossipStats>('/gossip');
    assert.equal(after.delivered - before.delivered, 1, 'the gossip counters show one delivery');
    const copies = after.copiesReceived - before.copiesReceived;
    assert.ok(copies >= 1, `n5 received ${copies} copies`);
    assert.equal(after.duplicates - before.duplicates, copies - 1, `every copy after the first (${copies} in all) counted as a duplicate, not delivered`);
    for (const p of alive) if (p !== sender) assert.equal((await inHistory(p)).length, 1, `once in ${p.name} history`);
  });
});

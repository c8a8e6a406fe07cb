// Two Plexus nodes in one script, with the SDK alone (no CLI, no VS Code):
// start them, connect them, wait for a round-trip time, print what each sees, stop.
//
//   node examples/two-nodes.mjs
import { createNode } from '@plexus/sdk';

const alice = await createNode({ name: 'alice', dataDir: null, p2pPort: 0, heartbeat: { intervalMs: 200 } });
const bob = await createNode({ name: 'bob', dataDir: null, p2pPort: 0, heartbeat: { intervalMs: 200 } });
try {
  bob.on('peer:connect', (peer) => console.log(`bob   connected to ${peer.name} (${peer.nodeId.slice(0, 12)}) at ${peer.address}`));
  await bob.connect(alice.p2pAddress);
  // The first heartbeat gives the round-trip time.
  while (!alice.peers()[0]?.rttMs || !bob.peers()[0]?.rttMs) await new Promise((r) => setTimeout(r, 20));
  for (const node of [alice, bob]) {
    for (const peer of node.peers()) {
      console.log(`${node.info().name.padEnd(5)} sees ${peer.name} ${peer.direction}, rtt ${peer.rttMs.toFixed(2)} ms`);
    }
  }
} finally {
  await Promise.all([alice.stop(), bob.stop()]);
}

import type { Capability } from '../capability/index.js';
import { PeersRepository } from '../peers/index.js';
import { registerOutboxCommands } from './cli.js';
import { OUTBOX_MIGRATIONS } from './migrations.js';
import { Outbox, type OutboxEvents, type OutboxInit } from './outbox.js';
import { outboxRoutes } from './routes.js';

/**
 * The durable outbox, as a capability others depend on (`dependsOn: ['outbox']`, then
 * `ctx.use<Outbox>('outbox').register(kind, ...)`). `node.outbox` is the Outbox.
 */
export function outbox(init: OutboxInit = {}): Capability<'outbox', Outbox, OutboxEvents> {
  return {
    name: 'outbox',
    migrations: OUTBOX_MIGRATIONS,
    cli: registerOutboxCommands,
    create(ctx) {
      const box = new Outbox(
        { nodeId: ctx.identity.nodeId, peers: ctx.peers, peersRepo: new PeersRepository(ctx.store), store: ctx.store, events: ctx.events },
        init,
      );
      return {
        api: box,
        onPeerConnect: (peer) => box.onPeerConnect(peer),
        onPeerDisconnect: (gone) => box.onPeerDisconnect(gone),
        routes: outboxRoutes(box),
        start: () => box.start(),
        stop: () => box.stop(),
      };
    },
  };
}

import { type Capability, defineMessage } from '../capability/index.js';
import { Gossip, type GossipEvents, type GossipInit, type GossipStats, type MessageStats, type TopicHandler } from './gossip.js';
import { GOSSIP_SCHEMA, GRAFT_SCHEMA, type GossipBody, type GraftBody, IHAVE_SCHEMA, type IHaveBody, PRUNE_SCHEMA, type PruneBody } from './messages.js';

/** What `node.gossip` exposes (and what `ctx.use<GossipApi>('gossip')` gives a capability). */
export type GossipApi = Pick<Gossip, 'register' | 'publish' | 'stats' | 'message' | 'links' | 'mode' | 'fanout' | 'maxHops'>;

export type { TopicHandler, GossipStats, MessageStats };

/** The gossip capability: one message to every node (Plumtree, bounded fanout), for other capabilities. */
export function gossip(init: GossipInit = {}): Capability<'gossip', GossipApi, GossipEvents> {
  return {
    name: 'gossip',
    create(ctx) {
      const g = new Gossip({ peers: ctx.peers, events: ctx.events }, init);
      return {
        api: g,
        messages: [
          defineMessage<GossipBody>({ type: 'Gossip', kind: 'notice', schema: GOSSIP_SCHEMA, handle: (e, p) => g.onGossip(e, p) }),
          defineMessage<IHaveBody>({ type: 'IHave', kind: 'notice', schema: IHAVE_SCHEMA, handle: (e, p) => g.onIHave(e, p) }),
          defineMessage<GraftBody>({ type: 'Graft', kind: 'notice', schema: GRAFT_SCHEMA, handle: (e, p) => g.onGraft(e, p) }),
          defineMessage<PruneBody>({ type: 'Prune', kind: 'notice', schema: PRUNE_SCHEMA, handle: (e, p) => g.onPrune(e, p) }),
        ],
        onPeerConnect: (peer) => g.onPeerConnect(peer),
        onPeerDisconnect: (gone) => g.onPeerDisconnect(gone),
        routes: [
          { method: 'GET', path: '/gossip', handle: () => [200, { ...g.stats(), ...g.links() }] },
          {
            method: 'GET',
            path: '/gossip/messages/([0-9a-f]{64})',
            handle: (r) => {
              const m = g.message(r.params[0]!);
              return m ? [200, { message: m }] : [404, { error: { code: 'NOT_FOUND', message: 'no such message in the seen cache' } }];
            },
          },
        ],
        start: () => g.start(),
        stop: () => g.stop(),
      };
    },
  };
}

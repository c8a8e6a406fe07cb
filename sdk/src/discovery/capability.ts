import { type Capability, defineMessage } from '../capability/index.js';
import { BansRepository, PeersRepository } from '../peers/index.js';
import { DiscoveryClient, type DiscoveryApi, type DiscoveryEvents, type DiscoveryInit } from './client.js';
import {
  DISCOVERY_HEARTBEAT_ACK_SCHEMA,
  DISCOVERY_HEARTBEAT_SCHEMA,
  DISCOVERY_PEERS_SCHEMA,
  DISCOVERY_REGISTER_SCHEMA,
  DISCOVERY_REGISTERED_SCHEMA,
  DISCOVERY_UNREGISTER_SCHEMA,
  type DiscoveryEmptyBody,
  type DiscoveryPeersBody,
  type DiscoveryRegisteredBody,
  type DiscoveryRegisterBody,
} from './messages.js';
import { DiscoveryRegistry, type DiscoveryServerApi, type DiscoveryServerEvents, type DiscoveryServerInit } from './server.js';
import { discoveryRoutes } from './routes.js';

/**
 * The discovery client: node option `discovery` is the list of servers ("host:port"), or the
 * whole DiscoveryInit. Its messages are declared without handlers: they only ever arrive on
 * the client's own server connections, never from a peer (a peer that sends one gets
 * UNEXPECTED_MESSAGE).
 */
export function discovery(init: DiscoveryInit | string[] = {}): Capability<'discovery', DiscoveryApi, DiscoveryEvents> {
  const options: DiscoveryInit = Array.isArray(init) ? { servers: init } : init;
  return {
    name: 'discovery',
    create(ctx) {
      const client = new DiscoveryClient({ identity: ctx.identity, codec: ctx.codec, peers: ctx.peers, peersRepo: new PeersRepository(ctx.store), bansRepo: new BansRepository(ctx.store), events: ctx.events }, options);
      return {
        api: client,
        messages: [
          defineMessage<DiscoveryRegisterBody>({ type: 'DiscoveryRegister', kind: 'request', schema: DISCOVERY_REGISTER_SCHEMA }),
          defineMessage<DiscoveryRegisteredBody>({ type: 'DiscoveryRegistered', kind: 'reply', schema: DISCOVERY_REGISTERED_SCHEMA }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryHeartbeat', kind: 'request', schema: DISCOVERY_HEARTBEAT_SCHEMA }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryHeartbeatAck', kind: 'reply', schema: DISCOVERY_HEARTBEAT_ACK_SCHEMA }),
          defineMessage<DiscoveryPeersBody>({ type: 'DiscoveryPeers', kind: 'notice', schema: DISCOVERY_PEERS_SCHEMA }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryUnregister', kind: 'notice', schema: DISCOVERY_UNREGISTER_SCHEMA }),
        ],
        routes: discoveryRoutes(client),
        // Capabilities start before the node listens; a registration sent then would carry no
        // listen address (others could not dial us), so the client starts once the node is up.
        start: () => void ctx.events.on('node:start', startClient),
        stop: () => {
          ctx.events.off('node:start', startClient);
          return client.stop();
        },
      };
      function startClient(): void {
        ctx.events.off('node:start', startClient);
        client.start();
      }
    },
  };
}

/** The server side: a node built with this capability (see createDiscoveryServer) is a discovery server. */
export function discoveryServer(init: DiscoveryServerInit = {}): Capability<'discoveryServer', DiscoveryServerApi, DiscoveryServerEvents> {
  return {
    name: 'discoveryServer',
    create(ctx) {
      const registry = new DiscoveryRegistry({ peers: ctx.peers, events: ctx.events }, init);
      return {
        api: registry,
        messages: [
          defineMessage<DiscoveryRegisterBody>({ type: 'DiscoveryRegister', kind: 'request', schema: DISCOVERY_REGISTER_SCHEMA, handle: (e, p) => registry.register(e, p) }),
          defineMessage<DiscoveryRegisteredBody>({ type: 'DiscoveryRegistered', kind: 'reply', schema: DISCOVERY_REGISTERED_SCHEMA }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryHeartbeat', kind: 'request', schema: DISCOVERY_HEARTBEAT_SCHEMA, handle: (e, p) => registry.heartbeat(e, p) }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryHeartbeatAck', kind: 'reply', schema: DISCOVERY_HEARTBEAT_ACK_SCHEMA }),
          defineMessage<DiscoveryPeersBody>({ type: 'DiscoveryPeers', kind: 'notice', schema: DISCOVERY_PEERS_SCHEMA }),
          defineMessage<DiscoveryEmptyBody>({ type: 'DiscoveryUnregister', kind: 'notice', schema: DISCOVERY_UNREGISTER_SCHEMA, handle: (_e, p) => registry.unregister(p) }),
        ],
        onPeerConnect: (peer) => registry.onPeerConnect(peer),
        onPeerDisconnect: (gone) => registry.onPeerDisconnect(gone.nodeId),
        start: () => registry.start(),
        stop: () => registry.stop(),
      };
    },
  };
}

import { type Capability, defineMessage } from '../capability/index.js';
import { BansRepository, PeersRepository } from '../peers/index.js';
import { registerPexCommands } from './cli.js';
import { PEX_PENALTY } from './constants.js';
import { type ExchangeResult, type KnownAddress, PeerExchange, type PeerExchangeInit, type PexEvents } from './exchange.js';
import { ADDR_SCHEMA, type AddrBody, GETADDR_SCHEMA, type GetAddrBody } from './messages.js';
import { PEX_MIGRATIONS } from './migrations.js';
import { HeardRepository } from './repository.js';
import { pexRoutes } from './routes.js';

/** What `node.pex` exposes. */
export interface PexApi {
  readonly intervalMs: number;
  readonly targetPeers: number;
  readonly recentMs: number;
  /** Ask a peer (random when left out) for its addresses now; null when nothing was learned. */
  exchange(nodeId?: string): Promise<ExchangeResult | null>;
  /** The address book with each entry's state. */
  known(): KnownAddress[];
  /** Dial candidates now if below the connection target. */
  keepTarget(): void;
}

/** The peer-exchange capability: GetAddr/Addr, the known set, and a connection target. */
export function pex(init: PeerExchangeInit = {}): Capability<'pex', PexApi, PexEvents> {
  return {
    name: 'pex',
    migrations: PEX_MIGRATIONS,
    cli: registerPexCommands,
    create(ctx) {
      const exchange = new PeerExchange(
        {
          identity: ctx.identity,
          peers: ctx.peers,
          store: ctx.store,
          peersRepo: new PeersRepository(ctx.store),
          bansRepo: new BansRepository(ctx.store),
          heardRepo: new HeardRepository(ctx.store),
          events: ctx.events,
        },
        init,
      );
      return {
        api: exchange,
        messages: [
          defineMessage<GetAddrBody>({ type: 'GetAddr', kind: 'request', schema: GETADDR_SCHEMA, handle: (e, p) => exchange.onGetAddr(e, p) }),
          defineMessage<AddrBody>({ type: 'Addr', kind: 'reply', schema: ADDR_SCHEMA, penalty: PEX_PENALTY.ADDR_SCHEMA }),
        ],
        onPeerConnect: (peer) => exchange.onPeerConnect(peer),
        onPeerDisconnect: (gone) => exchange.onPeerDisconnect(gone),
        routes: pexRoutes(exchange),
        start: () => exchange.start(),
        stop: () => exchange.stop(),
      };
    },
  };
}

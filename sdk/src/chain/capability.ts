import { type Capability, defineMessage } from '../capability/index.js';
import type { ChainPort } from '../contracts/index.js';
import type { GossipApi } from '../gossip/index.js';
import { Chain, type ChainEvents, type ChainInit } from './chain.js';
import { registerChainCommands } from './cli.js';
import { BLOCKS_SCHEMA, GET_BLOCKS_SCHEMA, GET_HEADERS_SCHEMA, type GetBlocksBody, type GetHeadersBody, HEADERS_SCHEMA, TXS_SCHEMA, type TxsBody } from './messages.js';
import { CHAIN_MIGRATIONS } from './migrations.js';
import { chainRoutes } from './routes.js';

/** What `node.chain` exposes; it is also the ChainPort the contracts capability serves chain contracts through (checked here). */
export type ChainApi = Pick<
  Chain,
  'genesisHash' | 'mode' | 'head' | 'block' | 'account' | 'accounts' | 'stateRoot' | 'tx' | 'pending' | 'transfer' | 'deploy' | 'call' | 'view' | 'contract' | 'contracts' | 'waitForReceipt' | 'submit' | 'durable' | 'mine' | 'accept' | 'syncWith' | 'locator' | 'nextTarget' | 'sync'
> &
  ChainPort;

/** The chain capability: transactions, mempool, proof-of-work blocks, fork choice, sync and mining (docs/protocol.md §21). */
export function chain(init: ChainInit = {}): Capability<'chain', ChainApi, ChainEvents> {
  return {
    name: 'chain',
    dependsOn: ['gossip'],
    migrations: CHAIN_MIGRATIONS,
    cli: registerChainCommands,
    create(ctx) {
      const c = new Chain({ identity: ctx.identity, store: ctx.store, peers: ctx.peers, events: ctx.events, gossip: ctx.use<GossipApi>('gossip') }, init);
      return {
        api: c,
        messages: [
          defineMessage<GetHeadersBody>({ type: 'GetHeaders', kind: 'request', schema: GET_HEADERS_SCHEMA, handle: (e, p) => c.sync.onGetHeaders(e, p) }),
          defineMessage({ type: 'Headers', kind: 'reply', schema: HEADERS_SCHEMA }),
          defineMessage<GetBlocksBody>({ type: 'GetBlocks', kind: 'request', schema: GET_BLOCKS_SCHEMA, handle: (e, p) => c.sync.onGetBlocks(e, p) }),
          defineMessage({ type: 'Blocks', kind: 'reply', schema: BLOCKS_SCHEMA }),
          defineMessage<TxsBody>({ type: 'Txs', kind: 'notice', schema: TXS_SCHEMA, handle: (e, p) => c.onTxs(e, p) }),
        ],
        onPeerConnect: (peer) => c.onPeerConnect(peer),
        onPeerDisconnect: (gone) => c.onPeerDisconnect(gone),
        routes: chainRoutes(c),
        start: () => c.start(),
        stop: () => c.stop(),
      };
    },
  };
}

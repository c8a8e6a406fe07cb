import type { Capability } from '../capability/index.js';
import type { Outbox } from '../outbox/index.js';
import { MetaRepository } from '../store/index.js';
import { registerContractCommands } from './cli.js';
import { CONTRACT_MIGRATIONS } from './migrations.js';
import { ContractsRepository } from './repository.js';
import type { ChainPort } from './chain-port.js';
import { type ChainLookup, contractRoutes } from './routes.js';
import type { SandboxLimits } from './sandbox.js';
import { WatchedSandbox } from './watched-sandbox.js';
import { type ContractEvents, ContractService, type ContractServiceInit } from './service.js';
import { SyncCursorsRepository } from './sync-cursors.js';

/** Sandbox limits, sync paging and per-peer caps. */
export type ContractsInit = SandboxLimits & ContractServiceInit;

/** What `node.contracts` exposes. */
export type ContractsApi = Pick<ContractService, 'deploy' | 'call' | 'list' | 'get' | 'sync' | 'epoch'>;

/**
 * The contracts capability: deploy, call and replicate sandboxed JavaScript contracts
 * (`replicated` mode). Its HTTP routes also serve `chain` contracts when the node runs the
 * chain capability: new deploys go there by default then (docs/contracts.md).
 */
export function contracts(init: ContractsInit = {}): Capability<'contracts', ContractsApi, ContractEvents> {
  return {
    name: 'contracts',
    dependsOn: ['outbox'],
    migrations: CONTRACT_MIGRATIONS,
    cli: registerContractCommands,
    create(ctx) {
      const service = new ContractService(
        {
          identity: ctx.identity,
          peers: ctx.peers,
          store: ctx.store,
          contractsRepo: new ContractsRepository(ctx.store),
          syncCursorsRepo: new SyncCursorsRepository(ctx.store),
          metaRepo: new MetaRepository(ctx.store),
          outbox: ctx.use<Outbox>('outbox'),
          clock: ctx.clock,
          sandbox: new WatchedSandbox(init),
          events: ctx.events,
        },
        init,
      );
      // The chain is opt-in and may be created after this capability: look it up per request.
      const chainOf: ChainLookup = () => {
        try {
          return ctx.use<ChainPort>('chain');
        } catch {
          return null;
        }
      };
      return {
        api: service,
        messages: service.messages,
        onPeerConnect: (peer) => service.onPeerConnect(peer),
        routes: contractRoutes(service, chainOf),
        start: () => service.start(),
        stop: () => service.stop(),
      };
    },
  };
}

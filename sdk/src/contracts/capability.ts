import type { Capability } from '../capability/index.js';
import type { Outbox } from '../outbox/index.js';
import { MetaRepository } from '../store/index.js';
import { registerContractCommands } from './cli.js';
import { CONTRACT_MIGRATIONS } from './migrations.js';
import { ContractsRepository } from './repository.js';
import { contractRoutes } from './routes.js';
import { Sandbox, type SandboxLimits } from './sandbox.js';
import { type ContractEvents, ContractService, type ContractServiceInit } from './service.js';
import { SyncCursorsRepository } from './sync-cursors.js';

/** Sandbox limits, sync paging and per-peer caps. */
export type ContractsInit = SandboxLimits & ContractServiceInit;

/** What `node.contracts` exposes. */
export type ContractsApi = Pick<ContractService, 'deploy' | 'call' | 'list' | 'get' | 'sync' | 'epoch'>;

/** The contracts capability: deploy, call and replicate sandboxed JavaScript contracts. */
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
          sandbox: new Sandbox(init),
          events: ctx.events,
        },
        init,
      );
      return {
        api: service,
        messages: service.messages,
        onPeerConnect: (peer) => service.onPeerConnect(peer),
        routes: contractRoutes(service),
        start: () => service.start(),
        stop: () => service.stop(),
      };
    },
  };
}

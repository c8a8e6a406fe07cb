import type { Capability } from '../capability/index.js';
import { registerTransferCommands, registerTransferRemovalCommands } from './cli.js';
import { TRANSFER_MIGRATIONS } from './migrations.js';
import { TransfersRepository } from './repository.js';
import { transferRoutes } from './routes.js';
import { type TransferEvents, TransferService, type TransferInit } from './service.js';

/** What `node.files` exposes. */
export type FilesApi = Pick<TransferService, 'share' | 'shares' | 'unshare' | 'download' | 'downloads' | 'progress' | 'removeDownload'>;

/** The file transfer capability (`node.files`): share files, download them from every peer that has them. */
export function files(init: TransferInit = {}): Capability<'files', FilesApi, TransferEvents> {
  return {
    name: 'files',
    migrations: TRANSFER_MIGRATIONS,
    cli: (program) => {
      registerTransferCommands(program);
      registerTransferRemovalCommands(program);
    },
    create(ctx) {
      const service = new TransferService(
        { identity: ctx.identity, peers: ctx.peers, store: ctx.store, transfersRepo: new TransfersRepository(ctx.store), events: ctx.events },
        init,
      );
      return {
        api: service,
        messages: service.messages,
        binary: service.binary,
        onPeerConnect: (peer) => service.onPeerConnect(peer),
        onPeerDisconnect: (gone) => service.onPeerDisconnect(gone),
        routes: transferRoutes(service),
        start: () => service.start(),
        stop: () => service.stop(),
      };
    },
  };
}

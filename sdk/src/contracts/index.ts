/**
 * Contracts: JavaScript contracts run in a QuickJS sandbox, stored as signed records and
 * replicated between nodes with last-writer-wins on hybrid logical clock versions.
 *
 * Data flow: see ContractService. The format of a contract and the context its functions
 * receive are documented in docs/contracts.md; the messages in docs/protocol.md.
 */
export { ContractService, type ContractServiceComponents, type ContractServiceInit, type ContractEvents, type CallResult } from './service.js';
export { type ChainContractEvent, type ContractEventPayload, type ContractRemovedEvent, type ReplicatedContractEvent } from './events.js';
export { Sandbox, type SandboxLimits, type ContractContext, type CallOutput } from './sandbox.js';
export {
  type ContractRecord,
  type ContractSummary,
  verifyRecord,
  verifyRecordAsync,
  signRecord,
  compareRecords,
  contractAddress,
  sourceHashOf,
  stateHashOf,
  RECORD_PURPOSE,
} from './record.js';
export { ContractError, InvalidContractRecordError } from './errors.js';
export * from './constants.js';
export { MAX_CONTRACTS_PER_PEER, MAX_BYTES_PER_PEER, SYNC_PAGE_LIMIT, SYNC_PAGE_BYTES } from './service.js';
export { contracts, type ContractsInit, type ContractsApi } from './capability.js';
export { ContractsRepository, type OriginUsage } from './repository.js';
export { SyncCursorsRepository, type SyncCursor } from './sync-cursors.js';
export { CONTRACT_MIGRATIONS } from './migrations.js';
export { OUTBOX_KIND } from './service.js';
export type { ChainPort, OrderedContract, OrderedTx, Receipt, ViewResult } from './chain-port.js';
export { WatchedSandbox, ContractTooExpensiveError } from './watched-sandbox.js';

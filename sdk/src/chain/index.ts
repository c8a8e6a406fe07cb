/**
 * Chain: transactions signed by their sender, ordered in proof-of-work blocks that every node
 * re-executes (docs/protocol.md §21).
 *
 * Data flow: `transfer()`/`submit()` or gossip `chain-tx` -> verifyTx (form, chain, key,
 * signature) -> Mempool (nonce, funds, replacement, cap) -> gossip. Mining: Mempool.select ->
 * execute on the head state (state root) -> header -> MinerWorker (SHA-256 in a worker
 * thread) -> sign -> accept -> gossip `chain-block`. Inbound block (gossip or sync) ->
 * accept: size, PoW, parent, difficulty, time, signature, Merkle root, transactions -> stored
 * -> fork choice (most work, first seen) -> one store transaction disconnects (undo data) and
 * connects (execute, state root) -> events `chain:block`, `chain:reorg`, `tx:confirmed`.
 * Execution: transfers move coins; deploys and calls run in the contracts' QuickJS sandbox
 * (block time as the clock, gas and a 16 MiB heap as the limits) and their outcome is a
 * receipt; contract state is committed to by the state root and restored from undo data on a
 * reorg. Views run on the head state and write nothing.
 * Sync (sync.ts): on connect and on an unknown parent, GetHeaders (locator) -> Headers (<= 2,000)
 * -> the most-work branch -> GetBlocks (<= 8, <= 16 blocks in flight per peer, several peers,
 * a 1,024-block moving window) -> Blocks -> accept in height order.
 */
export { Chain, type ChainEvents, type ChainInit, type ChainComponents, type MiningMode, type TxStatus, type Receipt, type ViewResult } from './chain.js';
export { type ChainContract } from './repository.js';
export { chain, type ChainApi } from './capability.js';
export {
  ChainSync,
  type ChainSyncComponents,
  type ChainSyncInit,
  type SyncedChain,
  type SyncStatus,
  BLOCK_DOWNLOAD_WINDOW,
  MAX_BLOCKS_IN_FLIGHT_PER_PEER,
  BLOCK_STALLING_TIMEOUT_MS,
  BLOCK_STALLING_TIMEOUT_MAX_MS,
  STALLING_PENALTY,
} from './sync.js';
export {
  type AcceptResult,
  type Account,
  type Block,
  type BlockHeader,
  type ChainHead,
  type ContractEntry,
  ZERO_HASH,
  blockHash,
  blockSigningPayload,
  blockWork,
  decodeHeader,
  encodeHeader,
  genesisHeader,
  hex256,
  meetsTarget,
  merkleRoot,
  signBlock,
  stateRoot,
  verifyBlockSignature,
} from './block.js';
export { type Transaction, type UnsignedTx, signTx, txHash, txSigningPayload, txSize, verifyTx } from './tx.js';
export { Mempool, type MempoolInit, type PoolEntry, txCost } from './mempool.js';
export { MinerWorker } from './miner.js';
export { ChainRepository } from './repository.js';
export { CHAIN_MIGRATIONS } from './migrations.js';
export { BlockRejectedError, ChainNotFoundError, TxRejectedError } from './errors.js';
export * from './constants.js';
export type { BlockSummary } from './routes.js';

/**
 * Payloads of the `contract:*` events (docs/api.md §7.1, §6.41). Both modes emit `contract:new`
 * and `contract:update`: the replicated mode when a record is stored (a deploy or call here, or
 * a record from a peer), the chain mode when a block joins the main chain (a deploy or call in
 * it) or a reorg changes a contract's state; `contract:removed` only comes from the chain (a
 * reorg took the block that deployed it off the main chain). `mode` tells them apart: `chain`,
 * or absent for a replicated contract.
 */
import type { ContractSummary } from './record.js';

/** A replicated contract's event: its summary plus the peer the record came from (null: this node). */
export type ReplicatedContractEvent = ContractSummary & { mode?: undefined; from: string | null };

/**
 * A chain contract's event: the contract as GET /contracts lists it (no source, no state) after
 * `block`, the main-chain block at `blockHeight` that made the change, and `txs`, the hashes of
 * that block's transactions that changed it, in block order (its deploy, then calls). A reorg
 * that restored an earlier state emits `contract:update` with `reorg: true`, `txs: []` and the
 * new tip as `block`. `height` is the height of the block that deployed it; `from` the peer
 * the block came from (null: mined or given here).
 */
export interface ChainContractEvent {
  mode: 'chain';
  address: string;
  name: string;
  sourceHash: string;
  functions: string[];
  deployer: string;
  height: number;
  stateHash: string;
  block: string;
  blockHeight: number;
  txs: string[];
  reorg: boolean;
  from: string | null;
}

/** `contract:new` and `contract:update`, either mode. */
export type ContractEventPayload = ReplicatedContractEvent | ChainContractEvent;

/** `contract:removed`: a reorg took the deploy of the chain contract at `address` off the main chain; `block` is the new tip. */
export interface ContractRemovedEvent {
  mode: 'chain';
  address: string;
  name: string;
  block: string;
  blockHeight: number;
}

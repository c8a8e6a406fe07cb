import type { ContractRecord } from './record.js';

/**
 * What the contract routes and verbs need of the chain, to serve `chain` contracts beside
 * replicated ones (docs/contracts.md, "Two modes"). Declared here, by shape, because the chain
 * builds on this capability (it runs contracts in its sandbox): the chain capability's API
 * satisfies it (chain/capability.ts checks that at compile time), and this folder never imports
 * the chain.
 */

/**
 * What executing a chain transaction did (docs/protocol.md §21.14; docs/api.md §6.37).
 * `status` `failed`: the contract code failed (`error` says why) and left no change but the
 * fee and the nonce.
 */
export interface Receipt {
  status: 'ok' | 'failed';
  /** A call's return value, `init`'s for a deploy; null for a transfer or a failure. */
  result: unknown;
  /** Gas units the run used (0 for a transfer). */
  gasUsed: number;
  error: { code: string; message: string } | null;
  /** The address a deploy created, else null. */
  contract: string | null;
}

/** A contract call's outcome on the head state, not written anywhere (a view). */
export interface ViewResult {
  result: unknown;
  /** The state the call would leave (equal to the head's for a read-only function). */
  state: Record<string, unknown>;
  /** Whether the call would change the state. */
  changed: boolean;
  gasUsed: number;
}

/** A submitted chain transaction and where it stands (the chain's TxStatus, by shape). */
export interface OrderedTx {
  /** Transaction hash, 64 hex. */
  hash: string;
  status: 'pending' | 'confirmed';
  /** Present once confirmed: its block, height, index in the block, confirmations (1 = in the tip) and what executing it did. */
  receipt: ({ block: string; height: number; index: number; confirmations: number } & Receipt) | null;
}

/** A chain contract at the head state (the chain's ChainContract, by shape): a record's identity and state, without the replication fields, and the height of the block that deployed it. */
export type OrderedContract = Pick<ContractRecord, 'address' | 'name' | 'source' | 'sourceHash' | 'functions' | 'deployer' | 'state' | 'stateHash'> & { height: number };

/** The chain as the contracts capability uses it. Errors are the chain's (TxRejectedError codes, NOT_FOUND). */
export interface ChainPort {
  readonly genesisHash: string;
  deploy(name: string, source: string, args: unknown[], fee: number): OrderedTx;
  call(contract: string, method: string, args: unknown[], fee: number): OrderedTx;
  view(address: string, method: string, args?: unknown[]): ViewResult;
  contract(address: string): OrderedContract;
  contracts(): OrderedContract[];
  waitForReceipt(hash: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<OrderedTx>;
  /** Resolves once every transaction submitted so far is on disk. */
  durable(): Promise<void>;
}

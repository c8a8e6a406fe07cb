import { ApiError } from '../api/index.js';
import type { RouteDef } from '../capability/index.js';
import { PlexusError } from '../errors.js';
import type { ChainPort, OrderedContract, OrderedTx } from './chain-port.js';
import type { ContractService } from './service.js';

const ADDRESS = '([0-9a-f]{64})';
const U53 = { type: 'integer', minimum: 0, maximum: 9007199254740991 } as const;

/** A contract's mode (docs/contracts.md, "Two modes"). */
export type ContractMode = 'chain' | 'replicated';

/** The chain, when this node runs it (it is opt-in), else null. */
export type ChainLookup = () => ChainPort | null;

/** A chain contract as the contract routes show it: `mode` "chain" and the head state. */
export function chainContractView(c: OrderedContract, withSource = true): Record<string, unknown> {
  const { source, state, ...summary } = c;
  return withSource ? { mode: 'chain', ...summary, source, state } : { mode: 'chain', ...summary };
}

/** A chain refusal (TX_*, INVALID_TX, NOT_FOUND) as an API error; anything else as it is. */
function chainError(err: unknown): unknown {
  if (!(err instanceof PlexusError) || err instanceof ApiError) return err;
  if (err.code === 'NOT_FOUND') return new ApiError(404, 'CONTRACT_NOT_FOUND', err.message);
  if (err.code === 'TX_KNOWN') return new ApiError(409, err.code, err.message);
  if (err.code === 'TX_POOL_FULL') return new ApiError(503, err.code, err.message);
  if (err.code === 'INVALID_TX' || err.code.startsWith('TX_')) return new ApiError(400, err.code, err.message);
  return err;
}

/**
 * Wait for a submitted transaction's receipt unless `wait` is false; a timeout leaves it
 * pending (the caller gets 202 and the hash to ask again).
 */
async function settle(chain: NonNullable<ReturnType<ChainLookup>>, status: OrderedTx, wait: boolean, waitMs: number | undefined): Promise<OrderedTx> {
  // Acknowledged only once on disk: a restart puts it back into the mempool (protocol.md §21.10).
  await chain.durable();
  if (!wait) return status;
  try {
    return await chain.waitForReceipt(status.hash, { timeoutMs: waitMs });
  } catch (err) {
    if (err instanceof PlexusError && err.code === 'RECEIPT_TIMEOUT') return status;
    throw err;
  }
}

const CHAIN_OPTIONS = {
  fee: U53,
  wait: { type: 'boolean' },
  waitMs: { type: 'integer', minimum: 1, maximum: 600_000 },
} as const;

/**
 * The contract routes of the HTTP API (docs/api.md, "Contracts"). A new deploy goes to the
 * chain when this node runs it (`mode` "chain", the default then) and is replicated otherwise;
 * a call goes where its contract lives. Chain deploys and calls wait for their receipt unless
 * `wait` is false.
 */
export function contractRoutes(contracts: ContractService, chainOf: ChainLookup): RouteDef[] {
  const needChain = (): NonNullable<ReturnType<ChainLookup>> => {
    const chain = chainOf();
    if (!chain) throw new ApiError(400, 'CHAIN_NOT_RUNNING', 'this node does not run the chain (start it with plexus node --chain or --mine)');
    return chain;
  };
  return [
    {
      method: 'POST',
      path: '/contracts',
      body: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 64 },
          source: { type: 'string', minLength: 1, maxLength: 64 * 1024 },
          args: { type: 'array', maxItems: 64 },
          mode: { enum: ['chain', 'replicated'] },
          ...CHAIN_OPTIONS,
        },
        required: ['name', 'source'],
        additionalProperties: false,
      },
      handle: async (r) => {
        const b = r.body as { name: string; source: string; args?: unknown[]; mode?: ContractMode; fee?: number; wait?: boolean; waitMs?: number };
        const mode: ContractMode = b.mode ?? (chainOf() ? 'chain' : 'replicated');
        if (mode === 'replicated') {
          if (b.fee !== undefined || b.wait !== undefined || b.waitMs !== undefined) throw new ApiError(400, 'INVALID_BODY', 'fee, wait and waitMs are for chain deploys');
          return [201, { mode, contract: { mode, ...(await contracts.deploy(b)) } }];
        }
        const chain = needChain();
        let submitted: OrderedTx;
        try {
          submitted = chain.deploy(b.name.trim(), b.source, b.args ?? [], b.fee ?? 0);
        } catch (err) {
          throw chainError(err);
        }
        const tx = await settle(chain, submitted, b.wait ?? true, b.waitMs);
        const created = tx.receipt?.contract ?? null;
        // The contract exists once its deploy is in a block and init succeeded; a later reorg can still undo it.
        const contract = created ? chainContractView(chain.contract(created)) : null;
        return [tx.receipt ? (contract ? 201 : 200) : 202, { mode, address: submitted.hash, contract, tx }];
      },
    },
    {
      method: 'GET',
      path: '/contracts',
      handle: () => {
        const chain = chainOf();
        const replicated = contracts.list().map((c) => ({ mode: 'replicated', ...c }));
        return [200, { contracts: [...replicated, ...(chain ? chain.contracts().map((c) => chainContractView(c, false)) : [])] }];
      },
    },
    {
      method: 'GET',
      path: `/contracts/${ADDRESS}`,
      handle: (r) => {
        const address = r.params[0]!;
        const onChain = chainOf()?.contracts().find((c) => c.address === address);
        return [200, { contract: onChain ? chainContractView(onChain) : { mode: 'replicated', ...contracts.get(address) } }];
      },
    },
    {
      method: 'POST',
      path: `/contracts/${ADDRESS}/call`,
      body: {
        type: 'object',
        properties: {
          function: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' },
          args: { type: 'array', maxItems: 64 },
          ...CHAIN_OPTIONS,
        },
        required: ['function'],
        additionalProperties: false,
      },
      handle: async (r) => {
        const b = r.body as { function: string; args?: unknown[]; fee?: number; wait?: boolean; waitMs?: number };
        const address = r.params[0]!;
        const chain = chainOf();
        let onChain = false;
        try {
          onChain = chain !== null && chain.contract(address) !== undefined;
        } catch {
          onChain = false;
        }
        if (!onChain) {
          if (b.fee !== undefined || b.wait !== undefined || b.waitMs !== undefined) throw new ApiError(400, 'INVALID_BODY', 'fee, wait and waitMs are for chain contracts');
          return [200, { mode: 'replicated', ...(await contracts.call(address, b.function, b.args ?? [])) }];
        }
        // Run it on the head state first: a failure costs nothing, and a call that changes
        // nothing there is answered as a view, without a transaction.
        const view = chain!.view(address, b.function, b.args ?? []);
        if (!view.changed) return [200, { mode: 'chain', result: view.result, changed: false, gasUsed: view.gasUsed, error: null, tx: null }];
        let submitted: OrderedTx;
        try {
          submitted = chain!.call(address, b.function, b.args ?? [], b.fee ?? 0);
        } catch (err) {
          throw chainError(err);
        }
        const tx = await settle(chain!, submitted, b.wait ?? true, b.waitMs);
        const receipt = tx.receipt;
        if (!receipt) return [202, { mode: 'chain', result: null, changed: null, gasUsed: null, error: null, tx }];
        return [200, { mode: 'chain', result: receipt.result, changed: receipt.status === 'ok', gasUsed: receipt.gasUsed, error: receipt.error, tx }];
      },
    },
  ];
}

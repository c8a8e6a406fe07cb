import { ApiError } from '../api/index.js';
import type { RouteDef } from '../capability/index.js';
import { PlexusError } from '../errors.js';
import type { Chain } from './chain.js';
import type { Transaction } from './tx.js';

const HEX64 = '^[0-9a-f]{64}$';
const U53 = { type: 'integer', minimum: 0, maximum: 9007199254740991 } as const;

/** HTTP status of each chain error code (docs/api.md, "Chain"). */
const STATUS: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  TX_KNOWN: 409,
  TX_POOL_FULL: 503,
};

/** Run a handler; a chain error becomes an API error with its status (400 unless listed). */
function api<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PlexusError && !(err instanceof ApiError) && err.code !== 'ABORTED') throw new ApiError(STATUS[err.code] ?? 400, err.code, err.message);
    throw err;
  }
}

/** A main-chain block as GET /chain/blocks lists it (docs/api.md §6.34): `txs` is how many; times in ms since the epoch. */
export interface BlockSummary {
  hash: string;
  height: number;
  time: number;
  miner: string;
  txs: number;
  stateRoot: string;
}

/** A main-chain block as lists show it. */
function summary(chain: Chain, height: number): BlockSummary {
  const b = chain.block(height);
  return { hash: b.hash, height, time: b.block.header.time, miner: b.block.header.miner, txs: b.block.txs.length, stateRoot: b.block.header.stateRoot };
}

/** What a mempool row adds per kind (§6.38): a transfer's `to` and `amount`, a deploy's `name`, a call's `contract`, `method` and `args`. */
function poolFields(tx: Transaction): Record<string, unknown> {
  if (tx.kind === 'transfer') return { to: tx.to, amount: tx.amount };
  if (tx.kind === 'deploy') return { name: tx.name };
  return { contract: tx.contract, method: tx.method, args: tx.args };
}

/** The chain routes of the HTTP API (docs/api.md §6.33-6.41). */
export function chainRoutes(chain: Chain): RouteDef[] {
  return [
    { method: 'GET', path: '/chain/head', handle: () => [200, { head: chain.head(), genesis: chain.genesisHash, mode: chain.mode, mempool: chain.mempool.size }] },
    {
      method: 'GET',
      path: '/chain/blocks',
      handle: (r) => {
        const limitText = r.url.searchParams.get('limit');
        const limit = limitText === null ? 20 : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ApiError(400, 'INVALID_BODY', 'limit must be an integer 1..100');
        const tip = chain.head().height;
        const blocks = [];
        for (let h = tip; h >= 0 && blocks.length < limit; h--) blocks.push(summary(chain, h));
        return [200, { blocks }];
      },
    },
    {
      method: 'GET',
      path: '/chain/blocks/([0-9]{1,10}|[0-9a-f]{64})',
      handle: (r) => api(() => [200, chain.block(r.params[0]!.length === 64 ? r.params[0]! : Number(r.params[0]))]),
    },
    {
      method: 'POST',
      path: '/chain/txs',
      body: {
        oneOf: [
          {
            type: 'object',
            properties: { to: { type: 'string', pattern: HEX64 }, amount: U53, fee: U53, nonce: U53 },
            required: ['to', 'amount', 'fee'],
            additionalProperties: false,
          },
          { type: 'object', properties: { tx: { type: 'object' } }, required: ['tx'], additionalProperties: false },
        ],
      },
      handle: async (r) => {
        const b = r.body as { to?: string; amount?: number; fee?: number; nonce?: number; tx?: unknown };
        const answer = api(() => [202, b.tx !== undefined ? chain.submit(b.tx) : chain.transfer(b.to!, b.amount!, b.fee!, b.nonce)] as [number, unknown]);
        // Acknowledged only once on disk: a restart puts it back into the mempool.
        await chain.durable();
        return answer;
      },
    },
    { method: 'GET', path: '/chain/txs/([0-9a-f]{64})', handle: (r) => api(() => [200, chain.tx(r.params[0]!)]) },
    {
      method: 'GET',
      path: '/chain/mempool',
      handle: () => [
        200,
        { txs: chain.pending().map((e) => ({ hash: e.hash, kind: e.tx.kind, from: e.tx.from, nonce: e.tx.nonce, fee: e.tx.fee, size: e.size, feeRate: e.feeRate, addedAt: e.addedAt, ...poolFields(e.tx) })) },
      ],
    },
    { method: 'GET', path: '/chain/sync', handle: () => [200, chain.sync.status()] },
    { method: 'GET', path: '/chain/accounts', handle: () => [200, { stateRoot: chain.stateRoot(), accounts: chain.accounts() }] },
    { method: 'GET', path: '/chain/accounts/([0-9a-f]{64})', handle: (r) => [200, chain.account(r.params[0]!)] },
    {
      method: 'POST',
      path: '/chain/mine',
      body: { type: 'object', properties: {}, additionalProperties: false },
      handle: async () => {
        const block = await chain.mine();
        return [201, { hash: chain.head().hash, height: block.header.height, txs: block.txs.length }];
      },
    },
  ];
}

import type { Command } from 'commander';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { shortId, table } from '../terminal/format.js';
import type { TxStatus } from './chain.js';
import type { BlockSummary } from './routes.js';

const out = (text: string): void => void process.stdout.write(text + '\n');
const NODE_ID = /^[0-9a-f]{64}$/;
const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${v} is not a whole number 0..2^53-1`);
  return n;
};


/** `plexus blocks`, `plexus tx`, `plexus balance`, `plexus mine` (they talk to the running node's HTTP API, docs/api.md "Chain"). */
export function registerChainCommands(program: Command): void {
  withClientOptions(
    program
      .command('blocks')
      .option('--limit <n>', 'most blocks, newest first (1..100)', (v) => Number(v), 20)
      .description('list the newest blocks of the main chain'),
  ).action(async (opts: ClientOptions & { limit: number }) => {
    const { blocks } = await (await clientFor(opts)).get<{ blocks: BlockSummary[] }>(`/chain/blocks?limit=${opts.limit}`);
    if (opts.json) return out(JSON.stringify(blocks, null, 2));
    out(table(['HEIGHT', 'HASH', 'TIME', 'MINER', 'TXS'], blocks.map((b) => [String(b.height), b.hash.slice(0, 16), new Date(b.time).toISOString(), shortId(b.miner), String(b.txs)])));
  });

  withClientOptions(
    program
      .command('tx')
      .argument('[hash]', 'a transaction hash: show it and its receipt')
      .option('--to <node>', 'send a transfer to this node ID')
      .option('--amount <n>', 'coins to send (smallest unit)', count)
      .option('--fee <n>', 'fee for the miner (smallest unit)', count, 1)
      .description('send a coin transfer (--to, --amount) or show a transaction by hash')
      .addHelpText('after', '\nExamples:\n  plexus tx --to 3f2a...(64 hex) --amount 500 --fee 2\n  plexus tx 9b1c...(64 hex)'),
  ).action(async (hash: string | undefined, opts: ClientOptions & { to?: string; amount?: number; fee: number }) => {
    const client = await clientFor(opts);
    let t: TxStatus;
    if (hash !== undefined) {
      if (!NODE_ID.test(hash)) throw new Error('a transaction hash is 64 lowercase hex characters');
      t = await client.get<TxStatus>(`/chain/txs/${hash}`);
    } else {
      if (opts.to === undefined || opts.amount === undefined) throw new Error('give a hash, or --to NODE and --amount N');
      if (!NODE_ID.test(opts.to)) throw new Error('--to must be a node ID (64 lowercase hex characters)');
      t = await client.post<TxStatus>('/chain/txs', { to: opts.to, amount: opts.amount, fee: opts.fee });
    }
    if (opts.json) return out(JSON.stringify(t, null, 2));
    const r = t.receipt;
    out(`${t.hash} ${t.status}${r ? ` in block ${r.height} (${r.block.slice(0, 16)}), index ${r.index}, ${r.confirmations} confirmation(s)` : ''}`);
    // A deploy or call: what executing it did (docs/protocol.md §21.14).
    if (r && t.tx.kind !== 'transfer') {
      out(r.status === 'ok' ? `  ok, ${r.gasUsed} gas, result ${JSON.stringify(r.result)}${r.contract ? `, contract ${r.contract}` : ''}` : `  failed, ${r.gasUsed} gas: ${r.error?.code}: ${r.error?.message}`);
    }
  });

  withClientOptions(program.command('balance').argument('[node]', 'node ID (default: this node)').description("an account's balance and nonce")).action(
    async (node: string | undefined, opts: ClientOptions) => {
      const client = await clientFor(opts);
      const id = node ?? (await client.get<{ nodeId: string }>('/node')).nodeId;
      if (!NODE_ID.test(id)) throw new Error('a node ID is 64 lowercase hex characters');
      const a = await client.get<{ id: string; balance: number; nonce: number }>(`/chain/accounts/${id}`);
      if (opts.json) return out(JSON.stringify(a, null, 2));
      out(`${a.id} balance ${a.balance} nonce ${a.nonce}`);
    },
  );

  withClientOptions(program.command('mine').description('mine one block now with the best transactions of the mempool')).action(async (opts: ClientOptions) => {
    const r = await (await clientFor(opts)).post<{ hash: string; height: number; txs: number }>('/chain/mine', {});
    if (opts.json) return out(JSON.stringify(r, null, 2));
    out(`mined block ${r.height} ${r.hash} with ${r.txs} transaction(s)`);
  });
}

import { type Command, InvalidArgumentError } from 'commander';
import { promises as fs } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ApiClient } from '../api/index.js';
import { PlexusError } from '../errors.js';
import type { ContractRecord, ContractSummary } from './record.js';
import type { CallResult } from './service.js';
import type { ContractMode } from './routes.js';

/** POST /contracts's answer (docs/api.md). */
interface DeployAnswer {
  mode: ContractMode;
  address?: string;
  contract: (Record<string, unknown> & { name: string; address: string; functions: string[]; state: unknown }) | null;
  tx?: OrderedTx;
}

/** POST /contracts/{address}/call's answer: a replicated call's result, or a chain call's. */
type CallAnswer = ({ mode: 'replicated' } & CallResult) | { mode: 'chain'; result: unknown; changed: boolean | null; gasUsed: number | null; error: { code: string; message: string } | null; tx: OrderedTx | null };

function contractMode(text: string): ContractMode {
  if (text !== 'chain' && text !== 'replicated') throw new InvalidArgumentError('chain or replicated');
  return text;
}

function nonNegativeInteger(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('an integer 0..2^53-1');
  return n;
}
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { formatDuration, paint, shortId, table } from '../terminal/format.js';
import type { OrderedTx } from './chain-port.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** A JSON array for --args. */
function jsonArray(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new InvalidArgumentError('expected a JSON array, e.g. \'["Token", "TKN"]\'');
  return value;
}

/** A call argument: JSON when it parses (42, true, "x", {...}), otherwise the text itself. */
export function parseArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Full address from a unique prefix of at least 6 hex characters. */
async function resolveAddress(client: ApiClient, given: string): Promise<string> {
  if (/^[0-9a-f]{64}$/.test(given)) return given;
  if (!/^[0-9a-f]{6,63}$/.test(given)) throw new PlexusError('INVALID_ADDRESS', `"${given}" is not a contract address (64 hex characters, or a unique prefix of 6 or more)`);
  const { contracts } = await client.get<{ contracts: ContractSummary[] }>('/contracts');
  const hits = contracts.filter((c) => c.address.startsWith(given));
  if (hits.length === 1) return hits[0]!.address;
  throw new PlexusError('CONTRACT_NOT_FOUND', hits.length === 0 ? `no contract address starts with ${given}` : `${given} matches ${hits.length} contracts; give more characters`);
}

export function registerContractCommands(program: Command): void {
  withClientOptions(
    program
      .command('deploy')
      .argument('<file>', 'the contract source (a JavaScript module exporting functions)')
      .option('--args <json>', 'JSON array of arguments for the contract\'s init function', jsonArray)
      .option('--name <name>', 'contract name (default: the file name)')
      .option('--mode <mode>', 'chain (ordered in blocks; the default when the node runs the chain) or replicated (last-writer-wins)', contractMode)
      .option('--fee <n>', 'chain mode: the fee paid to the miner, in the smallest unit (default 0)', nonNegativeInteger)
      .option('--no-wait', 'chain mode: return the transaction hash without waiting for its block')
      .description('deploy a contract to the running node: on the chain when it runs one, else replicated to every peer'),
  ).action(async (file: string, opts: ClientOptions & { args?: unknown[]; name?: string; mode?: ContractMode; fee?: number; wait: boolean }) => {
    const source = await fs.readFile(file, 'utf8');
    const name = opts.name ?? basename(file, extname(file));
    const client = await clientFor(opts);
    const chainOnly = opts.mode === 'replicated' ? {} : { fee: opts.fee, wait: opts.wait === false ? false : undefined };
    const answer = await client.post<DeployAnswer>('/contracts', { name, source, args: opts.args, mode: opts.mode, ...chainOnly });
    // --json: a replicated deploy prints its record (as before modes); a chain deploy the whole answer (the contract is null until mined).
    if (opts.json) return out(JSON.stringify(answer.mode === 'chain' ? answer : answer.contract, null, 2));
    const contract = answer.contract;
    if (answer.mode === 'chain') {
      const tx = answer.tx!;
      if (!tx.receipt) {
        out(`deploy ${tx.hash} sent (pending: not in a block yet)`);
        out(paint.dim(`  address once mined: ${answer.address}; see it with: plexus tx ${tx.hash}`));
        return;
      }
      if (!contract) {
        process.exitCode = 1;
        return out(`deploy failed in block ${tx.receipt.height}: ${tx.receipt.error?.code}: ${tx.receipt.error?.message} (fee paid)`);
      }
      out(`deployed ${paint.bold(String(contract.name))} on the chain at ${String(contract.address)} (block ${tx.receipt.height}, ${tx.receipt.gasUsed} gas)`);
    } else {
      out(`deployed ${paint.bold(String(contract!.name))} at ${String(contract!.address)}`);
    }
    out(`  functions: ${(contract!.functions as string[]).join(', ')}`);
    out(`  state:     ${JSON.stringify(contract!.state)}`);
  });

  withClientOptions(
    program
      .command('call')
      .argument('<address>', 'contract address (or a unique prefix of 6+ characters)')
      .argument('<function>', 'exported function to call')
      .argument('[args...]', 'arguments; each is read as JSON when it parses (42, true, "x"), else as text')
      .option('--fee <n>', 'chain contracts: the fee paid to the miner, in the smallest unit (default 0)', nonNegativeInteger)
      .option('--no-wait', 'chain contracts: return the transaction hash without waiting for its block')
      .description('call a contract function: a chain contract\'s call is a transaction ordered in a block; a replicated one\'s change is broadcast to every peer'),
  ).action(async (address: string, fn: string, args: string[], opts: ClientOptions & { fee?: number; wait: boolean }) => {
    const client = await clientFor(opts);
    const full = await resolveAddress(client, address);
    const chainOnly = { fee: opts.fee, wait: opts.wait === false ? false : undefined };
    const result = await client.post<CallAnswer>(`/contracts/${full}/call`, { function: fn, args: args.map(parseArg), ...chainOnly }).catch(async (err: unknown) => {
      // A replicated contract takes no chain options: ask again without them.
      if (err instanceof PlexusError && err.code === 'INVALID_BODY' && (opts.fee !== undefined || opts.wait === false)) throw new PlexusError('INVALID_BODY', `${full.slice(0, 12)} is a replicated contract: --fee and --no-wait are for chain contracts`);
      throw err;
    });
    if (opts.json) return out(JSON.stringify(result, null, 2));
    if (result.mode === 'chain') {
      if (!result.tx) {
        out(JSON.stringify(result.result));
        return out(paint.dim(`read-only on the head state: no transaction, ${result.gasUsed} gas`));
      }
      const receipt = result.tx.receipt;
      if (!receipt) return out(`call ${result.tx.hash} sent (pending: not in a block yet; see it with: plexus tx ${result.tx.hash})`);
      if (receipt.status === 'failed') {
        process.exitCode = 1;
        return out(`call failed in block ${receipt.height}: ${receipt.error?.code}: ${receipt.error?.message} (fee paid, state unchanged, ${receipt.gasUsed} gas)`);
      }
      out(JSON.stringify(receipt.result));
      return out(paint.dim(`in block ${receipt.height} (${receipt.block.slice(0, 12)}), tx ${result.tx.hash.slice(0, 12)}, ${receipt.gasUsed} gas`));
    }
    out(JSON.stringify(result.result));
    out(
      paint.dim(
        result.changed
          ? `state changed: seq ${result.seq}, version ${result.version.time}.${result.version.counter}, ${result.gasUsed} gas`
          : `read-only: state unchanged, nothing broadcast, ${result.gasUsed} gas`,
      ),
    );
  });

  withClientOptions(program.command('contracts').description('list the contracts the running node knows')).action(async (opts: ClientOptions) => {
    const { contracts } = await (await clientFor(opts)).get<{ contracts: Array<ContractSummary & { mode?: ContractMode; height?: number }> }>('/contracts');
    if (opts.json) return out(JSON.stringify(contracts, null, 2));
    if (contracts.length === 0) return out(paint.dim('(no contracts; deploy one with: plexus deploy FILE)'));
    const now = Date.now();
    out(
      table(
        ['ADDRESS', 'NAME', 'MODE', 'SEQ', 'UPDATED', 'DEPLOYER', 'FUNCTIONS'],
        contracts.map((c) =>
          c.mode === 'chain'
            ? [shortId(c.address), c.name, 'chain', '-', `deployed in block ${c.height}`, shortId(c.deployer), c.functions.join(', ')]
            : [shortId(c.address), c.name, 'replicated', String(c.seq), `${formatDuration(Math.max(0, now - c.updatedAt))} ago`, shortId(c.deployer), c.functions.join(', ')],
        ),
      ),
    );
  });

  withClientOptions(
    program
      .command('contract')
      .argument('<address>', 'contract address (or a unique prefix of 6+ characters)')
      .option('--source', 'print the source code too')
      .description("show one contract's state and version"),
  ).action(async (address: string, opts: ClientOptions & { source?: boolean }) => {
    const client = await clientFor(opts);
    const { contract } = await client.get<{ contract: ContractRecord & { mode?: ContractMode; height?: number } }>(`/contracts/${await resolveAddress(client, address)}`);
    if (opts.json) return out(JSON.stringify(contract, null, 2));
    const rows: string[][] =
      contract.mode === 'chain'
        ? [
            ['address', contract.address],
            ['name', contract.name],
            ['mode', 'chain (ordered in blocks; state of the head)'],
            ['functions', contract.functions.join(', ')],
            ['deployer', contract.deployer],
            ['deployed in', `block ${contract.height}`],
            ['state hash', contract.stateHash],
          ]
        : [];
    if (rows.length > 0) {
      out(table(['FIELD', 'VALUE'], rows));
      out(`\n${paint.bold('state')}\n${JSON.stringify(contract.state, null, 2)}`);
      if (opts.source) out(`\n${paint.bold('source')}\n${contract.source}`);
      return;
    }
    out(
      table(
        ['FIELD', 'VALUE'],
        [
          ['address', contract.address],
          ['name', contract.name],
          ['functions', contract.functions.join(', ')],
          ['deployer', contract.deployer],
          ['seq', String(contract.seq)],
          ['version', `${contract.version.time}.${contract.version.counter} by ${shortId(contract.version.nodeId)}`],
          ['updated', new Date(contract.updatedAt).toISOString()],
          ['state hash', contract.stateHash],
        ],
      ),
    );
    out(`\n${paint.bold('state')}\n${JSON.stringify(contract.state, null, 2)}`);
    if (opts.source) out(`\n${paint.bold('source')}\n${contract.source}`);
  });

}

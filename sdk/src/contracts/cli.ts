import { type Command, InvalidArgumentError } from 'commander';
import { promises as fs } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ApiClient } from '../api/index.js';
import { PlexusError } from '../errors.js';
import type { ContractRecord, ContractSummary } from './record.js';
import type { CallResult } from './service.js';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { formatDuration, paint, shortId, table } from '../terminal/format.js';

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
      .description('deploy a contract to the running node; it reaches every peer'),
  ).action(async (file: string, opts: ClientOptions & { args?: unknown[]; name?: string }) => {
    const source = await fs.readFile(file, 'utf8');
    const name = opts.name ?? basename(file, extname(file));
    const client = await clientFor(opts);
    const { contract } = await client.post<{ contract: ContractRecord }>('/contracts', { name, source, args: opts.args });
    if (opts.json) return out(JSON.stringify(contract, null, 2));
    out(`deployed ${paint.bold(contract.name)} at ${contract.address}`);
    out(`  functions: ${contract.functions.join(', ')}`);
    out(`  state:     ${JSON.stringify(contract.state)}`);
  });

  withClientOptions(
    program
      .command('call')
      .argument('<address>', 'contract address (or a unique prefix of 6+ characters)')
      .argument('<function>', 'exported function to call')
      .argument('[args...]', 'arguments; each is read as JSON when it parses (42, true, "x"), else as text')
      .description('call a contract function; a call that changes state is broadcast to every peer'),
  ).action(async (address: string, fn: string, args: string[], opts: ClientOptions) => {
    const client = await clientFor(opts);
    const full = await resolveAddress(client, address);
    const result = await client.post<CallResult>(`/contracts/${full}/call`, { function: fn, args: args.map(parseArg) });
    if (opts.json) return out(JSON.stringify(result, null, 2));
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
    const { contracts } = await (await clientFor(opts)).get<{ contracts: ContractSummary[] }>('/contracts');
    if (opts.json) return out(JSON.stringify(contracts, null, 2));
    if (contracts.length === 0) return out(paint.dim('(no contracts; deploy one with: plexus deploy FILE)'));
    const now = Date.now();
    out(
      table(
        ['ADDRESS', 'NAME', 'SEQ', 'UPDATED', 'DEPLOYER', 'FUNCTIONS'],
        contracts.map((c) => [shortId(c.address), c.name, String(c.seq), `${formatDuration(Math.max(0, now - c.updatedAt))} ago`, shortId(c.deployer), c.functions.join(', ')]),
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
    const { contract } = await client.get<{ contract: ContractRecord }>(`/contracts/${await resolveAddress(client, address)}`);
    if (opts.json) return out(JSON.stringify(contract, null, 2));
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

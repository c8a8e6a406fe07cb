import { Command, CommanderError } from 'commander';
import { PlexusError } from '../errors.js';
import { SDK_VERSION } from '../version.js';
import { registerClientCommands } from './client-commands.js';
import { registerContractCommands } from '../contracts/cli.js';
import { registerPexCommands } from '../pex/cli.js';
import { registerChatCommands } from '../chat/cli.js';
import { registerOutboxCommands } from '../outbox/cli.js';
import { registerChainCommands } from '../chain/cli.js';
import { registerTransferCommands, registerTransferRemovalCommands } from '../transfer/cli.js';
import { registerDevnetCommand } from './devnet.js';
import { registerDiscoveryCommand } from './discovery-command.js';
import { paint } from '../terminal/format.js';
import { registerNodeCommand } from './node-command.js';

/** Build the `plexus` command line. Exposed for tests of the help text. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('plexus')
    .description('Plexus: a peer-to-peer node with contracts, chat and file sharing')
    .version(SDK_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Start here:
  plexus devnet                 a local network of 3 nodes, live (what npm start runs)
  plexus node --data-dir ./a    one node; talk to it with the commands below
  plexus peers --data-dir ./a   its peers and round-trip times
  plexus deploy examples/contracts/token.js --args '["Token","TKN"]' --data-dir ./a

Docs: docs/protocol.md (wire protocol), docs/api.md (HTTP API).`,
    );
  registerNodeCommand(program, setExitCode);
  registerClientCommands(program, setExitCode);
  registerContractCommands(program);
  registerOutboxCommands(program);
  registerPexCommands(program);
  registerChatCommands(program);
  registerChainCommands(program);
  registerTransferCommands(program);
  registerTransferRemovalCommands(program);
  registerDevnetCommand(program, setExitCode);
  registerDiscoveryCommand(program, setExitCode);
  return program;
}

/** Run the CLI with `argv` (without node and script). Resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof PlexusError) {
      process.stderr.write(`${paint.red('error')} ${err.code}: ${err.message}\n`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    process.stderr.write(`${paint.red('error')}${code ? ` ${code}` : ''}: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

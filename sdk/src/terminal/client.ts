import type { Command } from 'commander';
import { ApiClient } from '../api/index.js';
import { defaultDataDir } from './options.js';

export interface ClientOptions {
  dataDir: string;
  api?: string;
  token?: string;
  json?: boolean;
}

/** The API client for a verb: --api/--token (or PLEXUS_API_URL/PLEXUS_API_TOKEN), else found via --data-dir. */
export async function clientFor(opts: ClientOptions): Promise<ApiClient> {
  const url = opts.api ?? process.env.PLEXUS_API_URL;
  const token = opts.token ?? process.env.PLEXUS_API_TOKEN;
  if (url && token) return new ApiClient(url, token);
  return ApiClient.fromDataDir(opts.dataDir);
}

export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('-d, --data-dir <dir>', 'data folder of the running node to talk to', defaultDataDir())
    .option('--api <url>', 'API base URL instead of --data-dir (env PLEXUS_API_URL)')
    .option('--token <token>', 'API token with --api (env PLEXUS_API_TOKEN)')
    .option('--json', 'print the raw JSON answer');
}


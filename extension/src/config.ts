import * as vscode from 'vscode';

/** The `plexus.*` settings (package.json `contributes.configuration` describes each). */
export interface PlexusConfig {
  /** Port for peers; 0: the port of the previous run, else a free one. */
  p2pPort: number;
  /** Port of the node's HTTP API on 127.0.0.1; 0: the previous run's, else a free one. */
  apiPort: number;
  /** Bootstrap peers, HOST:PORT. */
  peers: string[];
  /** Discovery server as HOST:PORT (a `ws://` prefix is accepted), passed as `--discovery`; empty for none. */
  discoveryServer: string;
  name: string;
  autoStart: boolean;
  externalNode: { url: string; token: string; dataDir: string };
  /**
   * The chain for the node this window starts: `off` (no chain), `manual` (`--chain`, blocks
   * only from Mine Block), `automine` (`--mine automine`: a block as soon as there are
   * transactions) or `interval` (`--mine interval --block-time`). An attached node keeps its own.
   */
  chain: { mode: ChainMode; blockTimeSeconds: number };
  /**
   * Deploy Contract's mode: `auto` (on the chain when the node runs it, else replicated),
   * `chain` or `replicated`; `fee`: the fee of each chain deploy and call from this window.
   */
  contracts: { mode: ContractsMode; fee: number };
}

export type ContractsMode = 'auto' | 'chain' | 'replicated';

export type ChainMode = 'off' | 'manual' | 'automine' | 'interval';

export const CONFIG_SECTION = 'plexus';

export function readConfig(): PlexusConfig {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  return {
    p2pPort: c.get<number>('p2pPort', 0),
    apiPort: c.get<number>('apiPort', 0),
    peers: c.get<string[]>('peers', []),
    discoveryServer: c.get<string>('discoveryServer', ''),
    name: c.get<string>('name', ''),
    autoStart: c.get<boolean>('autoStart', true),
    externalNode: {
      url: c.get<string>('externalNode.url', ''),
      token: c.get<string>('externalNode.token', ''),
      dataDir: c.get<string>('externalNode.dataDir', ''),
    },
    chain: { mode: c.get<ChainMode>('chain.mode', 'automine'), blockTimeSeconds: c.get<number>('chain.blockTime', 10) },
    contracts: { mode: c.get<ContractsMode>('contracts.mode', 'auto'), fee: c.get<number>('contracts.fee', 0) },
  };
}

/** Settings whose change needs the node restarted (or re-attached). */
export const RESTART_SETTINGS = ['p2pPort', 'apiPort', 'peers', 'name', 'externalNode', 'chain'].map((k) => `${CONFIG_SECTION}.${k}`);

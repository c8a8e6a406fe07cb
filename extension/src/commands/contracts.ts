import { basename, extname } from 'node:path';
import * as vscode from 'vscode';
import type { CallResult, ChainCallResult, TxConfirmedEvent, TypedApiClient } from '@plexus/sdk';
import type { ChainModel } from '../chain/model';
import { readConfig } from '../config';
import type { ContractCalls } from '../contracts/calls';
import { contractUri } from '../documents/contract-document';
import type { Contract, NodeModel } from '../node/model';
import type { NodeSupervisor } from '../node/supervisor';
import type { ContractPanels } from '../panels/contract-panel';
import { formatValue, shortId } from '../views/format';
import type { FunctionItem } from '../views/function-item';
import { reportError, requireClient } from './report';
import { paramsOf } from '../contract-source';
import { confirmation } from './chain';

/** How long Deploy Contract waits for a block to include a chain deploy before saying it is still pending (ms). */
export const DEPLOY_WAIT_MS = 60_000;
/** How long a chain call from the palette waits to announce its confirmation (ms); the Calls group follows it longer. */
const CALL_NOTICE_MS = 10 * 60_000;

/** The deploy mode of `plexus.contracts.mode` (or `wanted`): `auto` is chain when the node runs it. */
export function deployMode(wanted: 'auto' | 'chain' | 'replicated', chainRunning: boolean | null): 'chain' | 'replicated' {
  return wanted === 'auto' ? (chainRunning ? 'chain' : 'replicated') : wanted;
}

/** A failed receipt as an error the explanations know (its code, e.g. CONTRACT_THREW). */
function receiptError(e: TxConfirmedEvent): Error & { code: string } {
  return Object.assign(new Error(e.error?.message ?? 'the transaction failed'), { code: e.error?.code ?? 'CONTRACT_FAILED' });
}

/** `fn(1, "a")` */
const callText = (name: string, fn: string, args: unknown[]): string => `${name}.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`;

/**
 * Deploy on the chain as Deploy Contract does: send the deploy transaction (pending at once),
 * then wait for its block through `tx:confirmed` (no polling), reporting each step in
 * `progress`. Resolves with the deployed contract, or null when no block included it within
 * DEPLOY_WAIT_MS (it stays pending). @throws the API's errors; the receipt's (CONTRACT_THREW, ...) when init failed
 */
export async function deployOnChain(
  client: TypedApiClient,
  chain: ChainModel,
  model: NodeModel,
  d: { name: string; source: string; args: unknown[]; fee: number },
  progress: (message: string) => void,
): Promise<{ contract: Contract; height: number } | { pending: string }> {
  progress('sending the deploy transaction…');
  const sent = await client.deployOnChain(d.name, d.source, d.args, { fee: d.fee, wait: false });
  progress(`transaction ${shortId(sent.address)} pending: waiting for a block…`);
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), DEPLOY_WAIT_MS)));
  const confirmed = await Promise.race([confirmation(chain, sent.address, stop.signal), waited]).finally(() => {
    clearTimeout(timer);
    stop.abort();
  });
  if (!confirmed) return { pending: sent.address };
  if (confirmed.status !== 'ok') throw receiptError(confirmed);
  progress(`in block ${confirmed.height}: reading the contract…`);
  await model.refreshContract(sent.address);
  const contract = model.contract(sent.address) ?? (await client.contract(sent.address));
  return { contract, height: confirmed.height };
}

/** Parse arguments typed as JSON: an array is the argument list, another value one argument, empty none. */
export function parseArgs(text: string): unknown[] {
  const t = text.trim();
  if (!t) return [];
  const value: unknown = JSON.parse(t);
  return Array.isArray(value) ? value : [value];
}

function validateArgs(text: string): string | undefined {
  try {
    parseArgs(text);
    return undefined;
  } catch (err) {
    return `Not JSON: ${(err as Error).message}. Write a JSON array, e.g. [10] or ["Plexus Token", "PLX"]`;
  }
}

async function askArgs(title: string, params: string): Promise<unknown[] | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt: params ? `Arguments (${params}) as a JSON array; empty for none` : 'Arguments as a JSON array; empty for none',
    placeHolder: params ? `[${params.replace(/\s*=\s*[^,]+/g, '').split(', ').map((p) => `<${p}>`).join(', ')}]` : '[]',
    ignoreFocusOut: true,
    validateInput: validateArgs,
  });
  return text === undefined ? undefined : parseArgs(text);
}

/** Deploy Contract, Call Contract Function, Open Contract, Open Contract Panel. */
export function registerContractCommands(supervisor: NodeSupervisor, model: NodeModel, panels: ContractPanels, chain: ChainModel, calls: ContractCalls): vscode.Disposable[] {
  const pickContract = async (title: string): Promise<Contract | undefined> => {
    const pick = await vscode.window.showQuickPick(
      model.contracts().map((r) => ({ label: r.name, description: `${r.mode ?? 'replicated'} · ${shortId(r.address)}`, detail: r.functions.filter((f) => f !== 'init').join(', '), record: r })),
      { title, placeHolder: model.contracts().length ? 'Contract' : 'No contract on this node yet: deploy one first' },
    );
    return pick?.record;
  };
  const recordOf = async (target: unknown, title: string): Promise<Contract | undefined> => {
    if (typeof target === 'string') return model.contract(target) ?? supervisor.client?.contract(target);
    const t = target as { record?: Contract } | undefined;
    if (t?.record) return model.contract(t.record.address) ?? t.record;
    return pickContract(title);
  };

  return [
    /**
     * Deploy the file `uri` (explorer or editor title) or the active editor's, on the chain or
     * replicated (`options.mode`, else the setting `plexus.contracts.mode`: `auto` is the chain
     * when the node runs it). `options.args` skips the arguments prompt (scripts, tests).
     * Resolves with the deployed contract (undefined when a chain deploy is still pending).
     */
    vscode.commands.registerCommand('plexus.deployContract', async (uri?: vscode.Uri, options?: { args?: unknown[]; name?: string; mode?: 'chain' | 'replicated' }): Promise<Contract | undefined> => {
      const client = requireClient(supervisor);
      if (!client) return;
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (!target) {
        void vscode.window.showWarningMessage('Open a contract (.js) in the editor, or right-click one in the Explorer, to deploy it.');
        return;
      }
      const doc = await vscode.workspace.openTextDocument(target);
      const source = doc.getText();
      const name = options?.name ?? basename(target.path, extname(target.path));
      let args = options?.args;
      if (!args && /export\s+(?:async\s+)?function\s+init\s*\(/.test(source)) {
        args = await askArgs(`Deploy ${name}: arguments of init`, paramsOf(source, 'init'));
        if (!args) return;
      }
      const config = readConfig().contracts;
      const mode = options?.mode ?? deployMode(config.mode, chain.enabled);
      const done = (record: Contract, how: string): Contract => {
        void vscode.window.showInformationMessage(`Deployed ${record.name} ${how} at ${record.address}`, 'Open Panel', 'Copy Address').then(async (choice) => {
          if (choice === 'Open Panel') await panels.open(record.address);
          if (choice === 'Copy Address') await vscode.env.clipboard.writeText(record.address);
        });
        return record;
      };
      try {
        if (mode === 'chain') {
          const out = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deploying ${name} on the chain` }, (progress) =>
            deployOnChain(client, chain, model, { name, source, args: args ?? [], fee: config.fee }, (message) => progress.report({ message })),
          );
          if ('pending' in out) {
            void vscode.window.showInformationMessage(`${name}: deploy transaction ${shortId(out.pending)} is still pending; the contract appears in the Contracts view when a block includes it (Mine Block, or a miner on the network).`);
            return undefined;
          }
          return done(out.contract, `on the chain in block ${out.height}`);
        }
        const record = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deploying ${name} (replicated)…` }, () => client.deploy(name, source, args, 'replicated'));
        await model.refreshContract(record.address);
        return done(model.contract(record.address) ?? { ...record, mode: 'replicated' }, '(replicated)');
      } catch (err) {
        void reportError(err, { contract: { name, source } });
      }
    }),
    /**
     * From a function row, or (address, fn, args) from scripts and tests, or pick both.
     * Resolves with the result: a replicated call's, or a chain call's (a view's result, or
     * the pending transaction, whose confirmation is announced when its `tx:confirmed` comes).
     */
    vscode.commands.registerCommand('plexus.callContractFunction', async (target?: FunctionItem | string, fnArg?: string, argsArg?: unknown[]): Promise<CallResult | ChainCallResult | undefined> => {
      const client = requireClient(supervisor);
      if (!client) return;
      const record = await recordOf(target, 'Call a function of which contract?');
      if (!record) return;
      const fn = (target as FunctionItem | undefined)?.fn ?? fnArg ?? (await vscode.window.showQuickPick(record.functions.filter((f) => f !== 'init'), { title: `Call which function of ${record.name}?` }));
      if (!fn) return;
      const args = argsArg ?? (await askArgs(`Call ${record.name}.${fn}`, paramsOf(record.source, fn)));
      if (!args) return;
      const text = callText(record.name, fn, args);
      try {
        if (record.mode === 'chain') {
          const res = await client.callOnChain(record.address, fn, args, { fee: readConfig().contracts.fee, wait: false });
          if (!res.tx) {
            void vscode.window.showInformationMessage(`${text} → ${formatValue(res.result)} · view, nothing changed`);
            return res;
          }
          const hash = res.tx.hash;
          calls.track(res.tx);
          void vscode.window.showInformationMessage(`${text}: transaction ${shortId(hash)} pending, waiting for a block`);
          void confirmation(chain, hash, AbortSignal.timeout(CALL_NOTICE_MS)).then((e) => {
            if (e.status === 'ok') void vscode.window.showInformationMessage(`${text} → ${formatValue(e.result)} · confirmed in block ${e.height} · gas ${e.gasUsed}`);
            else void reportError(receiptError(e), { contract: record, fn });
          });
          return res;
        }
        const result = await client.call(record.address, fn, args);
        if (result.mode === 'chain') return result;
        if (result.changed) await model.refreshContract(record.address);
        void vscode.window.showInformationMessage(`${text} → ${formatValue(result.result)}${result.changed ? ` · state changed (v${result.seq})` : ' · view, nothing changed'}`);
        return result;
      } catch (err) {
        void reportError(err, { contract: record, fn });
      }
    }),
    vscode.commands.registerCommand('plexus.openContract', async (target?: unknown) => {
      const record = await recordOf(target, 'Open which contract?');
      if (!record) return;
      const doc = await vscode.workspace.openTextDocument(contractUri(record));
      await vscode.languages.setTextDocumentLanguage(doc, 'json');
      return vscode.window.showTextDocument(doc, { preview: true });
    }),
    vscode.commands.registerCommand('plexus.openContractPanel', async (target?: unknown) => {
      const record = await recordOf(target, 'Open the panel of which contract?');
      if (record) await panels.open(record.address);
    }),
  ];
}

import * as vscode from 'vscode';
import { type ErrorContext, explain } from '../node/errors';
import type { NodeSupervisor } from '../node/supervisor';
import type { TypedApiClient } from '@plexus/sdk';

/** Show an error as words and buttons (see node/errors.ts); the button runs its command. */
export async function reportError(err: unknown, ctx: ErrorContext = {}): Promise<void> {
  const { message, actions } = explain(err, ctx);
  const choice = await vscode.window.showErrorMessage(message, ...actions.map((a) => a.title));
  const action = actions.find((a) => a.title === choice);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}

/** The running node's client, or an error message with a Start Node button (returns null). */
export function requireClient(supervisor: NodeSupervisor): TypedApiClient | null {
  const client = supervisor.client;
  if (client) return client;
  void reportError({ code: 'NODE_NOT_RUNNING', message: supervisor.state === 'starting' ? 'it is still starting' : `state: ${supervisor.state}` });
  return null;
}

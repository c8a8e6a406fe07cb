/**
 * The `plexus-contract:` scheme: a contract's whole record as read-only JSON,
 * `plexus-contract:/<address>/<name>.json`. The document changes when the contract does
 * (the model's onDidChangeContract), so an open editor shows the live state.
 */
import * as vscode from 'vscode';
import type { NodeModel } from '../node/model';

export const CONTRACT_SCHEME = 'plexus-contract';

export function contractUri(record: { address: string; name: string }): vscode.Uri {
  return vscode.Uri.from({ scheme: CONTRACT_SCHEME, path: `/${record.address}/${record.name}.json` });
}

export function addressOf(uri: vscode.Uri): string {
  return uri.path.split('/')[1] ?? '';
}

export class ContractDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.#onDidChange.event;
  readonly #subscription: vscode.Disposable;

  constructor(private readonly model: NodeModel) {
    this.#subscription = model.onDidChangeContract((address) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme === CONTRACT_SCHEME && (address === null || addressOf(doc.uri) === address)) this.#onDidChange.fire(doc.uri);
      }
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const record = this.model.contract(addressOf(uri));
    if (!record) return `// contract ${addressOf(uri)} is not known to this node (or the node is not running)\n`;
    return JSON.stringify(record, null, 2) + '\n';
  }

  dispose(): void {
    this.#subscription.dispose();
    this.#onDidChange.dispose();
  }
}

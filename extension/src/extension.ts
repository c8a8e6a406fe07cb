import * as vscode from 'vscode';
import { RESTART_SETTINGS, readConfig } from './config';
import { ChainModel } from './chain/model';
import { ChatModel } from './chat/model';
import { ContractCalls } from './contracts/calls';
import { registerChainCommands } from './commands/chain';
import { registerChatCommands } from './commands/chat';
import { registerContractCommands } from './commands/contracts';
import { registerFileCommands } from './commands/files';
import { registerNetworkCommands } from './commands/network';
import { registerNodeCommands } from './commands/node';
import { reportError } from './commands/report';
import { CONTRACT_SCHEME, ContractDocumentProvider } from './documents/contract-document';
import { NodeModel } from './node/model';
import { NodeSupervisor } from './node/supervisor';
import { CHAT_VIEW_ID, ChatView } from './panels/chat-view';
import { CONTRACT_PANEL_VIEW_TYPE, ContractPanels } from './panels/contract-panel';
import { NodeStatusBar } from './status-bar';
import { ChainTreeProvider } from './views/chain-tree';
import { ContractsTreeProvider } from './views/contracts-tree';
import { FilesTreeProvider } from './views/files-tree';
import { NetworkTreeProvider } from './views/network-tree';

/** What the extension exports to other extensions and to its integration tests. */
export interface PlexusExtensionApi {
  supervisor: NodeSupervisor;
  model: NodeModel;
  views: { network: NetworkTreeProvider; contracts: ContractsTreeProvider; files: FilesTreeProvider; chain: ChainTreeProvider };
  panels: ContractPanels;
  chat: { model: ChatModel; view: ChatView };
  chain: ChainModel;
  /** The calls of chain contracts (pending and confirmed) the Contracts view and the panels show. */
  calls: ContractCalls;
  /** Resolves once the node runs and the model holds its first snapshot (rejects if it failed to start). */
  ready: Promise<void>;
}

/**
 * Wires the extension: the supervised node process, the model fed by its events, the views,
 * the status bar, the contract documents and panels, and the commands. Only constructs and
 * registers disposables; each piece is in its own file.
 */
export function activate(context: vscode.ExtensionContext): PlexusExtensionApi {
  const output = vscode.window.createOutputChannel('Plexus');
  const supervisor = new NodeSupervisor(
    { output, config: readConfig },
    { cliPath: vscode.Uri.joinPath(context.extensionUri, 'extension', 'dist', 'node.js').fsPath, dataDir: context.globalStorageUri.fsPath },
  );
  const model = new NodeModel();
  const network = new NetworkTreeProvider(supervisor, model);
  const chainModel = new ChainModel();
  const calls = new ContractCalls(chainModel, model);
  const contracts = new ContractsTreeProvider(model, calls);
  const files = new FilesTreeProvider(model);
  const panels = new ContractPanels(context.extensionUri, supervisor, model, calls);
  const chat = new ChatModel();
  chat.setPeerNames((nodeId) => model.peers().find((p) => p.nodeId === nodeId)?.name ?? null);
  const chatView = new ChatView(context.extensionUri, supervisor, chat);
  const chain = new ChainTreeProvider(chainModel, model);
  const networkView = vscode.window.createTreeView('plexus.network', { treeDataProvider: network, showCollapseAll: true });
  context.subscriptions.push(
    output,
    // Disposed in reverse: the node is stopped after everything that uses it.
    supervisor,
    model,
    network,
    contracts,
    files,
    panels,
    chat,
    chatView,
    chainModel,
    calls,
    chain,
    networkView,
    vscode.window.createTreeView('plexus.contracts', { treeDataProvider: contracts, showCollapseAll: true }),
    vscode.window.createTreeView('plexus.files', { treeDataProvider: files }),
    vscode.window.createTreeView('plexus.chain', { treeDataProvider: chain }),
    // Round-trip times change without an event: read the peers again when the view is shown.
    networkView.onDidChangeVisibility((e) => e.visible && void model.refreshPeers().catch(() => undefined)),
    new NodeStatusBar(supervisor, model),
    vscode.workspace.registerTextDocumentContentProvider(CONTRACT_SCHEME, new ContractDocumentProvider(model)),
    // Panels open when the window reloads come back (the webview's state holds the address).
    vscode.window.registerWebviewPanelSerializer(CONTRACT_PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: { address?: string } | undefined) => panels.restore(panel, state?.address),
    }),
    ...registerNodeCommands(supervisor, model, output),
    ...registerNetworkCommands(supervisor, model),
    ...registerContractCommands(supervisor, model, panels, chainModel, calls),
    ...registerFileCommands(supervisor, model),
    ...registerChatCommands(supervisor, model, chat, chatView),
    ...registerChainCommands(chainModel, model),
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }),
    // Chat follows the node the model follows; its events come through the model's stream.
    model.onDidChangeNode(() => {
      const client = model.client;
      if (client && model.info) {
        if (chat.client !== client) void chat.load(client, model.info).catch(() => undefined);
      } else chat.clear();
    }),
    model.onDidReceiveChat((event) => chat.onEvent(event)),
    // The chain follows the node too: `plexus.chain` is on, off (the welcome view offers to
    // turn it on) or none (no node).
    model.onDidChangeNode(() => {
      const client = model.client;
      if (client && model.info) {
        if (chainModel.client !== client) void chainModel.load(client, model.info).catch(() => undefined);
      } else chainModel.clear();
    }),
    chainModel.onDidChange(() => void vscode.commands.executeCommand('setContext', 'plexus.chain', chainModel.enabled === null ? 'none' : chainModel.enabled ? 'on' : 'off')),
    model.onDidReceiveChain((event) => chainModel.onEvent(event.name, event.payload)),
    supervisor.onDidChangeState((state) => {
      void vscode.commands.executeCommand('setContext', 'plexus.nodeState', state);
      if (state === 'running' && supervisor.client) void model.connect(supervisor.client).catch(() => supervisor.connectionLost());
      else model.disconnect();
    }),
    model.onDidLoseConnection(() => supervisor.connectionLost()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s)) && supervisor.state !== 'stopped') {
        void vscode.window.showInformationMessage('Plexus settings changed: restart the node to apply them?', 'Restart Node').then((c) => c && supervisor.restart().catch((err) => reportError(err)));
      }
    }),
  );
  void vscode.commands.executeCommand('setContext', 'plexus.nodeState', 'stopped');
  const ready = readConfig().autoStart
    ? supervisor.start().then(
        async () => {
          if (supervisor.client && !model.connected) await model.connect(supervisor.client);
          else await new Promise<void>((resolve) => (model.info ? resolve() : model.onDidChangeNode(() => model.info && resolve())));
        },
        (err) => {
          void reportError(err);
          throw err;
        },
      )
    : Promise.reject(new Error('plexus.autoStart is off'));
  ready.catch(() => undefined);
  return { supervisor, model, views: { network, contracts, files, chain }, panels, chat: { model: chat, view: chatView }, chain: chainModel, calls, ready };
}

export function deactivate(): void {
  // The node process is stopped by the supervisor's disposable in context.subscriptions.
}

/**
 * The chat view: a webview view in the panel area (view `plexus.chat` in the container
 * `plexus-chat`). The host renders the HTML shell (webview-html.ts: strict CSP, fresh nonce,
 * webview/dist as the only resource root) and speaks webview/src/protocol.ts's ChatPanel*
 * messages: it waits for `ready`, answers select / more / send / join / leave, and pushes
 * `state` (the conversation list) and `history` (the selected conversation) whenever the chat
 * model changes, which happens on the node's events only. The view keeps its context when
 * hidden; the webview also saves the selected conversation and drafts in its state.
 *
 * Unread: the model counts what arrives outside the conversation on screen (the selected one,
 * while the view is visible); the total is the view's badge. VS Code creates the view's
 * webview only once the view is first shown, so the badge appears from then on.
 */
import * as vscode from 'vscode';
import type { ChatHostMessage, ConversationKey, ChatPanelPushes, ChatRenderedNotice, ChatReply, ChatRequest, ChatWebviewMessage } from '../../../webview/src/protocol';
import { type ChatModel, GENERAL, parseKey, roomKey } from '../chat/model';
import type { NodeSupervisor } from '../node/supervisor';
import { explain } from '../node/errors';
import { chatLabel } from '../views/format';
import { webviewHtml, webviewRoot } from './webview-html';

export const CHAT_VIEW_ID = 'plexus.chat';

/** What the webview last reported as rendered (for tests and diagnostics). */
export type ChatRendered = ChatRenderedNotice['args'];

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  #view: vscode.WebviewView | null = null;
  #viewSubscriptions: vscode.Disposable[] = [];
  readonly #subscriptions: vscode.Disposable[];
  #ready = false;
  #readyWaiters: Array<() => void> = [];
  #selected: ConversationKey | null = null;
  /** The conversation the webview showed before it was (re)created, from its saved state. */
  #saved: ConversationKey | null = null;
  #directMessagesContext: boolean | null = null;
  readonly #onDidRender = new vscode.EventEmitter<ChatRendered>();
  /** The webview rendered a history push: what it shows. */
  readonly onDidRender = this.#onDidRender.event;
  lastRendered: ChatRendered | null = null;
  /** How many times a webview of this view started (sent `ready`): 1 while it is kept alive. */
  starts = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly supervisor: NodeSupervisor,
    private readonly chat: ChatModel,
  ) {
    this.#subscriptions = [
      chat.onDidChange((key) => {
        if (key !== null) {
          if (key === this.#selected) this.#pushHistory();
          return;
        }
        this.#pushState();
        // The chat model (re)loaded after the webview was ready (the node started later, or was
        // restarted): pick the conversation to show, or read the shown one's history again.
        if (!this.#ready || !this.chat.connected) return;
        if (!this.#selected) {
          if (this.#listed(this.#saved ?? roomKey(GENERAL))) void this.#select(this.#saved ?? roomKey(GENERAL)).catch(() => undefined);
        } else if (!this.chat.history(this.#selected)) void this.chat.ensureHistory(this.#selected).catch(() => undefined);
      }),
      supervisor.onDidChangeState(() => this.#pushState()),
    ];
  }

  /** The number on the view's badge (unread messages), 0 when none is shown. */
  get badge(): number {
    return this.#view?.badge?.value ?? 0;
  }

  /** The conversation on screen (or last on screen), null before one was picked. */
  get selected(): ConversationKey | null {
    return this.#selected;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const s of this.#viewSubscriptions) s.dispose();
    this.#view = view;
    this.#ready = false;
    const root = webviewRoot(this.extensionUri);
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    this.#viewSubscriptions = [
      view.webview.onDidReceiveMessage((m: ChatWebviewMessage) => void this.#onMessage(m)),
      view.onDidChangeVisibility(() => this.#syncVisible()),
      view.onDidDispose(() => {
        if (this.#view !== view) return;
        this.#view = null;
        this.#ready = false;
        this.chat.setVisible(null);
      }),
    ];
    view.webview.html = webviewHtml(view.webview, root, 'chat-panel', 'Chat');
    this.#updateBadge();
  }

  /**
   * Show the view, with conversation `key` selected when given; resolves once its webview
   * runs and shows it. @throws ChatInputError for a key the model does not list
   */
  async show(key?: ConversationKey): Promise<void> {
    await this.chat.whenLoaded();
    if (key && !this.chat.has(key)) throw Object.assign(new Error(`no conversation ${key}`), { code: 'INVALID_CHAT_INPUT' });
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    await this.whenReady();
    if (key) await this.#select(key);
  }

  /** Resolves once the webview has sent `ready` (the view must be opened for that). */
  whenReady(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /**
   * Answer one request of the webview (webview/src/protocol.ts ChatPanelRequests). Public so
   * tests can make the same request the composer makes.
   */
  async request(req: ChatRequest): Promise<Omit<ChatReply, 'seq'>> {
    try {
      switch (req.command) {
        case 'ready': {
          this.#ready = true;
          this.starts += 1;
          this.#saved = req.args.saved;
          const key = this.#selected ?? req.args.saved;
          this.#pushState();
          try {
            if (this.chat.connected && this.#listed(roomKey(GENERAL))) await this.#select(key && this.#listed(key) ? key : roomKey(GENERAL));
          } finally {
            for (const w of this.#readyWaiters.splice(0)) w();
          }
          return { res: null };
        }
        case 'select':
          await this.#select(req.args.key);
          return { res: null };
        case 'more':
          return { res: { added: await this.chat.more(req.args.key) } };
        case 'send':
          return { res: { id: await this.chat.send(req.args.key, req.args.text) } };
        case 'join': {
          const key = await this.chat.join(req.args.room.trim());
          await this.#select(key);
          return { res: { key } };
        }
        case 'leave':
          await this.chat.leave(req.args.room);
          if (this.#selected === roomKey(req.args.room)) await this.#select(roomKey(GENERAL));
          return { res: null };
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERROR';
      return { err: { code, message: explain(err).message } };
    }
  }

  #listed(key: ConversationKey): boolean {
    try {
      return this.chat.has(key);
    } catch {
      return false;
    }
  }

  async #onMessage(message: ChatWebviewMessage): Promise<void> {
    if (message.command === 'rendered') {
      this.lastRendered = message.args;
      this.#onDidRender.fire(message.args);
      return;
    }
    const reply = await this.request(message);
    void this.#view?.webview.postMessage({ seq: message.req, ...reply } satisfies ChatReply);
  }

  async #select(key: ConversationKey): Promise<void> {
    parseKey(key);
    this.#selected = key;
    this.#syncVisible();
    this.#pushState();
    this.#pushHistory();
    await this.chat.ensureHistory(key);
  }

  #syncVisible(): void {
    this.chat.setVisible(this.#view?.visible && this.#selected ? this.#selected : null);
  }

  #post(message: ChatHostMessage): void {
    if (this.#view && this.#ready) void this.#view.webview.postMessage(message);
  }

  #pushState(): void {
    this.#updateBadge();
    const self = this.chat.self;
    const body: ChatPanelPushes['state'] = {
      nodeRunning: this.supervisor.state === 'running' && this.chat.connected,
      self: self ? chatLabel(self.name, self.nodeId) : null,
      directMessages: this.chat.directMessages,
      conversations: this.chat.connected ? this.chat.list() : [],
      selected: this.#selected,
    };
    if (this.#directMessagesContext !== this.chat.directMessages) {
      // Shows "Send Direct Message" in the palette and on the Network view's peers.
      this.#directMessagesContext = this.chat.directMessages;
      void vscode.commands.executeCommand('setContext', 'plexus.directMessages', this.chat.directMessages);
    }
    this.#post({ event: 'state', body });
  }

  #pushHistory(): void {
    const key = this.#selected;
    if (!key) return;
    const history = this.chat.history(key);
    if (history) this.#post({ event: 'history', body: { key, ...history } });
  }

  #updateBadge(): void {
    if (!this.#view) return;
    const n = this.chat.unreadTotal();
    this.#view.badge = n > 0 ? { value: n, tooltip: `${n} unread ${n === 1 ? 'message' : 'messages'}` } : undefined;
  }

  dispose(): void {
    for (const s of [...this.#subscriptions, ...this.#viewSubscriptions]) s.dispose();
    this.#onDidRender.dispose();
    this.#view = null;
  }
}

/**
 * The chat view (panel area): the conversation list (rooms with join / leave, direct
 * messages) on the left, the selected conversation's history on the right with a composer
 * under it (Enter sends, Shift+Enter starts a new line, 1 to 4 000 characters). Names read
 * `name (abcd1234)`: the node's chosen name and the start of its node ID. Direct messages this
 * node sent carry marks: ✓ sent, ✓✓ delivered, ✓✓ in the link colour once read.
 * Built with @vscode-elements/elements and VS Code's theme variables only.
 *
 * Talks to the host only through webview/src/protocol.ts: `ready` first, then select / more /
 * send / join / leave; the host pushes `state` and `history`. The selected conversation and
 * the drafts are kept in the webview state (vscode.setState), so they survive a reload.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { $, clock, custom, el } from '../dom';
import type { ChatConversation, ChatEntry, ConversationKey, ChatPanelPushes, ChatPanelRequests, ChatWebviewMessage } from '../protocol';
import { connectHost } from '../rpc';

/** Most code points in a message (docs/api.md §6.28). */
const MAX_TEXT = 4000;
/** Consecutive messages of one author closer than this share one header (ms). */
const GROUP_MS = 5 * 60_000;
/** Load the previous page when scrolled this close to the top (px). */
const LOAD_MORE_PX = 48;

interface Saved {
  selected: ConversationKey | null;
  drafts: Record<string, string>;
}

type TextArea = HTMLElement & { value: string; disabled: boolean; focus(): void };
type Button = HTMLElement & { disabled: boolean };

const { vscode, request } = connectHost<ChatPanelRequests, ChatPanelPushes>((push) => {
  if (push.event === 'state') renderState(push.body);
  else if (push.event === 'history') renderHistory(push.body);
});
const notify = (message: ChatWebviewMessage): void => vscode.postMessage(message);
const saved: Saved = { selected: null, drafts: {}, ...((vscode.getState() as Saved | undefined) ?? {}) };
const save = (): void => vscode.setState(saved);

let state: ChatPanelPushes['state'] | null = null;
let shownKey: ConversationKey | null = null;
let loadingMore = false;

// ---- the static frame -----------------------------------------------------------------------

const list = el('nav', { class: 'list', 'aria-label': 'Conversations' });
const title = el('h2', { class: 'title' });
const subtitle = el('span', { class: 'subtitle' });
const messages = el('div', { class: 'messages', id: 'messages', role: 'log', 'aria-live': 'polite' });
const composer = custom<TextArea>('vscode-textarea', { id: 'composer', rows: '2', resize: 'none', placeholder: 'Message', 'aria-label': 'Message' });
const counter = el('span', { class: 'counter' });
const sendButton = custom<Button>('vscode-button', { id: 'send', title: 'Send (Enter)' }, 'Send');
const notice = el('div', { class: 'notice', role: 'alert' });
const conversation = el(
  'section',
  { class: 'conversation' },
  el('header', {}, title, subtitle),
  messages,
  el('div', { class: 'composer' }, composer, el('div', { class: 'send' }, sendButton, counter)),
  notice,
);
const root = $('#root');
root.replaceChildren(el('div', { class: 'chat' }, list, conversation));

// ---- the conversation list ----------------------------------------------------------------

function row(c: ChatConversation): HTMLElement {
  const item = el('div', { class: `conv${c.key === state?.selected ? ' selected' : ''}${c.unread ? ' unread' : ''}`, 'data-key': c.key, role: 'button', tabindex: '0', title: c.preview || c.title });
  const name = el('span', { class: 'conv-title' }, c.kind === 'room' ? c.title.replace(/^#/, '') : c.title);
  item.append(el('span', { class: 'conv-icon', 'aria-hidden': 'true' }, c.kind === 'room' ? '#' : '@'), name);
  if (c.unread) item.append(custom('vscode-badge', { variant: 'counter', title: `${c.unread} unread` }, String(c.unread)));
  if (c.leavable) {
    const leave = el('button', { class: 'leave', title: `Leave ${c.title}`, 'aria-label': `Leave ${c.title}` }, '×');
    leave.addEventListener('click', (e) => {
      e.stopPropagation();
      void request('leave', { room: c.key.slice('room:'.length) }).catch(showError);
    });
    item.append(leave);
  }
  const pick = (): void => select(c.key);
  item.addEventListener('click', pick);
  item.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), pick()));
  return item;
}

function joinForm(): HTMLElement {
  const field = custom<HTMLElement & { value: string }>('vscode-textfield', { id: 'join-room', placeholder: 'Join a room…', 'aria-label': 'Room to join' });
  const join = async (): Promise<void> => {
    const room = field.value.trim().toLowerCase();
    if (!room) return;
    try {
      await request('join', { room });
      // The list was drawn again meanwhile: clear the field on screen now.
      const current = list.querySelector('#join-room') as (HTMLElement & { value: string }) | null;
      if (current) current.value = '';
      field.value = '';
    } catch (err) {
      showError(err);
    }
  };
  field.addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && void join());
  return el('div', { class: 'join' }, field);
}

function renderState(body: ChatPanelPushes['state']): void {
  state = body;
  const rooms = body.conversations.filter((c) => c.kind === 'room');
  const dms = body.conversations.filter((c) => c.kind === 'dm');
  const children: Array<Node> = [el('div', { class: 'heading' }, 'Rooms'), ...rooms.map(row), joinForm()];
  if (body.directMessages) {
    children.push(el('div', { class: 'heading' }, 'Direct messages'), ...dms.map(row));
    if (dms.length === 0) children.push(el('p', { class: 'hint' }, 'Write to a peer: "Send Direct Message" on it in the Network view.'));
  }
  if (body.self) children.push(el('p', { class: 'self', title: 'This node, as others see it' }, `you: ${body.self}`));
  // Keep what is typed in the join field across re-renders.
  const typed = (list.querySelector('#join-room') as (HTMLElement & { value: string }) | null)?.value ?? '';
  list.replaceChildren(...children);
  if (typed) (list.querySelector('#join-room') as HTMLElement & { value: string }).value = typed;

  const running = body.nodeRunning;
  composer.disabled = !running;
  if (!running) {
    title.textContent = 'Chat';
    subtitle.textContent = '';
    messages.replaceChildren(el('p', { class: 'empty' }, 'The Plexus node is not running. Start it with "Plexus: Start Node".'));
    shownKey = null;
    updateSend();
    return;
  }
  const selected = body.conversations.find((c) => c.key === body.selected);
  if (selected) {
    title.textContent = selected.title;
    subtitle.textContent = selected.kind === 'room' ? 'room · every node in it reads along' : 'direct message · only the two of you';
  }
  if (body.selected && body.selected !== shownKey) {
    // Chosen by the host (a peer's "Send Direct Message", a join): show it as loading.
    switchTo(body.selected);
  }
  updateSend();
}

function select(key: ConversationKey): void {
  if (state) {
    state.selected = key;
    renderState(state);
  }
  void request('select', { key }).catch(showError);
}

function switchTo(key: ConversationKey): void {
  if (shownKey) saved.drafts[shownKey] = composer.value;
  shownKey = key;
  saved.selected = key;
  save();
  composer.value = saved.drafts[key] ?? '';
  messages.replaceChildren(el('p', { class: 'empty' }, 'Loading…'));
  notice.textContent = '';
  updateSend();
  composer.focus();
}

// ---- the history --------------------------------------------------------------------------

function marks(e: ChatEntry): HTMLElement | null {
  if (!e.marks) return null;
  const { sent, delivered, read } = e.marks;
  const parts = [sent ? `sent ${clock(sent)}` : 'sending…', delivered ? `delivered ${clock(delivered)}` : null, read ? `read ${clock(read)}` : null].filter(Boolean);
  const [symbol, cls] = read ? ['✓✓', 'read'] : delivered ? ['✓✓', 'delivered'] : sent ? ['✓', 'sent'] : ['…', 'pending'];
  return el('span', { class: `marks ${cls}`, title: parts.join(' · '), 'aria-label': parts.join(', '), 'data-mark': cls }, symbol);
}

/** A stable colour per node (one of the theme's chart colours), so authors are told apart at a glance. */
function authorColour(nodeId: string): string {
  // Not blue (this node's own colour, the link colour) and not red (reads as an error).
  const colours = ['charts-green', 'charts-orange', 'charts-purple', 'terminal-ansiCyan', 'terminal-ansiMagenta'];
  return `var(--vscode-${colours[parseInt(nodeId.slice(0, 6), 16) % colours.length]})`;
}

function message(e: ChatEntry, grouped: boolean): HTMLElement {
  const item = el('div', { class: `msg${e.own ? ' own' : ''}${grouped ? ' grouped' : ''}`, 'data-id': e.id });
  if (!grouped) {
    const author = el('span', { class: 'author', title: e.author }, e.label);
    if (!e.own) author.style.color = authorColour(e.author);
    item.append(el('div', { class: 'meta' }, author, el('span', { class: 'time', title: new Date(e.time).toISOString() }, clock(e.time))));
  }
  const body = el('div', { class: 'text' }, e.text);
  const m = marks(e);
  if (m) body.append(m);
  item.append(body);
  return item;
}

function renderHistory(body: ChatPanelPushes['history']): void {
  if (body.key !== shownKey) {
    if (body.key !== state?.selected) return;
    switchTo(body.key);
  }
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 24;
  const fromBottom = messages.scrollHeight - messages.scrollTop;
  const children: Node[] = [];
  if (body.hasMore) {
    const more = custom<Button>('vscode-button', { secondary: '', class: 'more', id: 'load-more' }, 'Load earlier messages');
    more.addEventListener('click', () => void loadMore());
    children.push(more);
  }
  if (body.entries.length === 0) children.push(el('p', { class: 'empty' }, body.key.startsWith('room:') ? 'No message in this room yet. Say hello!' : 'No message yet: write the first one.'));
  let prev: ChatEntry | null = null;
  for (const e of body.entries) {
    const grouped = prev !== null && prev.author === e.author && e.time - prev.time < GROUP_MS && e.time >= prev.time;
    children.push(message(e, grouped));
    prev = e;
  }
  messages.replaceChildren(...children);
  // Stay at the bottom when there already, else keep what is on screen where it was
  // (older messages were added above it, or newer ones below).
  messages.scrollTop = atBottom ? messages.scrollHeight : messages.scrollHeight - fromBottom;
  notify({ req: -1, command: 'rendered', args: { key: body.key, ids: body.entries.map((e) => e.id), texts: body.entries.map((e) => e.text) } });
}

async function loadMore(): Promise<void> {
  if (loadingMore || !shownKey) return;
  loadingMore = true;
  try {
    await request('more', { key: shownKey });
  } catch (err) {
    showError(err);
  } finally {
    loadingMore = false;
  }
}

messages.addEventListener('scroll', () => {
  if (messages.scrollTop < LOAD_MORE_PX && messages.querySelector('#load-more')) void loadMore();
});

// ---- the composer -------------------------------------------------------------------------

const codePoints = (s: string): number => [...s].length;

function updateSend(): void {
  const n = codePoints(composer.value);
  const ok = n > 0 && n <= MAX_TEXT && composer.value.trim() !== '' && !!shownKey && !!state?.nodeRunning;
  sendButton.disabled = !ok;
  counter.textContent = n > MAX_TEXT - 500 ? `${n} / ${MAX_TEXT}` : '';
  counter.classList.toggle('over', n > MAX_TEXT);
}

async function send(): Promise<void> {
  const key = shownKey;
  const text = composer.value;
  const n = codePoints(text);
  if (!key || text.trim() === '') return;
  if (n > MAX_TEXT) {
    notice.textContent = `A message is at most ${MAX_TEXT} characters; this one has ${n}.`;
    return;
  }
  composer.value = '';
  saved.drafts[key] = '';
  save();
  updateSend();
  try {
    await request('send', { key, text });
    notice.textContent = '';
  } catch (err) {
    // Give the text back, unless something else was typed meanwhile.
    if (shownKey === key && composer.value === '') composer.value = text;
    updateSend();
    showError(err);
  }
}

composer.addEventListener('keydown', (e) => {
  const k = e as KeyboardEvent;
  if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
    k.preventDefault();
    void send();
  }
});
composer.addEventListener('input', () => {
  if (shownKey) saved.drafts[shownKey] = composer.value;
  save();
  updateSend();
});
sendButton.addEventListener('click', () => void send());

function showError(err: unknown): void {
  const e = err as { message?: string; code?: string };
  notice.textContent = e.message ?? String(err);
  notice.title = e.code ?? '';
}

void request('ready', { saved: saved.selected });

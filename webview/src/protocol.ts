/**
 * The message protocol between the extension host and its webviews: the ONE file both sides
 * import (extension/src/panels/*.ts and webview/src/*). Types only, so it adds nothing to
 * either bundle.
 *
 *   webview -> host  Request   { req, command, args }   (req counts up per webview)
 *   host -> webview  Reply     { seq, err?, res? }      (seq = the request's req)
 *   host -> webview  Push      { event, body }          (state the host sends by itself)
 *
 * The webview sends `{ req: 0, command: 'ready' }` once its script runs; the host posts
 * nothing before that (messages posted earlier would be lost). Two webviews speak it: the
 * contract panel (ContractPanel*) and the chat view (ChatPanel*).
 */

/** A table of requests: command name -> its arguments and its result. */
export type RequestTable<T> = { [K in keyof T]: { args: unknown; res: unknown } };

/** A request of table `T`, discriminated on `command`. */
export type RequestOf<T extends RequestTable<T>> = { [K in keyof T & string]: { req: number; command: K; args: T[K]['args'] } }[keyof T & string];

/** Error of a failed request: the SDK code and a sentence (with the line for CONTRACT_THREW). */
export interface ReplyError {
  code: string;
  message: string;
}

/** The answer to request `seq`: `res` on success, else `err`. */
export interface ReplyOf<T extends RequestTable<T>, K extends keyof T = keyof T> {
  seq: number;
  err?: ReplyError;
  res?: T[K]['res'];
}

/** A push of table `P` (event name -> body), discriminated on `event`. */
export type PushOf<P> = { [K in keyof P & string]: { event: K; body: P[K] } }[keyof P & string];

// ---------------------------------------------------------------------------------------------
// The contract panel

/**
 * A contract as the panel shows it (the record without signature fields). `mode` `chain`: its
 * calls are transactions (docs/contracts.md, "Two modes"); `seq`, `version`, `updatedAt` and
 * `updatedBy` are then null and `deployBlock`, `lastBlock` say where it stands.
 */
export interface PanelContract {
  mode: 'chain' | 'replicated';
  address: string;
  name: string;
  /** Callable functions (init left out) with their parameters from the source, e.g. "by = 1". */
  functions: Array<{ name: string; params: string }>;
  state: Record<string, unknown>;
  seq: number | null;
  version: { time: number; counter: number; nodeId: string } | null;
  updatedAt: number | null;
  deployer: string;
  /** The deployer as `this node`, a peer's name, or a short node ID. */
  deployedBy: string;
  /** Short name of the node that made the version, if it is this node or a known peer. */
  updatedBy: string | null;
  /** Chain: height of the block that deployed it, and of the last change this window saw. */
  deployBlock: number | null;
  lastBlock: number | null;
}

/** A call of a chain contract: pending, or confirmed with its receipt. */
export interface PanelCall {
  /** Transaction hash. */
  hash: string;
  method: string;
  args: unknown[];
  /** `this node`, a peer's name or a short node ID. */
  by: string;
  fee: number;
  /** Sent from this window. */
  own: boolean;
  status: 'pending' | 'confirmed';
  /** Confirmed: block height, `ok` or `failed`, the result, gas units and the error of a failed call. */
  height: number | null;
  outcome: 'ok' | 'failed' | null;
  result: unknown;
  gasUsed: number | null;
  error: { code: string; message: string } | null;
}

/**
 * The answer to `call`: a replicated call's (`changed`, the new `seq`), a chain view's (`tx`
 * null, `changed` false), or a chain transaction's: `tx` the pending transaction, the other
 * members null until it is confirmed (the Calls list and the form's outcome follow it).
 */
export interface PanelCallResult {
  result: unknown;
  changed: boolean | null;
  seq: number | null;
  gasUsed: number | null;
  tx: { hash: string } | null;
}

export interface PanelVersion {
  seq: number;
  updatedAt: number;
  by: string;
  stateHash: string;
  state: Record<string, unknown>;
}

/** Requests the contract panel sends, with their arguments and results. */
export interface ContractPanelRequests {
  ready: { args: undefined; res: null };
  call: { args: { fn: string; args: unknown[] }; res: PanelCallResult };
  openRecord: { args: undefined; res: null };
}

export type RequestName = keyof ContractPanelRequests;

export type Request = RequestOf<ContractPanelRequests>;

export type Reply<K extends RequestName = RequestName> = ReplyOf<ContractPanelRequests, K>;

/** Pushes from the host to the contract panel. */
export interface ContractPanelPushes {
  /** The contract changed (or this is the first render): record, history (replicated), calls (chain, pending first) and node state. */
  contract: { contract: PanelContract | null; history: PanelVersion[]; calls: PanelCall[]; nodeRunning: boolean };
}

export type Push = PushOf<ContractPanelPushes>;

/** Every message the host posts to the contract panel. */
export type HostMessage = Reply | Push;

/** After it rendered a contract push, the webview reports what it shows (the host records it for tests). */
export interface RenderedNotice {
  req: -1;
  command: 'rendered';
  args: { address: string; seq: number | null; stateText: string; mode: 'chain' | 'replicated'; calls: Array<{ hash: string; status: 'pending' | 'confirmed'; text: string }> };
}

export type WebviewMessage = Request | RenderedNotice;

// ---------------------------------------------------------------------------------------------
// The chat view (docs/api.md §6.25-§6.29 and the direct-message routes)

/**
 * A conversation's key: `room:NAME` for a room, `dm:NODEID` (64 hex) for the direct messages
 * with one node.
 */
export type ConversationKey = `room:${string}` | `dm:${string}`;

/** Marks of a direct message this node sent: when each happened (ms since the epoch), or null. */
export interface ChatMarks {
  sent: number | null;
  delivered: number | null;
  read: number | null;
}

/** One message as the chat view shows it. */
export interface ChatEntry {
  id: string;
  /** Node ID of the author (64 hex). */
  author: string;
  /** `name (abcd1234)`: the author's display name and the first 8 hex characters of its node ID; `abcd1234` alone without a name. A label, never an identity. */
  label: string;
  text: string;
  /** When it was written (ms since the epoch): the sender's clock for a direct message, the Lamport timestamp (wall clock based) for a room message. */
  time: number;
  /** Written by this node. */
  own: boolean;
  /** Sent / delivered / read marks: only on direct messages this node sent, else null. */
  marks: ChatMarks | null;
}

/** A row of the conversation list. */
export interface ChatConversation {
  key: ConversationKey;
  kind: 'room' | 'dm';
  /** `#general`, or the peer as `name (abcd1234)`. */
  title: string;
  /** The last message, one line (empty when none is known). */
  preview: string;
  /** Time of the last message (ms), or null. */
  lastTime: number | null;
  /** Messages from others not seen yet. */
  unread: number;
  /** Rooms only: false for `general`, which cannot be left. */
  leavable: boolean;
}

/** Requests the chat view sends, with their arguments and results. */
export interface ChatPanelRequests {
  /** The webview runs; `saved`: the conversation it showed before (its saved state), if any. */
  ready: { args: { saved: ConversationKey | null }; res: null };
  /** Show this conversation (the host pushes its history, and marks it read). */
  select: { args: { key: ConversationKey }; res: null };
  /** Load the page of messages before the oldest shown; res: how many were added. */
  more: { args: { key: ConversationKey }; res: { added: number } };
  /** Send `text` (1 to 4 000 code points) to the conversation. */
  send: { args: { key: ConversationKey; text: string }; res: { id: string } };
  /** Join a room (name: `^[a-z0-9][a-z0-9_-]{0,63}$`); res: its key, which the host selects. */
  join: { args: { room: string }; res: { key: ConversationKey } };
  leave: { args: { room: string }; res: null };
}

export type ChatRequestName = keyof ChatPanelRequests;
export type ChatRequest = RequestOf<ChatPanelRequests>;
export type ChatReply<K extends ChatRequestName = ChatRequestName> = ReplyOf<ChatPanelRequests, K>;

/** Pushes from the host to the chat view. */
export interface ChatPanelPushes {
  /** The conversation list and what the host knows about the node. */
  state: {
    nodeRunning: boolean;
    /** This node as `name (abcd1234)`, or null while no node runs. */
    self: string | null;
    /** Whether the node serves direct messages (GET /chat/conversations answers). */
    directMessages: boolean;
    conversations: ChatConversation[];
    /** The conversation shown, or null. */
    selected: ConversationKey | null;
  };
  /** The messages of the selected conversation that are loaded, oldest first. */
  history: { key: ConversationKey; entries: ChatEntry[]; hasMore: boolean };
}

export type ChatPush = PushOf<ChatPanelPushes>;
export type ChatHostMessage = ChatReply | ChatPush;

/** After it rendered a history push, the chat view reports what it shows (the host records it for tests). */
export interface ChatRenderedNotice {
  req: -1;
  command: 'rendered';
  args: { key: ConversationKey; ids: string[]; texts: string[] };
}

export type ChatWebviewMessage = ChatRequest | ChatRenderedNotice;

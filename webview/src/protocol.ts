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
 * nothing before that (messages posted earlier would be lost).
 */

/** A contract as the panel shows it (the record without signature fields). */
export interface PanelContract {
  address: string;
  name: string;
  /** Callable functions (init left out) with their parameters from the source, e.g. "by = 1". */
  functions: Array<{ name: string; params: string }>;
  state: Record<string, unknown>;
  seq: number;
  version: { time: number; counter: number; nodeId: string };
  updatedAt: number;
  deployer: string;
  /** Short name of the node that made the version, if it is this node or a known peer. */
  updatedBy: string;
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
  call: { args: { fn: string; args: unknown[] }; res: { result: unknown; changed: boolean; seq: number; gasUsed: number } };
  openRecord: { args: undefined; res: null };
}

export type RequestName = keyof ContractPanelRequests;

export type Request = { [K in RequestName]: { req: number; command: K; args: ContractPanelRequests[K]['args'] } }[RequestName];

/** Error of a failed request: the SDK code and a sentence (with the line for CONTRACT_THREW). */
export interface ReplyError {
  code: string;
  message: string;
}

export interface Reply<K extends RequestName = RequestName> {
  seq: number;
  err?: ReplyError;
  res?: ContractPanelRequests[K]['res'];
}

/** Pushes from the host to the contract panel. */
export interface ContractPanelPushes {
  /** The contract changed (or this is the first render): record, history and node state. */
  contract: { contract: PanelContract | null; history: PanelVersion[]; nodeRunning: boolean };
}

export type Push = { [K in keyof ContractPanelPushes]: { event: K; body: ContractPanelPushes[K] } }[keyof ContractPanelPushes];

/** Every message the host posts. */
export type HostMessage = Reply | Push;

/** After it rendered a contract push, the webview reports what it shows (the host records it for tests). */
export interface RenderedNotice {
  req: -1;
  command: 'rendered';
  args: { address: string; seq: number; stateText: string };
}

export type WebviewMessage = Request | RenderedNotice;

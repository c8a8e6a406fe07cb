/**
 * The webview side of webview/src/protocol.ts: `request()` posts `{ req, command, args }` and
 * resolves with the reply's `res` (rejects with its `err`); `onMessage()` routes replies to
 * their requests and pushes to `onPush`. One per webview.
 */
import type { PushOf, ReplyError, ReplyOf, RequestOf, RequestTable } from './protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface Rpc<T extends RequestTable<T>, P> {
  vscode: VsCodeApi;
  request<K extends keyof T & string>(command: K, args: T[K]['args']): Promise<T[K]['res']>;
}

export function connectHost<T extends RequestTable<T>, P>(onPush: (push: PushOf<P>) => void): Rpc<T, P> {
  const vscode = acquireVsCodeApi();
  let nextReq = 0;
  const pending = new Map<number, { resolve: (res: unknown) => void; reject: (err: ReplyError) => void }>();
  window.addEventListener('message', (event: MessageEvent<ReplyOf<T> | PushOf<P>>) => {
    const msg = event.data;
    if ('seq' in msg) {
      const p = pending.get(msg.seq);
      if (!p) return;
      pending.delete(msg.seq);
      if (msg.err) p.reject(msg.err);
      else p.resolve(msg.res);
      return;
    }
    onPush(msg);
  });
  return {
    vscode,
    request(command, args) {
      const req = nextReq++;
      return new Promise((resolve, reject) => {
        pending.set(req, { resolve: resolve as (res: unknown) => void, reject });
        vscode.postMessage({ req, command, args } as RequestOf<T>);
      });
    },
  };
}

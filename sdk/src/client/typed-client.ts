/**
 * A typed view of the node API (docs/api.md) over {@link ApiClient}: one method per route,
 * each returning the documented shape, and the event stream with its payloads typed by name.
 * Used by the VS Code extension; scripts may use it too. Errors are ApiClient's
 * (`ApiClientError` with the API's stable `code`, `NODE_UNREACHABLE` when the node cannot be
 * reached).
 *
 * Types come from the package root, not from the capability folders, so this file does not
 * depend on how the SDK is laid out inside.
 */
import { ApiClient, type NodeInfo } from '../api/index.js';
import type { ChainContract, Receipt, TxStatus } from '../chain/index.js';
import type { ChatKey, ChatMarkEvent, ChatMessage, ChatMessageEvent, ChatRoom, ChatSyncEvent, Conversation, DirectMessage } from '../chat/index.js';
import type { CallResult, ContractEventPayload, ContractRecord, ContractRemovedEvent, ContractSummary } from '../contracts/index.js';
import type { BanRecord, PeerInfo, PeerRecord } from '../peers/index.js';
import type { KnownAddress } from '../pex/index.js';
import type { DownloadProgress, ShareInfo } from '../transfer/index.js';

/** `contract:new` and `contract:update` payloads, either mode (contracts/events.ts). */
export type { ContractEventPayload };

/** A chain contract as the contract routes show it (docs/api.md §6.12a): the head state. */
export type ChainContractView = ChainContract & { mode: 'chain' };
/** A replicated contract's record with its `mode` (docs/api.md §6.11). */
export type ReplicatedContractView = ContractRecord & { mode: 'replicated' };
/** What GET /contracts/{address} answers: either mode. */
export type ContractView = ReplicatedContractView | ChainContractView;
/** A chain contract as GET /contracts lists it (no source, no state). */
export type ChainContractSummary = Omit<ChainContractView, 'source' | 'state'>;

/**
 * A call of a chain contract (docs/api.md §6.12a): a view (`tx` null, `changed` false), or a
 * transaction: confirmed (`result`, `changed`, `gasUsed`, `error` from its receipt) or pending
 * (those null, `tx.status` `pending`).
 */
export interface ChainCallResult {
  mode: 'chain';
  result: unknown;
  changed: boolean | null;
  gasUsed: number | null;
  error: { code: string; message: string } | null;
  tx: TxStatus | null;
}

/** A chain deploy (docs/api.md §6.12a): `contract` once its block created it, else null (pending, or init failed: `tx.receipt.error`). */
export interface ChainDeployResult {
  mode: 'chain';
  address: string;
  contract: ChainContractView | null;
  tx: TxStatus;
}

/** `tx:confirmed` (docs/api.md §6.41): where the transaction is, and its receipt. */
export type TxConfirmedEvent = { hash: string; block: string; height: number; index: number } & Receipt;

/** Event names of `GET /api/v1/events` and their payloads (docs/api.md §7.1). */
export interface ApiEventMap {
  'peer:connect': PeerInfo;
  'peer:disconnect': { nodeId: string; address: string; code: number; reason: string };
  'peer:dead': { nodeId: string; address: string; reason: string; silentForMs: number };
  'peer:dial-failed': { address: string; code: string; message: string; failures: number; retryInMs: number | null };
  'peer:penalty': { nodeId: string; code: string; message: string; points: number; score: number };
  'peer:ban': { nodeId: string; until: number; reason: string };
  'peer:unban': { nodeId: string };
  warning: { code: string; message: string; nodeId?: string };
  'contract:new': ContractEventPayload;
  'contract:update': ContractEventPayload;
  'contract:removed': ContractRemovedEvent;
  'chain:block': { hash: string; height: number; txs: number; miner: string; from: string | null };
  'chain:reorg': { oldTip: string; newTip: string; forkHeight: number; disconnected: number; connected: number };
  'tx:confirmed': TxConfirmedEvent;
  'contract:sync': { nodeId: string; full: boolean; pages: number; received: number; applied: number; bytes: number; ms: number };
  'outbox:delivered': { id: number; peerAddress: string; contractAddress: string; attempts: number };
  'outbox:dropped': { id: number; peerAddress: string; contractAddress: string; retryCount: number; lastError: string };
  'transfer:share': { fileId: string; name: string; size: number; path: string; link: string };
  'transfer:start': DownloadProgress;
  'transfer:progress': DownloadProgress;
  'transfer:piece': { id: string; fileId: string; piece: number; from: string[] };
  'transfer:bad-piece': { id: string; fileId: string; piece: number; from: string[] };
  'transfer:complete': DownloadProgress & { ms: number };
  'chat:message': ChatMessageEvent;
  'chat:mark': ChatMarkEvent;
  'pex:addresses': { from: string; received: number; added: number };
  'chat:sync': ChatSyncEvent;
}

export type ApiEventName = keyof ApiEventMap;
/** One event as delivered by {@link TypedApiClient.events}: a discriminated union on `name`. */
export type ApiEvent = { [K in ApiEventName]: { name: K; payload: ApiEventMap[K] } }[ApiEventName];

const hex = (s: string): string => encodeURIComponent(s);

export class TypedApiClient {
  readonly raw: ApiClient;

  constructor(raw: ApiClient) {
    this.raw = raw;
  }

  /** @throws NodeNotRunningError when DIR has no live node.json */
  static async fromDataDir(dir: string): Promise<TypedApiClient> {
    return new TypedApiClient(await ApiClient.fromDataDir(dir));
  }

  get url(): string {
    return this.raw.url;
  }

  node(): Promise<NodeInfo> {
    return this.raw.get<NodeInfo>('/node');
  }

  async peers(): Promise<PeerInfo[]> {
    return (await this.raw.get<{ peers: PeerInfo[] }>('/network/peers')).peers;
  }

  /** Dial and handshake; resolves with the peer. @throws DIAL_FAILED, SELF_CONNECTION, INVALID_ADDRESS, ... */
  async connect(address: string): Promise<PeerInfo> {
    return (await this.raw.post<{ peer: PeerInfo }>('/network/connect', { address })).peer;
  }

  async disconnect(nodeId: string): Promise<void> {
    await this.raw.delete(`/network/peers/${hex(nodeId)}`);
  }

  async addressBook(): Promise<PeerRecord[]> {
    return (await this.raw.get<{ entries: PeerRecord[] }>('/network/address-book')).entries;
  }

  /** The address book with each entry's state and what peer exchange heard of it (docs/api.md §6.24). */
  async known(): Promise<KnownAddress[]> {
    return (await this.raw.get<{ entries: KnownAddress[] }>('/network/known')).entries;
  }

  async bans(): Promise<BanRecord[]> {
    return (await this.raw.get<{ bans: BanRecord[] }>('/network/bans')).bans;
  }

  /** @param init.durationMs default 1 hour (the node's default) */
  async ban(nodeId: string, init: { durationMs?: number; reason?: string } = {}): Promise<BanRecord> {
    return (await this.raw.post<{ ban: BanRecord }>('/network/bans', { nodeId, ...init })).ban;
  }

  async unban(nodeId: string): Promise<void> {
    await this.raw.delete(`/network/bans/${hex(nodeId)}`);
  }

  /** Every contract, replicated ones first (docs/api.md §6.10). */
  async contracts(): Promise<Array<(ContractSummary & { mode: 'replicated' }) | ChainContractSummary>> {
    return (await this.raw.get<{ contracts: Array<(ContractSummary & { mode: 'replicated' }) | ChainContractSummary> }>('/contracts')).contracts;
  }

  /** One contract, either mode (`mode` tells). @throws CONTRACT_NOT_FOUND */
  async contract(address: string): Promise<ContractView> {
    return (await this.raw.get<{ contract: ContractView }>(`/contracts/${hex(address)}`)).contract;
  }

  /**
   * Deploy a contract. `mode` (docs/contracts.md, "Two modes"): left out, the node picks
   * (`chain` when it runs the chain, else `replicated`).
   * @throws CONTRACT_INVALID_SOURCE, CONTRACT_THREW (from init), CONTRACT_OUT_OF_GAS, CHAIN_NOT_RUNNING, ...
   */
  async deploy(name: string, source: string, args?: unknown[], mode?: 'chain' | 'replicated'): Promise<ContractRecord> {
    const body: Record<string, unknown> = { name, source };
    if (args && args.length > 0) body.args = args;
    if (mode !== undefined) body.mode = mode;
    return (await this.raw.post<{ contract: ContractRecord }>('/contracts', body)).contract;
  }

  /**
   * Deploy on the chain (docs/api.md §6.12a): a deploy transaction from this node. `wait`
   * (default true) waits up to `waitMs` for its block; `wait: false` answers at once, pending
   * (`tx:confirmed` and `contract:new` follow when a block includes it).
   * @throws CHAIN_NOT_RUNNING, INVALID_TX, TX_INSUFFICIENT_FUNDS, ...
   */
  deployOnChain(name: string, source: string, args: unknown[] = [], opts: { fee?: number; wait?: boolean; waitMs?: number } = {}): Promise<ChainDeployResult> {
    return this.raw.post<ChainDeployResult>('/contracts', { name, source, ...(args.length > 0 ? { args } : {}), mode: 'chain', ...opts });
  }

  /**
   * Call a function; the node sends it where the contract lives: a replicated contract
   * answers `CallResult` (`mode` replicated), a chain contract `ChainCallResult`.
   * @throws CONTRACT_FUNCTION_NOT_FOUND, CONTRACT_THREW, CONTRACT_OUT_OF_GAS, ...
   */
  call(address: string, fn: string, args: unknown[] = []): Promise<(CallResult & { mode: 'replicated' }) | ChainCallResult> {
    return this.raw.post<(CallResult & { mode: 'replicated' }) | ChainCallResult>(`/contracts/${hex(address)}/call`, { function: fn, args });
  }

  /**
   * Call a chain contract's function (docs/api.md §6.12a) with a `fee`; `wait: false` answers
   * at once with the pending transaction (a view still answers its result, `tx` null).
   */
  callOnChain(address: string, fn: string, args: unknown[] = [], opts: { fee?: number; wait?: boolean; waitMs?: number } = {}): Promise<ChainCallResult> {
    return this.raw.post<ChainCallResult>(`/contracts/${hex(address)}/call`, { function: fn, args, ...opts });
  }

  async files(): Promise<ShareInfo[]> {
    return (await this.raw.get<{ files: ShareInfo[] }>('/files')).files;
  }

  /** Share a file on the node's machine (absolute path). */
  async share(path: string): Promise<ShareInfo> {
    return (await this.raw.post<{ file: ShareInfo }>('/files', { path })).file;
  }

  async unshare(fileId: string): Promise<void> {
    await this.raw.delete(`/files/${hex(fileId)}`);
  }

  async downloads(): Promise<DownloadProgress[]> {
    return (await this.raw.get<{ downloads: DownloadProgress[] }>('/downloads')).downloads;
  }

  async downloadStatus(id: string): Promise<DownloadProgress> {
    return (await this.raw.get<{ download: DownloadProgress }>(`/downloads/${hex(id)}`)).download;
  }

  /** Start a download of `link` (a plexus: link or a file ID) to `out` (absolute path). */
  async download(link: string, out: string): Promise<DownloadProgress> {
    return (await this.raw.post<{ download: DownloadProgress }>('/downloads', { link, out })).download;
  }

  async cancelDownload(id: string): Promise<void> {
    await this.raw.delete(`/downloads/${hex(id)}`);
  }

  /** Send `text` to `room` (docs/api.md §6.28). */
  async chatSend(room: string, text: string): Promise<ChatMessage> {
    return (await this.raw.post<{ message: ChatMessage }>('/chat/messages', { room, text })).message;
  }

  /** A room's stored messages, oldest first (§6.29). */
  async chatHistory(room: string, options: { limit?: number; before?: string } = {}): Promise<ChatMessage[]> {
    const q = new URLSearchParams({ room });
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    if (options.before !== undefined) q.set('before', options.before);
    return (await this.raw.get<{ messages: ChatMessage[] }>(`/chat/messages?${q}`)).messages;
  }

  /** A direct message, end-to-end encrypted (docs/api.md §6.28). @throws NO_CHAT_KEY, INVALID_CHAT_REQUEST, INVALID_BODY */
  async chatSendDirect(to: string, text: string): Promise<DirectMessage> {
    return (await this.raw.post<{ message: DirectMessage }>('/chat/messages', { to, text })).message;
  }

  /** The direct messages with node `peer`, oldest first (docs/api.md §6.29). */
  async chatConversation(peer: string, options: { limit?: number; before?: string } = {}): Promise<DirectMessage[]> {
    const q = new URLSearchParams({ with: peer });
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    if (options.before !== undefined) q.set('before', options.before);
    return (await this.raw.get<{ messages: DirectMessage[] }>(`/chat/messages?${q}`)).messages;
  }

  /** Every conversation, the most recent first, with unread counts (docs/api.md §6.30). */
  async chatConversations(): Promise<Conversation[]> {
    return (await this.raw.get<{ conversations: Conversation[] }>('/chat/conversations')).conversations;
  }

  /** Mark the messages received from `peer` read; returns how many (docs/api.md §6.31). */
  async chatRead(peer: string): Promise<number> {
    return (await this.raw.post<{ marked: number }>('/chat/read', { with: peer })).marked;
  }

  /** This node's ChatKey (docs/api.md §6.32). */
  async chatKey(): Promise<ChatKey> {
    return (await this.raw.get<{ key: ChatKey }>('/chat/key')).key;
  }

  async chatRooms(): Promise<ChatRoom[]> {
    return (await this.raw.get<{ rooms: ChatRoom[] }>('/chat/rooms')).rooms;
  }

  async chatJoin(room: string): Promise<boolean> {
    return (await this.raw.post<{ joined: boolean }>('/chat/rooms', { room })).joined;
  }

  async chatLeave(room: string): Promise<boolean> {
    return (await this.raw.delete<{ left: boolean }>(`/chat/rooms/${encodeURIComponent(room)}`)).left;
  }

  /**
   * Follow the event stream until `signal` aborts or the node ends it (resolves then).
   * Event names outside {@link ApiEventMap} are delivered too, typed loosely.
   */
  events(onEvent: (event: ApiEvent) => void, signal?: AbortSignal, types?: ApiEventName[]): Promise<void> {
    return this.raw.events((name, payload) => onEvent({ name, payload } as ApiEvent), signal, types);
  }
}

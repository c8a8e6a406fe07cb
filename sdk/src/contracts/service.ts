import { randomBytes } from 'node:crypto';
import { ClockDriftError, type HlcTimestamp, type HybridClock } from '../clock/index.js';
import type { EventBus } from '../events.js';
import { PlexusError } from '../errors.js';
import type { Identity } from '../identity/index.js';
import { defineMessage, type MessageDef } from '../capability/index.js';
import type { Outbox, OutboxEntry, OutboxEvents } from '../outbox/index.js';
import type { Peer, PeerManager } from '../peers/index.js';
import type { MetaRepository, Store } from '../store/index.js';
import type { Envelope } from '../transport/index.js';
import type { ContractsRepository, OriginUsage } from './repository.js';
import type { SyncCursorsRepository } from './sync-cursors.js';
import { INIT_FUNCTION, MAX_NAME_LENGTH } from './constants.js';
import { contractError, InvalidContractRecordError } from './errors.js';
import {
  CONTRACT_ACK_SCHEMA,
  CONTRACT_SCHEMA,
  CONTRACTS_SCHEMA,
  type ContractAckBody,
  type ContractBody,
  type ContractsBody,
  GET_CONTRACTS_SCHEMA,
  type GetContractsBody,
} from './messages.js';
import {
  compareRecords,
  contractAddress,
  type ContractRecord,
  type ContractSummary,
  signRecord,
  sourceHashOf,
  stateHashOf,
  summarize,
  verifyRecordAsync,
} from './record.js';
import type { WatchedSandbox } from './watched-sandbox.js';
import type { ContractEventPayload } from './events.js';

/** Defaults of the sync protocol and the per-peer caps. */
export const SYNC_PAGE_LIMIT = 500;
export const SYNC_PAGE_BYTES = 512 * 1024;
export const MAX_CONTRACTS_PER_PEER = 50_000;
export const MAX_BYTES_PER_PEER = 512 * 1024 * 1024;
/** The outbox kind of contract records. */
export const OUTBOX_KIND = 'contract';
/** Score points for sending a record that fails verification. */
export const INVALID_RECORD_PENALTY = 25;

/** Events of the contracts capability. */
export interface ContractEvents extends OutboxEvents {
  /** A contract appeared here: deployed locally (`from` null) or received from a peer; or a chain contract's deploy joined the main chain (events.ts). */
  'contract:new': ContractEventPayload;
  /** A contract's state changed: a local call (`from` null) or a newer version from a peer; or a chain block or reorg changed it (events.ts). */
  'contract:update': ContractEventPayload;
  /** A sync with a peer finished (`full`: it started from the beginning). */
  'contract:sync': { nodeId: string; full: boolean; pages: number; received: number; applied: number; bytes: number; ms: number };
}

export interface ContractServiceComponents {
  identity: Identity;
  peers: PeerManager;
  store: Store;
  contractsRepo: ContractsRepository;
  syncCursorsRepo: SyncCursorsRepository;
  metaRepo: MetaRepository;
  outbox: Outbox;
  clock: HybridClock;
  /** Runs contracts in a worker thread with the sandbox's deadline enforced from outside (a plain Sandbox would do too, but could not stop an allocation loop). */
  sandbox: Pick<WatchedSandbox, 'start' | 'stop' | 'exports' | 'call'>;
  events: EventBus<ContractEvents>;
}

export interface ContractServiceInit {
  /** Most contracts one peer may bring (first introduce) to this node. */
  maxContractsPerPeer?: number;
  /** Most bytes of records one peer may bring to this node. */
  maxBytesPerPeer?: number;
  /** Records per sync page asked for. */
  syncPageLimit?: number;
  /** Bytes per sync page served (past the first record). */
  syncPageBytes?: number;
  /** Time a sync page request waits for its answer (ms). */
  requestTimeoutMs?: number;
}

/** What a call returns. */
export interface CallResult {
  result: unknown;
  state: Record<string, unknown>;
  /** False for a read-only (view) call: no new version, nothing broadcast. */
  changed: boolean;
  version: HlcTimestamp;
  seq: number;
  gasUsed: number;
}

/**
 * Contracts: deploy, call, store and replicate sandboxed JavaScript contracts.
 *
 * Data flow of a change: deploy/call -> Sandbox -> a new record version stamped by the
 * hybrid logical clock and signed -> contracts table -> outbox rows for every known peer ->
 * `store.durable()` -> the caller gets its answer -> NewContract/UpdateContract to peers ->
 * ContractAck (after the receiver's own durable save) removes the rows.
 * Data flow of a received record: schema (codec) -> verifyRecordAsync (hashes, address; the
 * Ed25519 signature on libuv's thread pool, a whole sync page at once) -> clock merge ->
 * last-writer-wins against the local version -> store (one transaction per page).
 * On every connection each side pulls the other's changes with GetContracts/Contracts,
 * starting after the cursor it kept for that peer (incremental after the first full sync).
 */
export class ContractService {
  readonly #c: ContractServiceComponents;
  readonly #maxContractsPerPeer: number;
  readonly #maxBytesPerPeer: number;
  readonly #pageLimit: number;
  readonly #pageBytes: number;
  readonly #requestTimeoutMs: number | undefined;
  readonly #syncing = new Map<string, Promise<void>>();
  #usage = new Map<string, OriginUsage>();
  #epoch = '';
  #started = false;

  constructor(components: ContractServiceComponents, init: ContractServiceInit = {}) {
    this.#c = components;
    this.#maxContractsPerPeer = init.maxContractsPerPeer ?? MAX_CONTRACTS_PER_PEER;
    this.#maxBytesPerPeer = init.maxBytesPerPeer ?? MAX_BYTES_PER_PEER;
    this.#pageLimit = init.syncPageLimit ?? SYNC_PAGE_LIMIT;
    this.#pageBytes = init.syncPageBytes ?? SYNC_PAGE_BYTES;
    this.#requestTimeoutMs = init.requestTimeoutMs;
    components.outbox.register(OUTBOX_KIND, {
      // The historical table and columns, kept for contracts.
      table: { table: 'pending_contract_broadcasts', keyColumn: 'contract_address', payloadColumn: 'contract_data' },
      deliver: (peer, entry) => this.#deliver(peer, entry),
      // For the API's listing only (not on the delivery path).
      describe: (entry) => {
        const { seq, version } = JSON.parse(entry.payload) as ContractRecord;
        return { contractAddress: entry.key, seq, version };
      },
    });
  }

  /** The wire messages of this capability (docs/protocol.md §12). */
  readonly messages: readonly MessageDef<any>[] = [
    defineMessage<GetContractsBody>({ type: 'GetContracts', kind: 'request', schema: GET_CONTRACTS_SCHEMA, handle: (e, p) => this.#onGetContracts(e, p) }),
    defineMessage<ContractsBody>({ type: 'Contracts', kind: 'reply', schema: CONTRACTS_SCHEMA }),
    defineMessage<ContractBody>({ type: 'NewContract', kind: 'request', schema: CONTRACT_SCHEMA, handle: (e, p) => this.#onContract(e, p) }),
    defineMessage<ContractBody>({ type: 'UpdateContract', kind: 'request', schema: CONTRACT_SCHEMA, handle: (e, p) => this.#onContract(e, p) }),
    defineMessage<ContractAckBody>({ type: 'ContractAck', kind: 'reply', schema: CONTRACT_ACK_SCHEMA }),
  ];

  /** This store's epoch: a random ID fixed when its contracts table was first used. */
  get epoch(): string {
    return this.#epoch;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    await this.#c.sandbox.start();
    this.#epoch = this.#c.metaRepo.get('contracts_epoch') ?? '';
    if (!this.#epoch) {
      this.#epoch = randomBytes(16).toString('hex');
      this.#c.metaRepo.set('contracts_epoch', this.#epoch);
    }
    this.#usage = this.#c.contractsRepo.usageByOrigin();
    // After a restart the clock must start beyond every version we already hold.
    const latest = this.#c.contractsRepo.latestVersion();
    if (latest) this.#c.clock.observe({ ...latest, nodeId: this.#c.identity.nodeId });
    this.#started = true;
    for (const peer of this.#c.peers.all()) void this.sync(peer.nodeId).catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await Promise.allSettled([...this.#syncing.values()]);
    await this.#c.sandbox.stop();
  }

  list(): ContractSummary[] {
    return this.#c.contractsRepo.list().map(summarize);
  }

  get(address: string): ContractRecord {
    const record = this.#c.contractsRepo.get(address);
    if (!record) throw contractError.notFound(address);
    return record;
  }

  /**
   * Deploy a contract: list its exports, run `init(state, ctx, ...args)` if it has one,
   * store the signed record and queue it for every known peer. Resolves once durable.
   * @throws ContractError (CONTRACT_INVALID_SOURCE, CONTRACT_TOO_LARGE, a limit, CONTRACT_THREW from init)
   */
  async deploy(input: { name: string; source: string; args?: unknown[] }): Promise<ContractRecord> {
    const name = input.name.trim();
    if (!name || [...name].length > MAX_NAME_LENGTH) throw contractError.invalidArgs(`the name must be 1-${MAX_NAME_LENGTH} characters`);
    const { sandbox, identity, clock } = this.#c;
    const functions = sandbox.exports(input.source);
    const sourceHash = sourceHashOf(input.source);
    const nonce = randomBytes(16).toString('hex');
    const address = contractAddress(identity.nodeId, sourceHash, nonce);
    const version = clock.tick();
    let state: Record<string, unknown> = {};
    if (functions.includes(INIT_FUNCTION)) {
      state = sandbox.call(input.source, INIT_FUNCTION, {}, input.args ?? [], { caller: identity.nodeId, time: version.time, address, name }).state;
    } else if (input.args?.length) {
      throw contractError.invalidArgs(`the contract has no ${INIT_FUNCTION} function to take deploy arguments`);
    }
    const record = signRecord(
      {
        address,
        name,
        source: input.source,
        sourceHash,
        functions,
        deployer: identity.nodeId,
        nonce,
        createdAt: clock.physical(),
        state,
        stateHash: stateHashOf(state),
        seq: 0,
        version,
        updatedAt: clock.physical(),
        updaterPublicKey: identity.publicKey,
      },
      identity,
    );
    await this.#commitLocal(record, 'contract:new');
    return record;
  }

  /**
   * Call `fn(state, ctx, ...args)`. A call that leaves the state as it was is a view: it
   * returns the result without a new version or a broadcast. Otherwise the new version is
   * stored, queued for every known peer, and durable before this resolves.
   * @throws ContractError (CONTRACT_NOT_FOUND, CONTRACT_FUNCTION_NOT_FOUND, a limit, CONTRACT_THREW, ...)
   */
  async call(address: string, fn: string, args: unknown[] = []): Promise<CallResult> {
    const current = this.get(address);
    if (fn === INIT_FUNCTION) throw contractError.functionNotFound(fn, current.functions.filter((f) => f !== INIT_FUNCTION), 'init runs once, at deploy');
    const { sandbox, identity, clock } = this.#c;
    // The new version must order after the one it replaces, whatever clocks say.
    clock.observe(current.version);
    const version = clock.tick();
    const out = sandbox.call(current.source, fn, current.state, args, { caller: identity.nodeId, time: version.time, address, name: current.name });
    const stateHash = stateHashOf(out.state);
    if (stateHash === current.stateHash) {
      return { result: out.result, state: current.state, changed: false, version: current.version, seq: current.seq, gasUsed: out.gasUsed };
    }
    // Nothing awaited since get(): no other change to this record can have slipped in.
    const { signature: _old, ...rest } = current;
    const record = signRecord(
      { ...rest, state: out.state, stateHash, seq: current.seq + 1, version, updatedAt: clock.physical(), updaterPublicKey: identity.publicKey },
      identity,
    );
    await this.#commitLocal(record, 'contract:update');
    return { result: out.result, state: out.state, changed: true, version, seq: record.seq, gasUsed: out.gasUsed };
  }

  /**
   * Pull a peer's changes since the cursor kept for it, page by page, until it has no more.
   * One sync per peer at a time. Resolves when done; rejects on a transport error.
   */
  sync(nodeId: string): Promise<void> {
    let running = this.#syncing.get(nodeId);
    if (!running) {
      running = this.#sync(nodeId).finally(() => this.#syncing.delete(nodeId));
      this.#syncing.set(nodeId, running);
    }
    return running;
  }

  // --- internals -----------------------------------------------------------------------

  async #commitLocal(record: ContractRecord, event: 'contract:new' | 'contract:update'): Promise<void> {
    const { contractsRepo, outbox, store } = this.#c;
    contractsRepo.put(record, null);
    outbox.enqueue(OUTBOX_KIND, record.address, JSON.stringify(record));
    await store.durable();
    this.#c.events.emit(event, { ...summarize(record), from: null });
    outbox.deliverNow();
  }

  /** Peer hook: pull the new peer's changes. */
  onPeerConnect(peer: Peer): void {
    if (!this.#started) return;
    void this.sync(peer.nodeId).catch((err: Error) => {
      if (this.#started && this.#c.peers.get(peer.nodeId)) {
        this.#c.events.emit('warning', { code: 'SYNC_FAILED', message: `contract sync with ${peer.nodeId.slice(0, 12)} failed: ${err.message}`, nodeId: peer.nodeId });
      }
    });
  }

  async #sync(nodeId: string): Promise<void> {
    const started = performance.now();
    const stored = this.#c.syncCursorsRepo.get(nodeId);
    let since = stored?.cursor ?? 0;
    let epoch = stored?.epoch ?? null;
    const full = since === 0;
    const stats = { pages: 0, received: 0, applied: 0, bytes: 0 };
    for (;;) {
      const peer = this.#c.peers.get(nodeId);
      if (!peer || !this.#started) return;
      const before = peer.connection.bytesIn;
      const request: GetContractsBody = { since, epoch, limit: this.#pageLimit, requesterEpoch: this.#epoch };
      const reply = await peer.connection.request<GetContractsBody, ContractsBody>('GetContracts', request, { timeoutMs: this.#requestTimeoutMs });
      if (reply.type !== 'Contracts') throw new PlexusError('UNEXPECTED_REPLY', `expected Contracts, got ${reply.type}`);
      const page = reply.body;
      stats.bytes += peer.connection.bytesIn - before;
      stats.pages++;
      stats.received += page.contracts.length;
      // Signatures of the whole page on the thread pool at once, then one transaction for it.
      const verdicts = await Promise.all(page.contracts.map((record) => verifyRecordAsync(record).then(() => null, (err: unknown) => err)));
      if (!this.#started || this.#c.peers.get(nodeId) !== peer) return;
      this.#c.store.transaction(() => {
        page.contracts.forEach((record, i) => {
          const outcome = this.#applyFromPeer(record, peer, verdicts[i]);
          if (outcome.ok && (outcome.result === 'new' || outcome.result === 'updated')) stats.applied++;
        });
      });
      if (page.more && page.cursor <= since && epoch === page.epoch) {
        // "More" without progress would have us ask forever.
        this.#c.peers.penalize(nodeId, 20, 'INVALID_MESSAGE', `Contracts page says more but its cursor ${page.cursor} does not advance past ${since}`);
        throw new PlexusError('SYNC_STALLED', `sync with ${nodeId.slice(0, 12)} does not advance`);
      }
      since = page.cursor;
      epoch = page.epoch;
      this.#c.syncCursorsRepo.set(nodeId, { epoch, cursor: since, syncedAt: Date.now() });
      if (!page.more) break;
    }
    this.#c.events.emit('contract:sync', { nodeId, full, ...stats, ms: Math.round(performance.now() - started) });
  }

  #onGetContracts(envelope: Envelope<GetContractsBody>, peer: Peer): void {
    const body = envelope.body;
    // A cursor from another epoch (our database was replaced) means nothing here: start over.
    const since = body.epoch === this.#epoch ? body.since : 0;
    // The versions the peer sent us are not sent back when it still has them: it kept its
    // cursor for us (our epoch), or its store is the one we last synced from (its epoch, as
    // it says in requesterEpoch, is the one we keep for it). A new or replaced store gets all.
    const known = this.#c.syncCursorsRepo.get(peer.nodeId)?.epoch;
    const skip = body.epoch === this.#epoch || (body.requesterEpoch !== undefined && body.requesterEpoch === known) ? peer.nodeId : null;
    const page = this.#c.contractsRepo.changedSince(since, body.limit, this.#pageBytes, skip);
    // Records are stored as JSON text; splice them in rather than parse and re-serialize.
    const text = `{"v":1,"type":"Contracts","re":${envelope.id},"body":{"epoch":"${this.#epoch}","contracts":[${page.records.join(',')}],"cursor":${page.cursor},"more":${page.more}}}`;
    peer.connection.sendRaw(text);
  }

  async #onContract(envelope: Envelope<ContractBody>, peer: Peer): Promise<void> {
    const record = envelope.body.contract;
    const verdict = await verifyRecordAsync(record).then(() => null, (err: unknown) => err);
    const outcome = this.#applyFromPeer(record, peer, verdict);
    // The peer manager answers the request with an Error carrying this code.
    if (!outcome.ok) throw outcome.error;
    // Acknowledge only what is on disk: the sender deletes its outbox row on our word.
    await this.#c.store.durable();
    peer.connection.reply<ContractAckBody>(envelope, 'ContractAck', { address: record.address, version: record.version, result: outcome.result });
  }

    /**
   * Merge one record from a peer whose checks (verifyRecordAsync) gave `verdict` (null: it
   * passed); a record that failed, or fails to merge, costs the peer score points.
   */
  #applyFromPeer(record: ContractRecord, peer: Peer, verdict: unknown): { ok: true; result: ContractAckBody['result'] } | { ok: false; error: PlexusError } {
    try {
      if (verdict !== null) throw verdict;
      return { ok: true, result: this.#apply(record, peer.nodeId) };
    } catch (thrown) {
      // Anything a record makes us throw is the record's fault: refuse it alone, never the page.
      const err = thrown instanceof PlexusError ? thrown : new InvalidContractRecordError(`contract ${String(record.address).slice(0, 12)}: ${(thrown as Error)?.message ?? String(thrown)}`);
      const points = err.code === 'QUOTA_EXCEEDED' || err instanceof ClockDriftError ? 5 : INVALID_RECORD_PENALTY;
      this.#c.peers.penalize(peer.nodeId, points, err.code, err.message);
      return { ok: false, error: err };
    }
  }

  /** Merge a verified record: clock, caps, immutable fields, last-writer-wins, store. */
  #apply(record: ContractRecord, from: string): ContractAckBody['result'] {
    this.#c.clock.receive(record.version);
    // Most records of a first sync are new: look for the row before reading the whole record.
    const existing = this.#c.contractsRepo.versionOf(record.address) && this.#c.contractsRepo.get(record.address);
    if (!existing) {
      const encoded = this.#c.contractsRepo.encode(record);
      const size = encoded.size;
      const usage = this.#usage.get(from) ?? { count: 0, bytes: 0 };
      if (usage.count + 1 > this.#maxContractsPerPeer || usage.bytes + size > this.#maxBytesPerPeer) {
        throw new PlexusError('QUOTA_EXCEEDED', `peer ${from.slice(0, 12)} reached its cap of ${this.#maxContractsPerPeer} contracts / ${this.#maxBytesPerPeer} bytes`);
      }
      this.#c.contractsRepo.put(record, from, encoded);
      this.#usage.set(from, { count: usage.count + 1, bytes: usage.bytes + size });
      this.#c.events.emit('contract:new', { ...summarize(record), from });
      return 'new';
    }
    for (const field of ['name', 'sourceHash', 'deployer', 'nonce', 'createdAt', 'functions'] as const) {
      if (JSON.stringify(existing[field]) !== JSON.stringify(record[field])) throw new InvalidContractRecordError(`contract ${record.address.slice(0, 12)}: ${field} differs from the deployed contract`);
    }
    const order = compareRecords(record, existing);
    if (order === 0) return 'unchanged';
    if (order < 0) return 'older';
    this.#c.contractsRepo.put(record, from);
    this.#c.events.emit('contract:update', { ...summarize(record), from });
    return 'updated';
  }

  /** Send an outbox entry: its payload is the stored record, sent as stored (no parse, no re-serialization). */
  async #deliver(peer: Peer, entry: OutboxEntry): Promise<void> {
    const type = this.#c.contractsRepo.versionOf(entry.key)?.seq === 0 ? 'NewContract' : 'UpdateContract';
    const reply = await peer.connection.requestRaw<ContractAckBody>(type, `{"contract":${entry.payload}}`, { timeoutMs: this.#c.outbox.ackTimeoutMs });
    if (reply.type !== 'ContractAck' || reply.body.address !== entry.key) {
      throw new PlexusError('UNEXPECTED_REPLY', `expected ContractAck for ${entry.key.slice(0, 12)}, got ${reply.type}`);
    }
  }
}

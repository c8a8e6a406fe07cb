import type { CapabilityContext } from '../capability/index.js';
import type { GossipApi } from '../gossip/index.js';
import type { Outbox } from '../outbox/index.js';
import type { Peer } from '../peers/index.js';
import type { Envelope } from '../transport/index.js';
import {
  CHAT_DIRECT_TOPIC,
  CHAT_KEY_TOPIC,
  CHAT_RECEIPT_TOPIC,
  DIRECT_RESEND_INTERVAL_MS,
  MAX_DIRECT_CIPHERTEXT_CHARS,
  MAX_TEXT_CHARS,
  OUTBOX_DIRECT_KIND,
  OUTBOX_RECEIPT_KIND,
} from './constants.js';
import {
  type ChatKey,
  type ChatKeyPair,
  type DirectEnvelope,
  type DirectReceipt,
  loadOrCreateChatKey,
  openDirect,
  sealDirect,
  signChatKey,
  signReceipt,
  verifyChatKey,
  verifyDirectEnvelope,
  verifyReceipt,
} from './direct.js';
import { pageOf } from './page.js';
import { ChatRequestError, gossipVerdict, InvalidChatMessageError } from './errors.js';
import type { AuthorRateLimit, LamportClock } from './lamport.js';
import { codePoints } from './message.js';
import { type Conversation, type DirectMessage, DirectRepository } from './repository.js';

/** A mark on a message this node sent changed (`chat:mark`). */
export interface ChatMarkEvent {
  id: string;
  /** The other end (the recipient who signed the receipt). */
  with: string;
  mark: 'delivered' | 'read';
  /** From the receipt (ms, the recipient's clock). */
  at: number;
}

export interface DirectChatInit {
  /** Pause between gossip resends of direct messages still without a delivered receipt (ms). Default DIRECT_RESEND_INTERVAL_MS. */
  resendIntervalMs?: number;
}

interface Parts {
  name: string | null;
  clock: LamportClock;
  rate: AuthorRateLimit;
  check: (lamport: number) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Direct messages, end to end encrypted (docs/protocol.md §20.6-20.9). Sending: Lamport
 * timestamp -> sealed to the recipient's ChatKey and signed -> stored -> queued in the
 * outbox for the recipient (a `DirectMessage` request on a direct connection, whose reply is
 * the delivered receipt) and gossiped on `chat-direct` (relays forward it; they cannot read
 * it). Receiving: envelope checks (any relay runs them) -> addressed here? decrypt, store,
 * `chat:message`, delivered receipt (reply, gossip `chat-receipt` and the outbox). Receipts
 * set the marks of the sender's copy (`chat:mark`) and settle its outbox rows.
 */
export class DirectChat {
  readonly #ctx: CapabilityContext;
  readonly #repo: DirectRepository;
  readonly #p: Parts;
  readonly #resendIntervalMs: number;
  #keys: ChatKeyPair | null = null;
  #ownKey: ChatKey | null = null;
  #gossip: GossipApi | null = null;
  #outbox: Outbox | null = null;
  #unregister: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: CapabilityContext, parts: Parts, init: DirectChatInit = {}) {
    this.#ctx = ctx;
    this.#repo = new DirectRepository(ctx.store);
    this.#p = parts;
    this.#resendIntervalMs = init.resendIntervalMs ?? DIRECT_RESEND_INTERVAL_MS;
  }

  /** Register the outbox kinds (before the node starts: the outbox loads its rows then). */
  register(outbox: Outbox): void {
    this.#outbox = outbox;
    outbox.register(OUTBOX_DIRECT_KIND, {
      deliver: async (peer, entry) => {
        const reply = await peer.connection.requestRaw('DirectMessage', entry.payload, { timeoutMs: outbox.ackTimeoutMs });
        if (reply.type !== 'DirectReceipt') throw new Error(`expected DirectReceipt, got ${reply.type}`);
        this.onReceipt(reply.body);
      },
      describe: (entry) => ({ messageId: entry.key, to: entry.peerNodeId }),
    });
    outbox.register(OUTBOX_RECEIPT_KIND, {
      deliver: async (peer, entry) => {
        const reply = await peer.connection.requestRaw('DirectMark', entry.payload, { timeoutMs: outbox.ackTimeoutMs });
        if (reply.type !== 'DirectMarkAck') throw new Error(`expected DirectMarkAck, got ${reply.type}`);
      },
      describe: (entry) => ({ mark: entry.key, to: entry.peerNodeId }),
    });
  }

  async start(gossip: GossipApi): Promise<void> {
    this.#keys = await loadOrCreateChatKey(this.#ctx.dataDir);
    const stored = this.#repo.key(this.#ctx.identity.nodeId);
    this.#ownKey = stored && stored.dh === this.#keys.publicKey ? stored : signChatKey(this.#ctx.identity, this.#keys.publicKey, Math.max(this.#ctx.clock.physical(), (stored?.created ?? 0) + 1));
    this.#repo.putKey(this.#ownKey);
    this.#gossip = gossip;
    this.#unregister = [
      gossip.register(CHAT_DIRECT_TOPIC, { validate: (p) => gossipVerdict(() => this.#checkEnvelope(p)), deliver: (m) => void this.receive(m.payload as DirectEnvelope, m.from) }),
      // Validated already: delivered receipts are applied without checking them twice.
      gossip.register(CHAT_RECEIPT_TOPIC, { validate: (p) => gossipVerdict(() => verifyReceipt(p)), deliver: (m) => this.#applyReceipt(m.payload as DirectReceipt) }),
      gossip.register(CHAT_KEY_TOPIC, { validate: (p) => gossipVerdict(() => verifyChatKey(p)), deliver: (m) => this.learnKey(m.payload as ChatKey) }),
    ];
    this.#schedule();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const off of this.#unregister) off();
    this.#unregister = [];
  }

  /** This node's ChatKey (its X25519 key bound to its identity). */
  ownKey(): ChatKey {
    if (!this.#ownKey) throw new ChatRequestError('chat is not started');
    return this.#ownKey;
  }

  /** The newest ChatKeys known (this node's included), for a catch-up reply. */
  keys(limit: number): ChatKey[] {
    return this.#repo.keys(limit);
  }

  /** The largest Lamport timestamp of the stored direct messages (0 if none). */
  maxLamport(): number {
    return this.#repo.maxLamport();
  }

  /** The ChatKey known for `node`, if any. */
  keyOf(node: string): ChatKey | undefined {
    return this.#repo.key(node);
  }

  /** Keep a verified ChatKey if it is newer than the one stored. True when stored. */
  learnKey(key: ChatKey): boolean {
    return this.#repo.putKey(key);
  }

  /** Peer hook: gossip this node's ChatKey (a no-op while gossip's seen cache still holds it). */
  onPeerConnect(): void {
    if (this.#ownKey) this.#gossip?.publish(CHAT_KEY_TOPIC, this.#ownKey);
  }

  /**
   * Send `text` to node `to`, end to end encrypted. Resolves once it is stored durably and
   * queued; delivery is reported by `chat:mark`.
   * @throws ChatRequestError for a bad node ID, this node, a bad text, or a node whose ChatKey
   *   is not known yet (`NO_CHAT_KEY`: it has never been heard of on this network)
   */
  async send(to: string, text: string): Promise<DirectMessage> {
    if (typeof to !== 'string' || !HEX64.test(to)) throw new ChatRequestError('to must be a node ID (64 lowercase hex characters)');
    if (to === this.#ctx.identity.nodeId) throw new ChatRequestError('a direct message to this node itself');
    if (typeof text !== 'string' || codePoints(text) < 1 || codePoints(text) > MAX_TEXT_CHARS) throw new ChatRequestError(`text must be 1..${MAX_TEXT_CHARS} characters`);
    const outbox = this.#outbox;
    if (!this.#gossip || !this.#keys || !this.#ownKey || !outbox) throw new ChatRequestError('chat is not started');
    const recipient = this.#repo.key(to);
    if (!recipient) throw new ChatRequestError(`no chat key known for node ${to.slice(0, 12)}: it has not been seen on this network yet`, 'NO_CHAT_KEY');
    const lamport = this.#p.clock.tick(this.#ctx.clock.physical());
    const { envelope } = sealDirect(this.#ctx.identity, this.#keys, this.#ownKey, recipient, { name: this.#p.name, text, lamport });
    const message: DirectMessage = {
      id: envelope.id,
      author: envelope.author,
      to,
      name: this.#p.name,
      text,
      lamport,
      outgoing: true,
      marks: { sent: this.#ctx.clock.physical(), delivered: null, read: null },
    };
    const json = JSON.stringify(envelope);
    this.#ctx.store.transaction(() => {
      this.#repo.insert(message, json, null);
      outbox.enqueueTo(OUTBOX_DIRECT_KIND, message.id, to, json);
    });
    await this.#ctx.store.durable();
    // Announced before it leaves, so that `chat:message` always comes before its `chat:mark`.
    this.#ctx.events.emit('chat:message', { ...message, from: null });
    outbox.flushTo(to);
    this.#gossip.publish(CHAT_DIRECT_TOPIC, envelope);
    return message;
  }

  /** The newest messages with `peer`, oldest first. @throws ChatRequestError */
  conversation(peer: string, options: { limit?: number; before?: string } = {}): DirectMessage[] {
    if (typeof peer !== 'string' || !HEX64.test(peer)) throw new ChatRequestError('with must be a node ID (64 lowercase hex characters)');
    const page = pageOf(options, (id) => this.#repo.get(id));
    return this.#repo.conversation(peer, page.limit, page.before);
  }

  /** Every conversation, the most recent first; a name not yet heard in a message is taken from the live peer's Hello. */
  conversations(): Conversation[] {
    return this.#repo.conversations().map((c) => (c.name === null ? { ...c, name: this.#ctx.peers.get(c.with)?.name ?? null } : c));
  }

  /**
   * Mark every received message from `peer` read. Its author gets one signed read receipt for
   * the newest of them, which stands for all earlier ones too (gossiped at once, and kept in
   * the outbox for the author, one row per author, until a direct connection delivers it).
   * Returns how many were marked.
   */
  async read(peer: string): Promise<number> {
    if (typeof peer !== 'string' || !HEX64.test(peer)) throw new ChatRequestError('with must be a node ID (64 lowercase hex characters)');
    const at = this.#ctx.clock.physical();
    const { count, receipt } = this.#ctx.store.transaction(() => {
      const ids = this.#repo.markReadFrom(peer, at);
      if (ids.length === 0) return { count: 0, receipt: null };
      const r = signReceipt(this.#ctx.identity, { id: ids[ids.length - 1]!, to: peer, mark: 'read', at });
      this.#outbox?.enqueueTo(OUTBOX_RECEIPT_KIND, 'read', peer, JSON.stringify(r));
      return { count: ids.length, receipt: r };
    });
    if (!receipt) return 0;
    await this.#ctx.store.durable();
    this.#outbox?.flushTo(peer);
    this.#gossip?.publish(CHAT_RECEIPT_TOPIC, receipt);
    return count;
  }

  /**
   * Take in an envelope (gossip, or a `DirectMessage` request): checked already. Not for this
   * node: nothing (relayed by gossip). For it: decrypt, store once, emit, receipt.
   * @returns the delivered receipt when the message is this node's (new or a duplicate), else null
   * @throws InvalidChatMessageError when it cannot be opened (DECRYPT_FAILED)
   */
  receive(env: DirectEnvelope, from: string | null): DirectReceipt | null {
    if (env.to !== this.#ctx.identity.nodeId || !this.#keys) return null;
    this.learnKey(env.senderKey);
    this.#p.clock.observe(env.lamport);
    const known = this.#repo.get(env.id);
    if (known) {
      // A replay, or a resend whose receipt was lost: nothing is stored or emitted again; the
      // receipt is signed again (the same bytes: same time, deterministic Ed25519).
      const again = signReceipt(this.#ctx.identity, { id: env.id, to: env.author, mark: 'delivered', at: known.marks.sent });
      this.#gossip?.publish(CHAT_RECEIPT_TOPIC, again);
      return again;
    }
    let content;
    try {
      content = openDirect(this.#keys, env);
    } catch (err) {
      if (err instanceof InvalidChatMessageError) {
        this.#ctx.events.emit('warning', { code: err.code, message: `direct message ${env.id.slice(0, 12)} from ${env.author.slice(0, 12)} refused: ${err.message}`, nodeId: from ?? undefined });
      }
      throw err;
    }
    const now = this.#ctx.clock.physical();
    const message: DirectMessage = { id: env.id, author: env.author, to: env.to, name: content.name, text: content.text, lamport: env.lamport, outgoing: false, marks: { sent: now, delivered: now, read: null } };
    this.#repo.insert(message, null, from);
    // The delivered receipt is not queued: until it arrives, the author resends the message (outbox and gossip), and a resend is answered with it again.
    const receipt = signReceipt(this.#ctx.identity, { id: env.id, to: env.author, mark: 'delivered', at: now });
    this.#gossip?.publish(CHAT_RECEIPT_TOPIC, receipt);
    this.#ctx.events.emit('chat:message', { ...message, from });
    return receipt;
  }

  /**
   * A receipt (checked or not) for a message this node sent: set its mark, settle the outbox.
   * Others' receipts are left to gossip. @throws InvalidChatMessageError for a bad receipt
   */
  onReceipt(value: unknown): void {
    this.#applyReceipt(verifyReceipt(value));
  }

  #applyReceipt(r: DirectReceipt): void {
    if (r.to !== this.#ctx.identity.nodeId) return;
    const mine = this.#repo.get(r.id);
    if (!mine || !mine.outgoing || mine.to !== r.by) return; // not ours, or signed by someone else than its recipient
    this.#outbox?.settle(OUTBOX_DIRECT_KIND, r.id);
    const marks: ChatMarkEvent[] = this.#ctx.store.transaction(() => {
      const out: ChatMarkEvent[] = [];
      if (this.#repo.markDelivered(r.id, r.at)) out.push({ id: r.id, with: r.by, mark: 'delivered', at: r.at });
      // A read receipt stands for the message and every earlier one sent to its reader.
      if (r.mark === 'read') for (const id of this.#repo.markReadUpTo(r.by, mine.lamport, r.at)) out.push({ id, with: r.by, mark: 'read', at: r.at });
      return out;
    });
    for (const m of marks) this.#ctx.events.emit('chat:mark', m);
  }

  /** `DirectMessage` request: check, take in, reply with the delivered receipt. */
  onDirectMessage(envelope: Envelope<unknown>, peer: Peer): void {
    try {
      // No author rate here: a request comes from its author's outbox, which bounds itself.
      const env = this.#checkEnvelope(envelope.body, false);
      if (env.to !== this.#ctx.identity.nodeId) {
        peer.connection.replyError(envelope, 'NOT_RECIPIENT', 'this node is not the recipient; send direct messages to their recipient, or gossip them');
        return;
      }
      const receipt = this.receive(env, peer.nodeId);
      peer.connection.reply(envelope, 'DirectReceipt', receipt);
    } catch (err) {
      if (!(err instanceof InvalidChatMessageError)) throw err;
      if (err.penalty > 0) this.#ctx.peers.penalize(peer.nodeId, err.penalty, 'INVALID_DIRECT_MESSAGE', err.message);
      peer.connection.replyError(envelope, err.code, err.message);
    }
  }

  /** `DirectMark` request: a receipt for a message this node sent, acknowledged with `DirectMarkAck`. */
  onDirectMark(envelope: Envelope<unknown>, peer: Peer): void {
    try {
      this.onReceipt(envelope.body);
      peer.connection.reply(envelope, 'DirectMarkAck', { id: (envelope.body as DirectReceipt).id });
    } catch (err) {
      if (!(err instanceof InvalidChatMessageError)) throw err;
      this.#ctx.peers.penalize(peer.nodeId, err.penalty, 'INVALID_DIRECT_MESSAGE', err.message);
      peer.connection.replyError(envelope, err.code, err.message);
    }
  }

  #checkEnvelope(payload: unknown, rateLimited = true): DirectEnvelope {
    const env = verifyDirectEnvelope(payload, MAX_DIRECT_CIPHERTEXT_CHARS);
    this.#p.check(env.lamport);
    if (rateLimited) this.#p.rate.take(env.author);
    return env;
  }

  /** Gossip again what has no delivered receipt yet (after the seen cache forgot it), for recipients not connected to this node. */
  #schedule(): void {
    this.#timer = setTimeout(() => {
      for (const pending of this.#repo.undelivered()) {
        try {
          this.#gossip?.publish(CHAT_DIRECT_TOPIC, JSON.parse(pending.envelope));
        } catch {
          // A stored envelope is one this node made; nothing to do if gossip refuses it.
        }
      }
      this.#schedule();
    }, this.#resendIntervalMs);
    this.#timer.unref();
  }
}

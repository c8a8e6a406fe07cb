/**
 * Outbox: broadcasts that must reach every known peer, even across restarts.
 *
 * Data flow: a capability enqueues a record -> one row per known peer in
 * `pending_contract_broadcasts` (store) and in memory -> the caller awaits durability ->
 * delivery to connected peers now, to others when they connect, retried on an interval ->
 * the peer's acknowledgement deletes the row; `maxRetries` failures drop it with a warning.
 */
export { Outbox, type OutboxComponents, type OutboxInit, type OutboxEvents, type DeliverFn } from './outbox.js';
export { MAX_RETRIES, RETRY_INTERVAL_MS, ACK_TIMEOUT_MS, MAX_IN_FLIGHT_PER_PEER } from './constants.js';
export { outbox } from './capability.js';
export { OutboxRepository, type OutboxEntry, type OutboxTable, SHARED_OUTBOX_TABLE } from './repository.js';
export { type OutboxKind, NODE_ADDRESS_PREFIX } from './outbox.js';
export { OUTBOX_MIGRATIONS } from './migrations.js';

/** The gossip topic chat messages travel on. */
export const CHAT_TOPIC = 'chat';
/** The gossip topics of direct messages (sealed envelopes), their receipts, and ChatKeys. */
export const CHAT_DIRECT_TOPIC = 'chat-direct';
export const CHAT_RECEIPT_TOPIC = 'chat-receipt';
export const CHAT_KEY_TOPIC = 'chat-key';
/** Outbox kinds: a direct message for its recipient (key: message ID); the newest read receipt for an author (key: `read`). */
export const OUTBOX_DIRECT_KIND = 'chat-direct';
export const OUTBOX_RECEIPT_KIND = 'chat-receipt';
/** Pause between gossip resends of direct messages without a delivered receipt (ms): longer than gossip's seen-cache TTL (120 s), so the resend is not dropped as seen. */
export const DIRECT_RESEND_INTERVAL_MS = 150_000;
/** The `purpose` string bound into every chat message signature (domain separation). */
export const CHAT_PURPOSE = 'plexus-chat-message';
/** The room every node is in and cannot leave. */
export const DEFAULT_ROOM = 'general';
/** A room name: lowercase letters, digits, `-` and `_`, 1 to 64 characters, starting with a letter or digit. */
export const ROOM_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
/** Longest text, in Unicode code points (at least 1). */
export const MAX_TEXT_CHARS = 4000;
/** Longest display name, in Unicode code points (as the node's `name` option). */
export const MAX_NAME_CHARS = 64;
/**
 * Longest `ciphertext` of a direct message (base64url characters): the sealed content
 * {name, salt, text} at its largest (every code point escaped as 6 bytes of JSON), plus the
 * 16-byte tag.
 */
export const MAX_DIRECT_CIPHERTEXT_CHARS = Math.ceil((((MAX_TEXT_CHARS + MAX_NAME_CHARS) * 6 + 64 + 16) * 4) / 3);
/** Messages (room and direct) one author may have accepted per second, and the burst (token bucket). */
export const CHAT_AUTHOR_RATE = 5;
export const CHAT_AUTHOR_BURST = 30;
/** Points for relaying a message over its author's rate. */
export const CHAT_FLOOD_PENALTY = 2;
/** Catch-up: most messages and oldest age (ms) one sync brings per room. */
export const SYNC_MAX_MESSAGES = 1000;
export const SYNC_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Catch-up asks from this long before the newest stored timestamp of a room (ms), for messages that arrived out of order. */
export const SYNC_OVERLAP_MS = 5 * 60 * 1000;
/** Most ChatKeys one ChatHistory carries. */
export const SYNC_MAX_KEYS = 1000;
/**
 * Largest amount a message's Lamport timestamp may be ahead of this node's physical clock
 * (ms); further ahead it is refused (CLOCK_DRIFT), as the hybrid clock refuses timestamps.
 */
export const CHAT_MAX_DRIFT_MS = 60 * 60 * 1000;
/** Messages `history()` returns when no limit is given, and the most it returns. */
export const HISTORY_DEFAULT_LIMIT = 100;
export const HISTORY_MAX_LIMIT = 1000;
/** Points for a message that fails the schema or size checks. */
export const CHAT_INVALID_PENALTY = 10;
/** Points for a wrong id, a key that is not the author's, or a signature that does not verify. */
export const CHAT_FORGED_PENALTY = 25;
/** Points for a Lamport timestamp too far in the future: none (an honest clock may be wrong), but it is refused. */
export const CHAT_DRIFT_PENALTY = 0;

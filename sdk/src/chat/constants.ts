/** The gossip topic chat messages travel on. */
export const CHAT_TOPIC = 'chat';
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

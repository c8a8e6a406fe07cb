/** Size of a block, the unit of request and transfer (bytes, BEP 3's customary 16 KiB). */
export const BLOCK_SIZE = 16 * 1024;
/** Default piece length (bytes); pieces are hashed and verified whole. */
export const PIECE_LENGTH = 256 * 1024;
/** Piece length grows (powers of two) so that a manifest lists at most this many pieces. */
export const MAX_PIECES = 8192;
/** A peer that has requests in flight and delivers nothing for this long is snubbed (ms); libtorrent uses 20 s. */
export const SNUB_TIMEOUT_MS = 20_000;
/** Requests in flight per peer: at least this many. */
export const MIN_PIPELINE = 4;
/** ...and at most this many. */
export const MAX_PIPELINE = 128;
/** The pipeline holds about this much time of a peer's measured rate (s). */
export const PIPELINE_SECONDS = 0.5;
/** How often progress is reported and snubs are checked (ms). */
export const PROGRESS_INTERVAL_MS = 250;
/** Window over which transfer rates are measured (ms). */
export const RATE_WINDOW_MS = 2_000;
/** Socket buffer above which a seeder waits before sending more blocks (bytes). */
export const SEND_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** How often running downloads ask non-source peers again whether they have the file (ms). */
export const REDISCOVER_INTERVAL_MS = 5_000;
/** Most block requests one peer may have queued at a seeder; more are rejected. */
export const MAX_QUEUED_REQUESTS = 512;
/** Score points for a block that makes its piece fail verification. */
export const BAD_PIECE_PENALTY = 20;
/** The first byte of a binary frame carrying a block (BEP 3's "piece" message). */
export const FRAME_BLOCK = 0x01;
/** Header of a block frame: kind (1) + file ID (32) + piece (4) + offset (4). */
export const BLOCK_HEADER_BYTES = 41;

/** Chain constants (docs/protocol.md §21). Every consensus figure here is part of the protocol. */

/** Header layout version. */
export const BLOCK_VERSION = 1;
/** Bytes of an encoded header (docs/protocol.md §21.3). */
export const HEADER_BYTES = 184;
/** Largest block, in bytes of its canonical JSON (fits a gossip payload, §17). */
export const MAX_BLOCK_BYTES = 60 * 1024;
/** Most transactions in one block. */
export const MAX_BLOCK_TXS = 1000;
/** Largest transaction, in bytes of its canonical JSON. */
export const MAX_TX_BYTES = 16 * 1024;
/** Coins a block's miner creates (smallest units), besides the block's fees. */
export const BLOCK_REWARD = 1_000_000;
/** The easiest target: about one hash in two meets it ("trivial difficulty"). */
export const TRIVIAL_TARGET = '7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
/** Blocks whose times the timestamp rule takes the median of (Bitcoin: 11). */
export const MEDIAN_TIME_SPAN = 11;
/** How far ahead of this node's clock a block's time may be (ms). */
export const MAX_FUTURE_BLOCK_MS = 5_000;
/** Retargeting clamps the measured timespan to [expected / 4, expected * 4] (as Bitcoin). */
export const RETARGET_CLAMP = 4;
/** Default target block time of interval mining and retargeting (ms). */
export const BLOCK_TIME_MS = 10_000;
/**
 * Wall-clock bound of one contract run while validating a block (ms): about 30 times what a
 * run to the gas limit takes on the reference node, so no honest block comes near it on any
 * machine; a block that passes it is refused (BLOCK_TOO_EXPENSIVE, docs/protocol.md §21.14).
 */
export const CONTRACT_VALIDATE_BOUND_MS = 30_000;
/** Wall-clock bound of one contract run when building a block template or answering a view (ms); policy. */
export const CONTRACT_POLICY_BOUND_MS = 10_000;
/** A transaction submitted through this node is kept (and resent) until this many blocks confirm it (1 = in the tip). */
export const LOCAL_TX_DEPTH = 6;
/** Most transactions in one `Txs` notice. */
export const MAX_TXS_MESSAGE = 64;
/** Automine: how long a transaction relayed by a peer waits before this node mines it (ms); its submitter's miner goes first. */
export const AUTOMINE_RELAYED_DELAY_MS = 500;
/** Most headers in one Headers reply. */
export const MAX_HEADERS = 2000;
/** Most hashes in a locator. */
export const MAX_LOCATOR = 64;
/** Most blocks asked in one GetBlocks (8 x 60 KiB stays under the 1 MiB frame limit). */
export const MAX_GET_BLOCKS = 8;
/** Default time a sync request waits for its reply (ms). */
export const SYNC_TIMEOUT_MS = 10_000;
/** A replacement (same sender, same nonce) needs fee >= old fee * (100 + this) / 100. */
export const REPLACEMENT_BUMP_PERCENT = 10;
/** Default mempool size cap (transactions). */
export const MEMPOOL_MAX_TXS = 5000;
/** Nonces beyond the sender's account nonce the mempool holds (the future-nonce bound). */
export const MEMPOOL_MAX_FUTURE_NONCES = 64;
/** Transactions one peer may relay per second (token bucket), and its burst. */
export const TX_PEER_RATE = 200;
export const TX_PEER_BURST = 400;
/**
 * Consensus: gas units one deploy or call may use (§21.14): polls of QuickJS's interrupt
 * handler, about 10,000 bytecode operations each (the contracts sandbox's unit and default).
 */
export const CONTRACT_GAS_LIMIT = 2_000;
/**
 * Consensus: heap limit of one deploy or call run (bytes, §21.14): QuickJS's own limit, and the
 * growth allowed to the run's WebAssembly memory beyond the build's initial 16 MiB (whose spare
 * part is reserved), so about what a run can truly allocate. The same as the replicated mode's:
 * every run starts from the same memory image, so filling it takes a fraction of a 2,000-gas
 * loop (bench/gas.mjs), and a 256 KiB state of 87,000 empty arrays (about 10 MiB) still fits.
 */
export const CONTRACT_MEMORY_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long waitForReceipt() and the contract routes wait for a transaction's block by default (ms). */
export const RECEIPT_WAIT_MS = 60_000;
/** Hashes the mining worker tries between looks at its inbox. */
export const MINER_BATCH = 20_000;
/** Signature purposes (docs/protocol.md §21.2, §21.4). */
export const TX_PURPOSE = 'plexus-chain-tx';
export const BLOCK_PURPOSE = 'plexus-chain-block';
/** Gossip topics. */
export const TX_TOPIC = 'chain-tx';
export const BLOCK_TOPIC = 'chain-block';

/** Points a peer loses (100 = the ban threshold: disconnected and discouraged at once). */
export const CHAIN_PENALTY = {
  /** An invalid block (any consensus rule), or a body that does not match its header. */
  INVALID_BLOCK: 100,
  /** A transaction whose signature, hash or form is wrong. */
  INVALID_TX: 20,
  /** A Headers reply that does not link or lacks proof of work. */
  INVALID_HEADERS: 100,
} as const;

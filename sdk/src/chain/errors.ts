import { PlexusError } from '../errors.js';

/**
 * A transaction refused (form, signature, nonce, funds, mempool rules). Codes: INVALID_TX,
 * TX_KNOWN, TX_NONCE_TOO_LOW, TX_NONCE_TOO_HIGH, TX_INSUFFICIENT_FUNDS,
 * TX_REPLACEMENT_UNDERPRICED, TX_POOL_FULL. `penalty`: points its relaying peer loses.
 */
export class TxRejectedError extends PlexusError {
  readonly penalty: number;
  constructor(code: string, message: string, penalty = 0) {
    super(code, message);
    this.penalty = penalty;
  }
}

/**
 * A block refused. `code` names the rule (docs/protocol.md §21.6): BLOCK_MALFORMED,
 * BLOCK_TOO_LARGE, KNOWN_INVALID, BAD_POW, UNKNOWN_PARENT, INVALID_PARENT, BAD_VERSION,
 * BAD_HEIGHT, BAD_DIFFICULTY, BAD_TIME, TIME_TOO_NEW, BAD_SIGNATURE, BAD_MERKLE_ROOT, BAD_TX,
 * LOW_WORK, BAD_NONCE, OVERSPEND, BAD_STATE_ROOT. `marksInvalid`: whether the block hash itself
 * is marked invalid (false for a body that does not match its header, a bad miner signature, a
 * time too far ahead, an unknown parent, a low-work unsolicited block, a bad form or PoW).
 */
export class BlockRejectedError extends PlexusError {
  readonly marksInvalid: boolean;
  readonly hash: string;
  constructor(code: string, message: string, hash: string, marksInvalid: boolean) {
    super(code, message);
    this.marksInvalid = marksInvalid;
    this.hash = hash;
  }
}

/** A block or transaction asked for that this node does not have. Code `NOT_FOUND`. */
export class ChainNotFoundError extends PlexusError {
  constructor(what: string) {
    super('NOT_FOUND', `no such ${what}`);
  }
}

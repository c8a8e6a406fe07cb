import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from './constants.js';
import { ChatRequestError } from './errors.js';

export interface HistoryOptions {
  /** Most messages (default 100, at most 1000): the newest ones before `before`. */
  limit?: number;
  /** A message ID: only messages ordered before it. */
  before?: string;
}

/**
 * A history request's page: `limit` (default 100, 1..1000) and the stored message `before` is.
 * @throws ChatRequestError for a bad limit or an unknown `before`
 */
export function pageOf<M>(options: HistoryOptions, lookup: (id: string) => M | undefined): { limit: number; before: M | undefined } {
  const limit = options.limit ?? HISTORY_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) throw new ChatRequestError(`limit must be 1..${HISTORY_MAX_LIMIT}`);
  if (options.before === undefined) return { limit, before: undefined };
  const before = lookup(options.before);
  if (!before) throw new ChatRequestError(`no stored message ${options.before}`);
  return { limit, before };
}


/** What the extension reads from a contract's source text (commands and the contract panel both use it). */

/**
 * The parameters a contract function takes after (state, ctx), from its source:
 * `export function increment(state, ctx, by = 1)` gives `by = 1`. Empty when not found.
 */
export function paramsOf(source: string, fn: string): string {
  const m = new RegExp(`export\\s+(?:async\\s+)?function\\s+${fn}\\s*\\(([^)]*)\\)`).exec(source);
  if (!m) return '';
  return m[1]!
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .slice(2)
    .join(', ');
}

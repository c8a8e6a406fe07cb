/**
 * Delay before redial attempt `failures` (1 = first retry): exponential, capped, with
 * "equal jitter" (half fixed, half random) so that nodes that lost each other at the same
 * moment do not redial in lockstep. Returns ms in [d/2, d] where d = min(max, base·2^(failures-1)).
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

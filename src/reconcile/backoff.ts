/** Exponential backoff with jitter: 200 ms doubling to `capMs`, half fixed and half random; or the provider's Retry-After. */
export function backoff(
  attempt: number,
  retryAfterMs?: number,
  capMs = 10_000,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = Math.min(capMs, 200 * 2 ** Math.min(Math.max(attempt - 1, 0), 16));
  return cap / 2 + random() * (cap / 2);
}

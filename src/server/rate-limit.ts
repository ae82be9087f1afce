/** A token bucket: `tokens` left at time `at`. */
export interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Takes one request from a bucket refilled at `ratePerSec` up to `burst`: the new bucket, and
 * when refused, how long until one request is allowed (ms).
 */
export function takeFromBucket(
  bucket: Bucket | undefined,
  now: number,
  ratePerSec: number,
  burst: number,
): { bucket: Bucket; allowed: boolean; retryAfterMs: number } {
  const prev = bucket ?? { tokens: burst, at: now };
  const tokens = Math.min(burst, prev.tokens + ((now - prev.at) / 1000) * ratePerSec);
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, at: now }, allowed: true, retryAfterMs: 0 };
  return { bucket: { tokens, at: now }, allowed: false, retryAfterMs: Math.ceil(((1 - tokens) / ratePerSec) * 1000) };
}

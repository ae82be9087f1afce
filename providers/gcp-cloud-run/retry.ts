/**
 * The Cloud Run provider's bounded retry of one SDK call: the contract's one exception, written
 * down in src/provider/provider.ts and docs/DESIGN.md. The other SDKs retry a call within their
 * own bound (the AWS SDK's standard 3 attempts, core-rest-pipeline's 3 retries); @google-cloud/run
 * over REST makes exactly one attempt, because gax retries only errors whose `code` is a gRPC
 * status and the REST transport's GaxiosError carries none. This restores such a bound: at most
 * `attempts` tries of retryable errors (429, 408, 5xx, network, 409 ABORTED), 250 ms doubling up to
 * `maxDelayMs` or the server's Retry-After when longer (capped the same), honouring `signal`
 * between tries; then the error surfaces classified, with its `retryAfterMs`, for the reconciler.
 */
import type { ProviderError } from '../../src/errors/index.js';
import { throwIfAborted } from '../../src/provider/kit/abort-error.js';
import type { Clock } from '../../src/util/clock.js';
import { toProviderError } from './errors.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 };

export interface RetryContext {
  target: string;
  /** The operation named in errors, e.g. `apply: getService`. */
  operation: string;
  policy: RetryPolicy;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

/** Runs one SDK call with the bounded retry; anything it throws leaves as a classified ProviderError. */
export async function withRetry<T>(fn: () => Promise<T>, ctx: RetryContext): Promise<T> {
  const { policy, clock, signal } = ctx;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal, site(ctx.target, ctx.operation));
    let err: ProviderError;
    try {
      return await fn();
    } catch (e) {
      err = toProviderError(e, ctx.target, ctx.operation, clock.now());
    }
    if (!err.retryable || attempt >= policy.attempts) throw err;
    const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
    await sleep(clock, Math.min(Math.max(backoff, err.retryAfterMs ?? 0), policy.maxDelayMs), ctx.target, signal);
  }
}

/** Waits on the provider's clock; an abort of `signal` meanwhile is the kit's abort error. */
export async function sleep(clock: Clock, ms: number, target: string, signal?: AbortSignal): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch {
    throwIfAborted(signal, site(target, 'wait'));
  }
}

function site(target: string, operation: string) {
  return { provider: 'gcp-cloud-run', target, operation };
}

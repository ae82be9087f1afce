import { isRetryable } from '../errors/index.js';
import type { IdentityToken, Provider } from '../provider/provider.js';
import type { Clock } from '../util/clock.js';

/**
 * Identity tokens for the endpoints that need one (Cloud Run with its invoker check on: an
 * endpoint's `identityAudience`), per audience, from the target's provider
 * (`Provider.identityToken`) and renewed before they expire. `token` answers synchronously from
 * the cache (it sits on the load balancer's per-request path); `ensure` fetches a token that is
 * missing or about to expire, once at a time per audience. Tokens are credentials: nothing here
 * logs them, and a failure is reported with the target and audience only. After a failure the
 * audience is not asked again (nor reported again) until its backoff ends: 1 s doubling up to
 * 1 min for a retryable error, 5 min for a terminal one (no credentials that can mint tokens).
 */
export class IdentityTokens {
  private readonly cache = new Map<string, { token: IdentityToken; target: string }>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Audiences whose last fetch failed: not before `until`, `failures` in a row. */
  private readonly backoff = new Map<string, { until: number; failures: number }>();

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly clock: Clock,
    private readonly options: {
      /** Renew this long before expiry. Default 5 minutes (ID tokens last an hour). */
      renewBeforeMs?: number;
      /** Longest wait for one token (then reported, retried after the backoff). Default 10 s. */
      fetchTimeoutMs?: number;
      /** A token could not be had (the requests then go without one, and the platform refuses them). */
      onError?: (target: string, audience: string, error: Error) => void;
    } = {},
  ) {}

  /** The audience's token while it is valid, renewing it in the background when it is about to expire. */
  readonly token = (audience: string): string | undefined => {
    const e = this.cache.get(audience);
    if (!e) return undefined;
    const left = e.token.expiresAt - this.clock.now();
    if (left <= 0) return undefined;
    if (left < (this.options.renewBeforeMs ?? 300_000)) void this.ensure(e.target, audience);
    return e.token.token;
  };

  /** Fetches the audience's token from `target`'s provider unless a fresh one is cached. */
  ensure(target: string, audience: string): Promise<void> {
    const e = this.cache.get(audience);
    if (e && e.token.expiresAt - this.clock.now() >= (this.options.renewBeforeMs ?? 300_000)) return Promise.resolve();
    const running = this.pending.get(audience);
    if (running) return running;
    const waiting = this.backoff.get(audience);
    if (waiting && this.clock.now() < waiting.until) return Promise.resolve();
    const provider = this.providers.get(target);
    if (!provider?.identityToken) {
      this.failed(target, audience, new Error(`target ${target} cannot issue identity tokens`), false);
      return Promise.resolve();
    }
    // a token endpoint or metadata server that does not answer holds the traffic update only so long
    const waitMs = this.options.fetchTimeoutMs ?? 10_000;
    const fetch = new AbortController();
    const timer = new AbortController();
    let timedOut = false;
    const fetched = provider
      .identityToken(audience, { signal: fetch.signal, reason: 'identity token' })
      .then((token) => {
        this.cache.set(audience, { token, target });
        this.backoff.delete(audience);
      })
      .catch((err: unknown) => {
        if (!timedOut)
          this.failed(target, audience, err instanceof Error ? err : new Error(String(err)), isRetryable(err));
      })
      .finally(() => timer.abort());
    const timeout = this.clock.sleep(waitMs, timer.signal).then(
      () => {
        timedOut = true;
        fetch.abort();
        this.failed(target, audience, new Error(`no answer within ${waitMs} ms`), true);
      },
      () => undefined, // the fetch finished first
    );
    const p = Promise.race([fetched, timeout]).finally(() => this.pending.delete(audience));
    this.pending.set(audience, p);
    return p;
  }

  private failed(target: string, audience: string, error: Error, retryable: boolean): void {
    const failures = (this.backoff.get(audience)?.failures ?? 0) + 1;
    const wait = retryable ? Math.min(60_000, 1000 * 2 ** (failures - 1)) : 300_000;
    this.backoff.set(audience, { until: this.clock.now() + wait, failures });
    this.options.onError?.(target, audience, error);
  }
}

import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors/index.js';
import type { IdentityToken, Provider } from '../../../src/provider/provider.js';
import { IdentityTokens } from '../../../src/reconcile/identity-tokens.js';
import { ManualClock } from '../../../src/util/clock.js';

// The controller's cache of identity tokens (Cloud Run's invoker check): fetched once per audience
// before an endpoint needs it, answered synchronously, renewed before expiry, never two fetches
// of one audience at once, and a failure reported without a token.

function world(fetch: (audience: string, n: number) => Promise<IdentityToken>) {
  const clock = new ManualClock();
  let calls = 0;
  const provider = {
    target: 'gcr',
    identityToken: (audience: string) => fetch(audience, ++calls),
  } as unknown as Provider;
  const errors: string[] = [];
  const tokens = new IdentityTokens(new Map([['gcr', provider]]), clock, {
    onError: (target, audience, err) => errors.push(`${target} ${audience}: ${err.message}`),
  });
  return { clock, tokens, errors, calls: () => calls };
}

describe('IdentityTokens', () => {
  it('fetches once, answers from the cache, renews 5 minutes before expiry, drops an expired token', async () => {
    const w = world(async (_a, n) => ({ token: `t${n}`, expiresAt: w.clock.now() + 3_600_000 }));
    expect(w.tokens.token('https://a')).toBeUndefined();
    await Promise.all([w.tokens.ensure('gcr', 'https://a'), w.tokens.ensure('gcr', 'https://a')]);
    expect(w.calls()).toBe(1);
    expect(w.tokens.token('https://a')).toBe('t1');
    await w.tokens.ensure('gcr', 'https://a'); // fresh: no call
    expect(w.calls()).toBe(1);
    w.clock.advance(3_600_000 - 299_000); // within the renewal margin: still answered, renewed behind
    expect(w.tokens.token('https://a')).toBe('t1');
    expect(w.calls()).toBe(2); // the renewal started behind the answer, not by the ensure below
    await w.tokens.ensure('gcr', 'https://a'); // joins it
    expect(w.calls()).toBe(2);
    expect(w.tokens.token('https://a')).toBe('t2');
    w.clock.advance(3_600_000);
    expect(w.tokens.token('https://a')).toBeUndefined();
  });

  it('a provider that fails, or a target that cannot issue tokens: reported, no token, no secret in the report', async () => {
    const w = world(async () => {
      throw new Error('token endpoint 503');
    });
    await w.tokens.ensure('gcr', 'https://a');
    await w.tokens.ensure('docker', 'https://b');
    expect(w.tokens.token('https://a')).toBeUndefined();
    expect(w.errors).toEqual([
      'gcr https://a: token endpoint 503',
      'docker https://b: target docker cannot issue identity tokens',
    ]);
  });

  it('after a failure: no call and no report until the backoff ends (retryable: 1 s doubling; terminal: 5 min)', async () => {
    let fail: Error | undefined = new ProviderError('token endpoint 503', {
      provider: 'gcp-cloud-run',
      retryable: true,
    });
    const w = world(async (_a, n) => {
      if (fail) throw fail;
      return { token: `t${n}`, expiresAt: w.clock.now() + 3_600_000 };
    });
    await w.tokens.ensure('gcr', 'https://a'); // fails: backoff 1 s
    await w.tokens.ensure('gcr', 'https://a'); // within it: nothing
    expect([w.calls(), w.errors.length]).toEqual([1, 1]);
    w.clock.advance(1000);
    await w.tokens.ensure('gcr', 'https://a'); // fails again: backoff 2 s
    w.clock.advance(1999);
    await w.tokens.ensure('gcr', 'https://a');
    expect([w.calls(), w.errors.length]).toEqual([2, 2]);
    w.clock.advance(1);
    fail = undefined;
    await w.tokens.ensure('gcr', 'https://a');
    expect(w.tokens.token('https://a')).toBe('t3');
    expect(w.calls()).toBe(3);

    // a terminal failure (no credentials that mint ID tokens): asked again only after 5 minutes
    fail = new ProviderError('no credentials', { provider: 'gcp-cloud-run', retryable: false });
    await w.tokens.ensure('gcr', 'https://b');
    w.clock.advance(299_999);
    await w.tokens.ensure('gcr', 'https://b');
    expect(w.calls()).toBe(4);
    w.clock.advance(1);
    await w.tokens.ensure('gcr', 'https://b');
    expect(w.calls()).toBe(5);
  });

  it('a fetch that does not answer: given up after the timeout (aborted, reported, backed off), a late answer still counts', async () => {
    let answer!: (t: IdentityToken) => void;
    let signal: AbortSignal | undefined;
    const clock = new ManualClock();
    const provider = {
      target: 'gcr',
      identityToken: (_a: string, o?: { signal?: AbortSignal }) => {
        signal = o?.signal;
        return new Promise<IdentityToken>((r) => {
          answer = r;
        });
      },
    } as unknown as Provider;
    const errors: string[] = [];
    const tokens = new IdentityTokens(new Map([['gcr', provider]]), clock, {
      fetchTimeoutMs: 5000,
      onError: (_t, _a, e) => errors.push(e.message),
    });
    let done = false;
    const p = tokens.ensure('gcr', 'https://a').then(() => {
      done = true;
    });
    await Promise.resolve();
    clock.advance(4999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(errors).toEqual(['no answer within 5000 ms']);
    expect(signal?.aborted).toBe(true);
    expect(tokens.token('https://a')).toBeUndefined();
    answer({ token: 'late', expiresAt: clock.now() + 3_600_000 });
    await Promise.resolve();
    await Promise.resolve();
    expect(tokens.token('https://a')).toBe('late');
    expect(errors).toHaveLength(1);
  });
});

/**
 * Call log for the REST transport. gax's fallback stub sends every request through
 * `auth.fetch(url, init)` of the auth object it was given (google-gax fallbackServiceStub.js), so the
 * provider hands the client a Proxy of its auth client whose `fetch` records one CallLogEntry per
 * HTTP request: each retry the provider makes is a new fetch, so each attempt is its own line, with
 * its status. What is recorded, and where, follows the provider kit (the call scope's recorder).
 * The gRPC transport does not use fetch and is not recorded.
 */
import { currentCallScope } from '../../src/provider/kit/call-scope.js';

function urlOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return String((input as { url?: unknown })?.url ?? '');
}

/** A Proxy of `auth` whose `fetch` records each request; everything else is the original, bound to it. */
export function loggingAuth<T extends object>(auth: T): T {
  const fetch = (auth as { fetch?: (...a: unknown[]) => Promise<{ status: number }> }).fetch;
  if (typeof fetch !== 'function') return auth;
  const recordingFetch = async (input: unknown, init?: { method?: string; headers?: unknown; body?: unknown }) => {
    const done = currentCallScope()?.recorder?.begin({
      method: init?.method ?? 'GET',
      url: urlOf(input),
      headers: init?.headers,
      body: init?.body,
    });
    try {
      const res = await fetch.call(auth, input, init);
      done?.(res.status);
      return res;
    } catch (err) {
      const e = err as { response?: { status?: number }; status?: number };
      done?.(e.response?.status ?? (typeof e.status === 'number' ? e.status : null));
      throw err;
    }
  };
  return new Proxy(auth, {
    get(t, prop) {
      if (prop === 'fetch') return recordingFetch;
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(t, prop, value) {
      return Reflect.set(t, prop, value, t);
    },
  });
}

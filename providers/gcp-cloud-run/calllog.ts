/**
 * Call log for the REST transport. gax's fallback stub sends every request through
 * `auth.fetch(url, init)` of the auth object it was given (google-gax fallbackServiceStub.js), so the
 * provider hands the client a Proxy of its auth client whose `fetch` records one CallLogEntry per
 * HTTP request: each retry the provider makes is a new fetch, so each attempt is its own line, with
 * its status. Which deployment and why (the plan action, or `observe`) come from an
 * AsyncLocalStorage context set around each provider call. The gRPC transport does not use fetch
 * and is not recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type CallLog, redactBody, redactHeaders } from '../../src/calllog/index.js';
import type { Clock } from '../../src/util/clock.js';

export interface CallContext {
  deployment: string | null;
  reason: string;
  /** Secret values that must never appear in a logged body. */
  secrets: readonly string[];
}

export const callContext = new AsyncLocalStorage<CallContext>();

function headersOf(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as Headers).forEach === 'function' && typeof (h as Headers).get === 'function') {
    (h as Headers).forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, unknown>))
    if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

function bodyOf(b: unknown): unknown {
  if (b === undefined || b === null) return null;
  const text = typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : undefined;
  if (text === undefined || text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function urlOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return String((input as { url?: unknown })?.url ?? '');
}

/** A Proxy of `auth` whose `fetch` records each request; everything else is the original, bound to it. */
export function loggingAuth<T extends object>(auth: T, log: CallLog, target: string, clock: Clock): T {
  const fetch = (auth as { fetch?: (...a: unknown[]) => Promise<{ status: number }> }).fetch;
  if (typeof fetch !== 'function') return auth;
  const recordingFetch = async (input: unknown, init?: { method?: string; headers?: unknown; body?: unknown }) => {
    const ctx = callContext.getStore();
    const started = performance.now();
    const time = new Date(clock.now()).toISOString();
    const write = (status: number | null) => {
      try {
        log.record({
          time,
          cloud: 'gcp-cloud-run',
          target,
          method: (init?.method ?? 'GET').toUpperCase(),
          url: urlOf(input),
          headers: redactHeaders(headersOf(init?.headers)),
          body: redactBody(bodyOf(init?.body), ctx?.secrets ?? []),
          status,
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          deployment: ctx?.deployment ?? null,
          reason: ctx?.reason ?? 'unknown',
        });
      } catch {
        // a call log never breaks the call it records
      }
    };
    try {
      const res = await fetch.call(auth, input, init);
      write(res.status);
      return res;
    } catch (err) {
      const e = err as { response?: { status?: number }; status?: number };
      write(e.response?.status ?? (typeof e.status === 'number' ? e.status : null));
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

import { AsyncLocalStorage } from 'node:async_hooks';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { type CallLog, type CallLogEntry, redactBody, redactHeaders } from '../../src/calllog/index.js';

/** What the provider is doing when it sends a request: set around each SDK call. */
export interface CallContext {
  callLog?: CallLog;
  target: string;
  deployment: string | null;
  /** The plan action (`create`, `scale`...) or `observe`. */
  reason: string;
  /** Secret values that must not appear in the log. */
  secrets: readonly string[];
  now: () => number;
}

export const callContext = new AsyncLocalStorage<CallContext>();

const installed = new WeakSet<object>();

interface RawRequest {
  method?: string;
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  query?: Record<string, string | string[] | null>;
  headers?: Record<string, string>;
  body?: unknown;
}

function urlOf(r: RawRequest): string {
  const port = r.port ? `:${r.port}` : '';
  const q = Object.entries(r.query ?? {}).flatMap(([k, v]) =>
    v === null
      ? [encodeURIComponent(k)]
      : (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`),
  );
  return `${r.protocol ?? 'https:'}//${r.hostname ?? ''}${port}${r.path ?? '/'}${q.length ? `?${q.join('&')}` : ''}`;
}

/** The request body as JSON: the SDK hands it over as a string or as bytes, depending on the protocol layer. */
function bodyOf(body: unknown): unknown {
  const text =
    typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Adds a call-log middleware to the client's stack at the `deserialize` step with low priority, so
 * it runs innermost, after signing and inside the retry loop: each attempt (a throttled one
 * included) is one entry with its own status. Installed once per client; what to record where comes
 * from `callContext`, so several providers may share one client.
 */
export function installCallLog(client: ECSClient): void {
  if (installed.has(client)) return;
  installed.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      const ctx = callContext.getStore();
      if (!ctx?.callLog) return next(args);
      const req = args.request as RawRequest;
      const started = performance.now();
      const time = new Date(ctx.now()).toISOString();
      const record = (status: number | null) => {
        const entry: CallLogEntry = {
          time,
          cloud: 'aws-ecs',
          target: ctx.target,
          method: req.method ?? 'POST',
          url: urlOf(req),
          headers: redactHeaders(req.headers ?? {}),
          body: redactBody(bodyOf(req.body), ctx.secrets),
          status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          deployment: ctx.deployment,
          reason: ctx.reason,
        };
        try {
          (ctx.callLog!.record as (e: CallLogEntry, s?: readonly string[]) => void)(entry, ctx.secrets);
        } catch {
          // a call log never breaks the call it records
        }
      };
      try {
        const out = await next(args);
        record((out.response as { statusCode?: number } | undefined)?.statusCode ?? null);
        return out;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
        record(status ?? null);
        throw err;
      }
    },
    { step: 'deserialize', priority: 'low', name: 'skyfleetCallLog', override: true },
  );
}

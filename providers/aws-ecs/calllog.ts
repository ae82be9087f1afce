import type { ECSClient } from '@aws-sdk/client-ecs';
import { currentCallScope } from '../../src/provider/kit/call-scope.js';

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

/**
 * Adds a call-log middleware to the client's stack at the `deserialize` step with low priority, so
 * it runs innermost, after signing and inside the retry loop: each attempt (a throttled one
 * included) is one entry with its own status. Installed once per client; what to record where comes
 * from the call scope's recorder (the provider kit), so several providers may share one client.
 */
export function installCallLog(client: Pick<ECSClient, 'middlewareStack'>): void {
  if (installed.has(client)) return;
  installed.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      const recorder = currentCallScope()?.recorder;
      if (!recorder?.log) return next(args);
      const req = args.request as RawRequest;
      const done = recorder.begin({
        method: req.method ?? 'POST',
        url: urlOf(req),
        headers: req.headers,
        body: req.body,
      });
      try {
        const out = await next(args);
        done((out.response as { statusCode?: number } | undefined)?.statusCode ?? null);
        return out;
      } catch (err) {
        done((err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? null);
        throw err;
      }
    },
    { step: 'deserialize', priority: 'low', name: 'skyfleetCallLog', override: true },
  );
}

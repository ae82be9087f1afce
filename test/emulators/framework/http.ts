import nock from 'nock';
import { type EmulatorHandler, parseBody } from '../../../emulators/framework/index.js';

export type { EmulatedRequest, EmulatedResponse, EmulatorHandler } from '../../../emulators/framework/index.js';

export interface InstalledEmulator {
  /** The origin intercepted, e.g. `https://ecs.us-east-1.amazonaws.com`. */
  readonly origin: string;
  /** Removes the interceptors (other hosts' interceptors are left alone). */
  uninstall(): void;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/**
 * Routes every request to `origin` (any method, path and query) to `handler`, for as long as it is
 * installed. The handler may be async. Call `nock.disableNetConnect()` in the test file so nothing
 * leaks to the network; call `uninstall()` in afterAll.
 */
export function installEmulator(origin: string, handler: EmulatorHandler): InstalledEmulator {
  const scope = nock(origin).persist();
  const interceptors = METHODS.map((method) => {
    const ic = scope.intercept(() => true, method).query(true);
    ic.reply(async function (
      this: { req: { headers: Record<string, string | string[] | undefined> } },
      uri: string,
      body: unknown,
    ) {
      const url = new URL(uri, origin);
      const headers = flatHeaders(this.req.headers);
      const res = await handler(
        method,
        url.pathname,
        url.searchParams,
        headers,
        parseBody(body, headers['content-type']),
      );
      const payload = res.body === undefined ? '' : typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
      return [res.status, payload, res.headers ?? {}] as [number, string, Record<string, string>];
    });
    return ic;
  });
  return {
    origin,
    uninstall() {
      for (const ic of interceptors) nock.removeInterceptor(ic);
    },
  };
}

import nock from 'nock';

/** One HTTP request, as the emulator's handler sees it. */
export interface EmulatedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the raw text otherwise, null when empty. */
  body: unknown;
}

export interface EmulatedResponse {
  status: number;
  /** Serialised as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type EmulatorHandler = (
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Record<string, string>,
  body: unknown,
) => EmulatedResponse | Promise<EmulatedResponse>;

export interface InstalledEmulator {
  /** The origin intercepted, e.g. `https://ecs.us-east-1.amazonaws.com`. */
  readonly origin: string;
  /** Removes the interceptors (other hosts' interceptors are left alone). */
  uninstall(): void;
}

/** nock parses only `application/json`; clouds also send `application/x-amz-json-1.1` and kin. */
function parseBody(body: unknown, contentType: string | undefined): unknown {
  if (body === undefined || body === null || (typeof body === 'string' && body.length === 0)) return null;
  if (typeof body === 'string' && /json/i.test(contentType ?? '')) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
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

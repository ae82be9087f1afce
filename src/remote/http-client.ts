import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { NotFoundError, SkyfleetError, ValidationError } from '../errors/index.js';
import type { ErrorCode } from '../errors/error-code.js';

export interface RemoteOptions {
  /** The API server, e.g. `https://127.0.0.1:7443`. */
  server: string;
  /** A bearer token (`skyfleet token create`). */
  token: string;
  /** PEM of the CA (or self-signed certificate) to trust for an https server. */
  ca?: string | Buffer;
}

interface ErrorBody {
  error?: {
    code?: string;
    message?: string;
    fields?: Array<{ path: string; message: string }>;
    retryable?: boolean;
    source?: string;
  };
}

const KNOWN: ReadonlySet<string> = new Set<ErrorCode>([
  'invalid_input',
  'no_fleet',
  'not_found',
  'unknown_target',
  'unknown_revision',
  'invalid_provider',
  'provider_retryable',
  'provider_terminal',
  'placement_unschedulable',
  'placement_unresolvable',
  'not_converged',
  'rollout_aborted',
  'no_rollout',
  'delete_incomplete',
  'controller_required',
  'lease_lost',
  'conflict',
  'controller_gone',
  'aborted',
  'fleet_closed',
  'store_invalid',
  'store_unavailable',
  'store_conflict',
  'store_too_new',
  'store_error',
  'sync_failed',
]);

const BY_STATUS: Record<number, ErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  410: 'gone',
  429: 'rate_limited',
};

/** The error a response carries, as the same class and code the SDK throws locally (same message). */
export function errorFrom(status: number, body: ErrorBody, retryAfter?: string | null): SkyfleetError {
  const e = body.error ?? {};
  const message = e.message ?? `the server answered ${status}`;
  let err: SkyfleetError;
  if (e.code === 'invalid_input' || (status === 400 && !e.code)) {
    err = new ValidationError(e.fields ?? [], e.source);
  } else if (e.code === 'not_found') {
    err = new NotFoundError('resource', '');
  } else if (e.code && KNOWN.has(e.code)) {
    err = new SkyfleetError(e.code as ErrorCode, message, { retryable: e.retryable ?? false });
  } else {
    const code = BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_input');
    if (code === 'invalid_input') err = new ValidationError(e.fields ?? [{ path: '', message }]);
    else {
      const after = Number(retryAfter);
      err = new SkyfleetError(code, message, {
        retryable: status === 429 || status >= 500,
        ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
      });
    }
  }
  err.message = message;
  return err;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as a stream (read it, or it holds the connection). */
  stream: IncomingMessage;
  text(): Promise<string>;
}

/** HTTP to the API server (node:http/https, kept-alive connections): bearer auth, JSON in and out, errors as SkyfleetErrors. */
export class HttpClient {
  readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(private readonly options: RemoteOptions) {
    try {
      this.base = new URL(options.server);
    } catch {
      throw new ValidationError([
        {
          path: 'server',
          message: `expected a URL like https://127.0.0.1:7443, got ${JSON.stringify(options.server)}`,
        },
      ]);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new ValidationError([
        { path: 'server', message: `expected an http:// or https:// URL, got ${JSON.stringify(options.server)}` },
      ]);
    }
    this.agent =
      this.base.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
        : new HttpAgent({ keepAlive: true });
  }

  /** The response of METHOD PATH, not yet read; an error status is thrown as a SkyfleetError. */
  raw(
    method: string,
    path: string,
    options: { body?: unknown; signal?: AbortSignal | undefined; headers?: Record<string, string> } = {},
  ): Promise<RawResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
      ...(options.headers ?? {}),
    };
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const url = new URL(path, this.base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<RawResponse>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new SkyfleetError('aborted', `${method} ${path}: aborted`));
        return;
      }
      const req = send(
        url,
        { method, headers, agent: this.agent, ...(options.signal ? { signal: options.signal } : {}) },
        (res) => {
          const text = () =>
            new Promise<string>((ok, fail) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
              res.on('error', fail);
            });
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            text().then((t) => {
              let body: ErrorBody;
              try {
                body = JSON.parse(t) as ErrorBody;
              } catch {
                body = { error: { message: `the server answered ${status}: ${t.slice(0, 200)}` } };
              }
              reject(errorFrom(status, body, res.headers['retry-after'] as string | undefined));
            }, reject);
            return;
          }
          resolve({ status, headers: res.headers, stream: res, text });
        },
      );
      req.on('error', (e) => {
        if (options.signal?.aborted) reject(new SkyfleetError('aborted', `${method} ${path}: aborted`, { cause: e }));
        else
          reject(
            new SkyfleetError(
              'server_unreachable',
              `cannot reach the skyfleet server at ${this.base.origin}: ${e.message}`,
              {
                retryable: true,
                cause: e,
              },
            ),
          );
      });
      req.end(payload);
    });
  }

  async json<T>(
    method: string,
    path: string,
    options: { body?: unknown; signal?: AbortSignal | undefined; headers?: Record<string, string> } = {},
  ): Promise<T> {
    return JSON.parse(await (await this.raw(method, path, options)).text()) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

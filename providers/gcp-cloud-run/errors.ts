/**
 * One place that turns whatever the Google client threw into a classified ProviderError.
 * - REST (`fallback: true`): a GaxiosError whose `status` is the HTTP status and whose message is the
 *   raw JSON error envelope `{ error: { code, message, status } }`.
 * - A long-running operation that ended in error: a GoogleError whose `code` is the gRPC code.
 * - gRPC transport: a ServiceError with the gRPC `code` and `details`.
 * The REST transport does not retry 429/5xx itself (RECIPES §5), so the provider does, boundedly
 * (retry.ts). Statuses, socket codes and Retry-After follow the provider kit's one rule each.
 */
import { ProviderError } from '../../src/errors/index.js';
import { isNetworkErrorCode } from '../../src/provider/kit/network-errors.js';
import { retryAfterFromHeaders } from '../../src/provider/kit/retry-after.js';
import { isRetryableStatus } from '../../src/provider/kit/retryable-status.js';

/** google/rpc/code.proto, by number. */
export const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** gRPC codes worth retrying: transient by definition (code.proto comments). */
const RETRYABLE_GRPC = new Set([
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'ABORTED',
  'INTERNAL',
  'UNAVAILABLE',
  'UNKNOWN',
]);

export interface ErrorFacts {
  /** HTTP status, for REST answers. */
  status?: number;
  /** The canonical code name (`NOT_FOUND`, `UNAVAILABLE`...). */
  code?: string;
  /** gRPC code number, when the error carries one. */
  grpcCode?: number;
  message: string;
  retryAfterMs?: number;
  network?: boolean;
}

function parseEnvelope(text: string): { code?: number; status?: string; message?: string } | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const v = JSON.parse(text.slice(start)) as { error?: { code?: number; status?: string; message?: string } };
    return v.error;
  } catch {
    return undefined;
  }
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Reads the facts out of any error shape the Google client produces. `now` (epoch ms, the
 * provider's clock) turns a Retry-After date into a wait.
 */
export function errorFacts(err: unknown, now = Date.now()): ErrorFacts {
  const e = (err ?? {}) as Record<string, unknown> & { response?: { status?: number; headers?: unknown } };
  const text = typeof e.message === 'string' ? e.message : String(err);
  const httpStatus =
    typeof e.response?.status === 'number'
      ? e.response.status
      : typeof e.status === 'number' && e.status >= 100
        ? e.status
        : undefined;
  if (httpStatus !== undefined) {
    const env = parseEnvelope(text);
    const retryAfterMs = retryAfterFromHeaders((name) => header(e.response?.headers, name), now);
    return {
      status: httpStatus,
      ...(env?.status ? { code: env.status } : {}),
      message: env?.message ?? text,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (typeof e.code === 'number' && e.code >= 0 && e.code < GRPC_CODES.length) {
    const details = typeof e.details === 'string' && e.details ? e.details : undefined;
    return { grpcCode: e.code, code: GRPC_CODES[e.code], message: details ?? text };
  }
  if (isNetworkErrorCode(e.code)) return { code: e.code, message: text, network: true };
  // node-fetch/gaxios "request to <url> failed, reason: ..." with no answer: the network, not the API
  if (e.type === 'system' || /^request to \S+ failed, reason:/.test(text))
    return { code: typeof e.code === 'string' ? e.code : 'NETWORK', message: text, network: true };
  // the provider passes no signal to the client: an abort here is gax's own request timeout
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'request-timeout')
    return { code: 'TIMEOUT', message: text, network: true };
  return { message: text };
}

/** NOT_FOUND, over REST (404) or gRPC. */
export function isNotFoundFacts(f: ErrorFacts): boolean {
  return f.status === 404 || f.code === 'NOT_FOUND';
}

/** A create of what exists (409 ALREADY_EXISTS), not a concurrent change (409 ABORTED). */
export function isAlreadyExists(err: ProviderError): boolean {
  return (err.providerCode === 'ALREADY_EXISTS' || err.status === 409) && err.providerCode !== 'ABORTED';
}

export function isRetryableFacts(f: ErrorFacts): boolean {
  if (f.network) return true;
  if (f.status !== undefined) return isRetryableStatus(f.status) || (f.status === 409 && f.code === 'ABORTED');
  return f.code !== undefined && RETRYABLE_GRPC.has(f.code);
}

/** The classified error for the reconciler; keeps Google's own message and codes. */
export function toProviderError(err: unknown, target: string, operation: string, now = Date.now()): ProviderError {
  if (err instanceof ProviderError) return err;
  const f = errorFacts(err, now);
  const providerCode = f.code ?? (f.status !== undefined ? String(f.status) : undefined);
  return new ProviderError(f.message, {
    provider: 'gcp-cloud-run',
    target,
    retryable: isRetryableFacts(f),
    operation,
    ...(providerCode !== undefined ? { providerCode } : {}),
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    // no `cause`: a GaxiosError holds the request config, bearer token included
  });
}

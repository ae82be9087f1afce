import { ProviderError } from '../../src/errors/index.js';
import { abortError, isAbortError } from '../../src/provider/kit/abort-error.js';
import { isNetworkErrorCode } from '../../src/provider/kit/network-errors.js';
import { retryAfterFromHeaders } from '../../src/provider/kit/retry-after.js';
import { isRetryableStatus } from '../../src/provider/kit/retryable-status.js';

/**
 * The SDK's RestError, by shape: `@azure/core-rest-pipeline` is only a transitive dependency, so it
 * is not imported here.
 */
interface RestErrorLike {
  name: 'RestError';
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers: { get(name: string): string | undefined }; parsedBody?: unknown; bodyAsText?: string | null };
}

export function isRestError(e: unknown): e is RestErrorLike {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'RestError';
}

export const KIND = 'azure-aci';

/** ARM codes that mean "absent": a delete or read of these is not an error. */
const NOT_FOUND = new Set(['ResourceNotFound', 'NotFound', 'ContainerGroupNotFound']);

/** Quota and limit codes: terminal until someone raises the quota or frees capacity. */
const QUOTA = new Set([
  'ContainerGroupQuotaReached',
  'StandardCoresQuotaReached',
  'QuotaExceeded',
  'ResourceQuotaExceeded',
  'OperationNotAllowed',
  'SubscriptionQuotaReached',
]);

/** Authorization and authentication failures: terminal (fix the role assignment or the credential). */
const AUTH = new Set([
  'AuthorizationFailed',
  'LinkedAuthorizationFailed',
  'AuthenticationFailed',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'ExpiredAuthenticationToken',
  'SubscriptionNotFound',
  'MissingSubscriptionRegistration',
  'Forbidden',
]);

/** Codes that are worth a retry even though ARM answered 4xx or reported a failed operation. */
const RETRYABLE = new Set([
  'TooManyRequests',
  'Throttled',
  'ServiceUnavailable',
  'InternalServerError',
  'GatewayTimeout',
  'AnotherOperationInProgress',
  'Conflict',
  'RetryableError',
  'ContainerGroupTransitioning',
  'OperationTimedOut',
]);

/** Transport failures: Node's socket codes (the kit's set) and core-rest-pipeline's own send error. */
function isNetworkError(code: string | undefined): code is string {
  return isNetworkErrorCode(code) || code === 'REQUEST_SEND_ERROR';
}

export interface ErrorContext {
  target: string;
  operation: string;
  /** The last `x-ms-request-id` the pipeline saw in this call (LRO failures carry no response). */
  lastRequestId?: string;
  /** Epoch ms by the provider's clock, for a Retry-After date. */
  now?: number;
}

interface CloudErrorBody {
  code?: string;
  message?: string;
  details?: CloudErrorBody[];
}

function cloudError(err: {
  response?: { parsedBody?: unknown; bodyAsText?: string | null };
}): CloudErrorBody | undefined {
  const parsed = err.response?.parsedBody as { error?: CloudErrorBody } | undefined;
  if (parsed?.error) return parsed.error;
  try {
    const text = err.response?.bodyAsText;
    if (text) return (JSON.parse(text) as { error?: CloudErrorBody }).error;
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * Retry-After in ms from the headers ARM uses: `retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`
 * (seconds or an HTTP date): the provider kit's reading.
 */
export function retryAfterMs(get: (name: string) => string | undefined, now = Date.now()): number | undefined {
  return retryAfterFromHeaders(get, now);
}

/** Terminal or retryable from an ARM code and HTTP status. */
export function isRetryableCode(code: string | undefined, status: number | undefined): boolean {
  if (code && (QUOTA.has(code) || AUTH.has(code) || code === 'InvalidContainerGroupUpdate')) return false;
  if (code && RETRYABLE.has(code)) return true;
  return isRetryableStatus(status);
}

export function isNotFound(err: unknown): boolean {
  if (err instanceof ProviderError) return err.status === 404 || NOT_FOUND.has(err.providerCode ?? '');
  if (!isRestError(err)) return false;
  const code = cloudError(err)?.code ?? err.code;
  return err.statusCode === 404 || NOT_FOUND.has(code ?? '');
}

/** `The long-running operation has failed. CODE. message` (core-lro's message for a Failed status). */
const LRO_FAILED = /^The long-running operation has failed(?:\. ([A-Za-z0-9_.]+)\. ([\s\S]*))?$/;

/**
 * Classifies anything the SDK threw as a ProviderError: 429, 5xx, timeouts and in-progress
 * conflicts are retryable (429 with `retryAfterMs` from Retry-After); quota, authorization,
 * InvalidContainerGroupUpdate and other 4xx are terminal. Each keeps ARM's code, message and
 * `x-ms-request-id`.
 */
export function classify(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const base = { provider: KIND, target: ctx.target, operation: ctx.operation, cause: err };
  if (isRestError(err)) {
    const body = cloudError(err);
    const status = err.statusCode;
    const code = body?.code ?? err.code ?? (status !== undefined ? String(status) : undefined);
    const headers = err.response?.headers;
    const requestId = headers?.get('x-ms-request-id') ?? ctx.lastRequestId;
    const network = status === undefined && isNetworkError(err.code);
    const details = body?.details
      ?.map((d) => d.message)
      .filter(Boolean)
      .join('; ');
    const message = `${body?.message ?? err.message}${details ? ` (${details})` : ''}`;
    const wait = headers ? retryAfterMs((n) => headers.get(n), ctx.now) : undefined;
    return new ProviderError(message, {
      ...base,
      retryable: network || isRetryableCode(body?.code ?? err.code, status),
      ...(code ? { providerCode: code } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(requestId ? { requestId } : {}),
      ...(wait !== undefined && (status === 429 || status === 503) ? { retryAfterMs: wait } : {}),
    });
  }
  const e = err as { name?: string; message?: string; code?: string };
  if (isAbortError(err)) return abortError({ provider: KIND, target: ctx.target, operation: ctx.operation }, err);
  const lro = typeof e?.message === 'string' ? LRO_FAILED.exec(e.message) : null;
  if (lro) {
    const code = lro[1] ?? 'OperationFailed';
    return new ProviderError(lro[2] ?? e.message!, {
      ...base,
      retryable: RETRYABLE.has(code),
      providerCode: code,
      ...(ctx.lastRequestId ? { requestId: ctx.lastRequestId } : {}),
    });
  }
  if (
    e?.name === 'CredentialUnavailableError' ||
    e?.name === 'AuthenticationRequiredError' ||
    e?.name === 'AuthenticationError'
  ) {
    return new ProviderError(`no usable Azure credential: ${e.message}`, {
      ...base,
      retryable: false,
      providerCode: e.name,
    });
  }
  if (isNetworkError(e?.code)) {
    return new ProviderError(e.message ?? e.code, { ...base, retryable: true, providerCode: e.code });
  }
  return new ProviderError(e?.message ?? String(err), { ...base, retryable: false, providerCode: e?.name ?? 'Error' });
}

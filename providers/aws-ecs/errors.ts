import { ProviderError } from '../../src/errors/index.js';

/**
 * Error codes worth retrying later. Throttling codes follow botocore's `_retry.json` (reference
 * `aws-ecs/botocore-_retry.json`, definitions `throttling*`, `too_many_requests`); ServerException is
 * the only ECS error marked `"fault": true` in the model. ConflictException is an in-progress
 * conflict. A CreateService on a name whose previous service is still draining succeeds later.
 */
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServerException',
  'ServiceUnavailable',
  'InternalFailure',
  'ConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
  $response?: { headers?: Record<string, string> };
}

/** Whether an ECS error is transient by its code, status and message. */
export function isRetryableEcsError(code: string, status: number | undefined, message: string): boolean {
  if (RETRYABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  // "Unable to Start a service that is still Draining." resolves itself once draining ends
  if (code === 'InvalidParameterException' && /still draining/i.test(message)) return true;
  return false;
}

/**
 * Turns anything the SDK threw into a classified ProviderError carrying AWS's own message, code,
 * HTTP status and request id. ClientException, InvalidParameterException, AccessDenied and the
 * other modeled client errors are terminal.
 */
export function classifyEcsError(err: unknown, ctx: { target: string; operation: string }): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as AwsLikeError;
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? 'UnknownError');
  const status = e.$metadata?.httpStatusCode;
  const message = e.message || code;
  const retryAfter = Number(e.$response?.headers?.['retry-after']);
  return new ProviderError(message, {
    provider: 'aws-ecs',
    target: ctx.target,
    retryable: isRetryableEcsError(code, status, message) || (e.code !== undefined && NETWORK_CODES.has(e.code)),
    providerCode: code,
    ...(status !== undefined ? { status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    operation: ctx.operation,
    // a light cause: the SDK error holds the raw response and its socket
    cause: { name: code, message, ...(e.$metadata ? { $metadata: { ...e.$metadata } } : {}) },
  });
}

/** Not-found answers that mean "already gone" for remove. */
export function isGone(err: unknown): boolean {
  const name = (err as AwsLikeError | undefined)?.name;
  return name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException';
}

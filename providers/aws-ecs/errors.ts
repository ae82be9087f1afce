import { ProviderError } from '../../src/errors/index.js';
import { abortError, isAbortError } from '../../src/provider/kit/abort-error.js';
import { isNetworkErrorCode } from '../../src/provider/kit/network-errors.js';
import { retryAfterFromHeaders } from '../../src/provider/kit/retry-after.js';
import { isRetryableStatus } from '../../src/provider/kit/retryable-status.js';

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
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
  $response?: { headers?: Record<string, string> };
}

/** Whether an ECS error is transient by its code, status (the kit's rule) and message. */
export function isRetryableEcsError(code: string, status: number | undefined, message: string): boolean {
  if (RETRYABLE_CODES.has(code) || isNetworkErrorCode(code)) return true;
  if (isRetryableStatus(status)) return true;
  // "Unable to Start a service that is still Draining." resolves itself once draining ends
  if (code === 'InvalidParameterException' && /still draining/i.test(message)) return true;
  return false;
}

/**
 * Turns anything the SDK threw into a classified ProviderError carrying AWS's own message, code,
 * HTTP status and request id. ClientException, InvalidParameterException, AccessDenied and the
 * other modeled client errors are terminal; an abort is the kit's `Aborted`. `now` (epoch ms, the
 * provider's clock) turns a Retry-After date into a wait.
 */
export function classifyEcsError(
  err: unknown,
  ctx: { target: string; operation: string; now?: number },
): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isAbortError(err)) return abortError({ provider: 'aws-ecs', target: ctx.target, operation: ctx.operation }, err);
  const e = (err ?? {}) as AwsLikeError;
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? 'UnknownError');
  const status = e.$metadata?.httpStatusCode;
  const message = e.message || code;
  const headers = e.$response?.headers ?? {};
  const retryAfterMs = retryAfterFromHeaders((name) => headers[name], ctx.now ?? Date.now());
  return new ProviderError(message, {
    provider: 'aws-ecs',
    target: ctx.target,
    retryable: isRetryableEcsError(code, status, message) || isNetworkErrorCode(e.code),
    providerCode: code,
    ...(status !== undefined ? { status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
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

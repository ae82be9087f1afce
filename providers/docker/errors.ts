import { ProviderError } from '../../src/errors/provider-error.js';
import { abortError, isAbortError } from '../../src/provider/kit/abort-error.js';
import { isNetworkErrorCode } from '../../src/provider/kit/network-errors.js';
import { isRetryableStatus } from '../../src/provider/kit/retryable-status.js';

/** Docker messages that mean an image is missing: never worth retrying, whatever the status. */
const NO_IMAGE =
  /no such image|manifest unknown|manifest for .* not found|pull access denied|repository does not exist|not found: manifest/i;

/** The shape of an error from dockerode / docker-modem (or node's http stack underneath). */
interface DockerodeError {
  message?: string;
  statusCode?: number;
  reason?: string;
  json?: unknown;
  code?: string;
  name?: string;
}

/** Docker's own message, without docker-modem's "(HTTP code 404) no such container - " prefix. */
export function dockerMessage(err: unknown): string {
  const e = (err ?? {}) as DockerodeError;
  const json = e.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return ((json as { message: string }).message || '').trim();
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length) return json.toString('utf8').trim();
  const msg = typeof e.message === 'string' ? e.message : String(err);
  return msg.replace(/^\(HTTP code \d+\) [^-]* - /, '').trim();
}

export interface ErrorContext {
  target: string;
  operation: string;
  /** Secret values that must never appear in an error message (env values from `valueFrom`). */
  secrets?: readonly string[];
}

function redact(text: string, secrets: readonly string[] | undefined): { text: string; redacted: boolean } {
  let out = text;
  let redacted = false;
  for (const s of secrets ?? []) {
    if (s.length > 0 && out.includes(s)) {
      out = out.split(s).join('<redacted>');
      redacted = true;
    }
  }
  return { text: out, redacted };
}

/**
 * Classifies any error from a dockerode call as a ProviderError:
 * - socket errors (engine down, connection reset, timeouts; the kit's set, with a missing Unix
 *   socket) and 408, 429, 5xx (the kit's status rule): retryable, except "no such image"-style
 *   messages, which are terminal whatever the status;
 * - 409 "already in progress": retryable (another removal is under way);
 * - other 4xx (400 invalid, 401/403, 404 not found, 409 name in use): terminal;
 * - an abort: the kit's retryable `Aborted` (the caller gave up, the operation may be repeated);
 * - anything else: terminal.
 * Docker's own message is kept; secret values are replaced by `<redacted>`.
 */
export function toProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isAbortError(err)) return abortError({ provider: 'docker', target: ctx.target, operation: ctx.operation }, err);
  const e = (err ?? {}) as DockerodeError;
  const raw = dockerMessage(err) || 'unknown error';
  const { text: message, redacted } = redact(raw, ctx.secrets);
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  let retryable: boolean;
  let providerCode: string | undefined;
  if (status === undefined) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    providerCode = code;
    retryable = isNetworkErrorCode(code, { unixSocket: true }) || /socket hang up|timeout|timed out/i.test(raw);
  } else if (NO_IMAGE.test(raw)) {
    retryable = false;
    providerCode = 'ImageNotFound';
  } else if (isRetryableStatus(status)) {
    retryable = true;
  } else if (status === 409) {
    retryable = /in progress/i.test(raw);
    providerCode = 'Conflict';
  } else {
    retryable = false;
    providerCode = status === 404 ? 'NotFound' : status === 400 ? 'InvalidParameter' : undefined;
  }
  return new ProviderError(message, {
    provider: 'docker',
    target: ctx.target,
    operation: ctx.operation,
    retryable,
    providerCode,
    status,
    // the raw error may carry a secret value in its message: keep it only when it does not
    cause: redacted ? undefined : err,
  });
}

/** A terminal error for an image that is neither on the engine nor pullable. */
export function imageNotFound(image: string, detail: string, ctx: ErrorContext): ProviderError {
  return new ProviderError(
    `image "${image}" does not exist: it is not on the engine and could not be pulled (${redact(detail, ctx.secrets).text})`,
    {
      provider: 'docker',
      target: ctx.target,
      operation: ctx.operation,
      retryable: false,
      providerCode: 'ImageNotFound',
    },
  );
}

/** The HTTP status of a dockerode error, if any. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as DockerodeError | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

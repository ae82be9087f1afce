import { ProviderError } from '../../errors/provider-error.js';

/** Where a call was when it was aborted: the fields every ProviderError carries. */
export interface CallSite {
  /** The provider kind (`docker`, `aws-ecs`...). */
  provider: string;
  target: string;
  operation: string;
}

/** The one providerCode of an aborted call, on every provider. */
export const ABORTED = 'Aborted';

/** True for what an AbortSignal makes a client throw: a DOMException or an `AbortError`-named error. */
export function isAbortError(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null | undefined;
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR';
}

/**
 * The caller's signal aborted the call: a retryable ProviderError (the caller gave up; the
 * operation may be repeated) with code `Aborted`. `reason` (the signal's reason, or the client's
 * abort error) is kept as the cause.
 */
export function abortError(site: CallSite, reason?: unknown): ProviderError {
  return new ProviderError('aborted by the caller', {
    ...site,
    retryable: true,
    providerCode: ABORTED,
    ...(reason !== undefined ? { cause: reason } : {}),
  });
}

/** Throws `abortError` when `signal` has aborted; does nothing otherwise. */
export function throwIfAborted(signal: AbortSignal | undefined, site: CallSite): void {
  if (signal?.aborted) throw abortError(site, signal.reason);
}

import type { ErrorCode } from './error-code.js';

export interface SkyfleetErrorOptions {
  /** Whether repeating the same operation later can succeed. */
  retryable?: boolean;
  /** Suggested delay before a retry, when the source said so (Retry-After and kin). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The root of skyfleet's error taxonomy. Every error skyfleet throws on purpose is one of these,
 * with a stable `code` and a `retryable` flag the reconciler acts on.
 */
export class SkyfleetError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: SkyfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

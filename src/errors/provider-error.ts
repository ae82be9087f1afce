import { SkyfleetError } from './skyfleet-error.js';

export interface ProviderErrorOptions {
  /** The provider kind, e.g. `docker`, `aws-ecs`. */
  provider: string;
  /** The configured target name. */
  target?: string;
  retryable: boolean;
  /** The provider's own error code (`ThrottlingException`, `ResourceNotFound`, HTTP status...). */
  providerCode?: string;
  /** HTTP status, when the provider answered over HTTP. */
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
  /** The operation that failed, e.g. `createContainer`. */
  operation?: string;
  cause?: unknown;
}

/**
 * An error from a provider's API, always classified: retryable (throttling, 5xx, timeouts,
 * in-progress conflicts) or terminal (auth, quota, invalid request). The message carries the
 * provider's own message.
 */
export class ProviderError extends SkyfleetError {
  readonly provider: string;
  readonly target: string | undefined;
  readonly providerCode: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly operation: string | undefined;
  /** The message as given (the provider's own words), without the prefix and tags added here. */
  readonly providerMessage: string;

  constructor(message: string, options: ProviderErrorOptions) {
    const tags = [options.providerCode, options.status, options.requestId ? `request ${options.requestId}` : undefined]
      .filter((x) => x !== undefined && x !== '')
      .join(', ');
    const where = `${options.provider}${options.target ? `/${options.target}` : ''}`;
    const op = options.operation ? ` ${options.operation}` : '';
    super(
      options.retryable ? 'provider_retryable' : 'provider_terminal',
      `${where}${op}: ${message}${tags ? ` (${tags})` : ''}`,
      { retryable: options.retryable, retryAfterMs: options.retryAfterMs, cause: options.cause },
    );
    this.provider = options.provider;
    this.target = options.target;
    this.providerCode = options.providerCode;
    this.status = options.status;
    this.requestId = options.requestId;
    this.operation = options.operation;
    this.providerMessage = message;
  }

  /** The same error (classification, codes, cause) with another message, e.g. what was being read and what to do. */
  restated(message: string, operation = this.operation): ProviderError {
    return new ProviderError(message, {
      provider: this.provider,
      retryable: this.retryable,
      ...(this.target !== undefined ? { target: this.target } : {}),
      ...(this.providerCode !== undefined ? { providerCode: this.providerCode } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(operation !== undefined ? { operation } : {}),
      cause: this.cause,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      provider: this.provider,
      target: this.target,
      providerCode: this.providerCode,
      status: this.status,
      requestId: this.requestId,
    };
  }
}

/** True for errors worth retrying later; unknown errors are treated as terminal. */
export function isRetryable(err: unknown): boolean {
  return err instanceof SkyfleetError && err.retryable;
}

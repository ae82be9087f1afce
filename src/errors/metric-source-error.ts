import { SkyfleetError } from './skyfleet-error.js';

export interface MetricSourceErrorOptions {
  /** The source's name (`router`, `nginx`, `docker-stats`, ...). */
  source: string;
  retryable: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A metric source could not answer: retryable (a timeout, a socket error, the engine busy) or
 * terminal (a metric it does not provide, a misconfigured endpoint). "No data yet" is not an
 * error: a source returns `undefined` for it.
 */
export class MetricSourceError extends SkyfleetError {
  readonly source: string;

  constructor(message: string, options: MetricSourceErrorOptions) {
    super(options.retryable ? 'metrics_retryable' : 'metrics_terminal', `${options.source}: ${message}`, {
      retryable: options.retryable,
      retryAfterMs: options.retryAfterMs,
      cause: options.cause,
    });
    this.source = options.source;
  }
}

/**
 * Why an attempt on an endpoint failed. Each value is the index of the reason's counter in
 * `Ep.errs` and of its metric label in ERROR_REASONS (metrics.ts): keep the three in one order.
 */
export enum AttemptFailure {
  /** The endpoint answered 5xx (counted; a failure for ejection only with `ejection.on5xx`). */
  Http5xx = 0,
  /** No connection: refused, unreachable, or the connect timeout. */
  Connect = 1,
  /** The connection closed or reset before the response was complete. */
  Reset = 2,
  /** No answer within the upstream timeout. */
  Timeout = 3,
  /** An invalid response: a bad head or bad framing. */
  Protocol = 4,
}

/** What went wrong with an attempt on endpoint `id`, for the router's 502/504 answer (a 5xx is not one). */
export function describeFailure(reason: AttemptFailure, id: string, detail: string): string {
  switch (reason) {
    case AttemptFailure.Connect:
      return `could not connect to endpoint ${id} (${detail})`;
    case AttemptFailure.Timeout:
      return `endpoint ${id} did not answer in time`;
    case AttemptFailure.Reset:
      return `endpoint ${id} closed the connection before answering (${detail})`;
    default:
      return `endpoint ${id} sent an invalid response (${detail})`;
  }
}

/**
 * Whether a request whose attempt failed may go to another endpoint, none of the response having
 * reached the client: only when the endpoint did not answer (no connection, or the connection
 * closed before a response came through; nginx's proxy_next_upstream `error`, "reading the
 * response header"). An idempotent request goes again even after part of a response the client
 * never saw (its body kept for a resend); any other only when the endpoint sent nothing and it
 * has no body, as the endpoint may have acted on it.
 */
export function mayResend(
  reason: AttemptFailure,
  idempotent: boolean,
  hasBody: boolean,
  bodyKept: boolean,
  gotBytes: boolean,
): boolean {
  if (reason !== AttemptFailure.Connect && reason !== AttemptFailure.Reset) return false;
  return idempotent ? !hasBody || bodyKept : !hasBody && !gotBytes;
}

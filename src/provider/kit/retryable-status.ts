/**
 * The one rule for HTTP statuses worth retrying later (RFC 9110 section 15): 408 Request Timeout,
 * 429 Too Many Requests, and every 5xx but 501 Not Implemented and 505 HTTP Version Not
 * Supported, which a repeat cannot change. A provider may add its own cases on top (Cloud Run's
 * 409 ABORTED) or override by error code (Docker's image-not-found 500), never use another table.
 */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return false;
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

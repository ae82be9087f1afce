/**
 * Socket-level failures, by the `code` Node (libuv, dns, http), undici and older HTTP clients set on
 * an error: the request never got an answer, so it is worth repeating later. One set for every
 * provider and for the PostgreSQL store.
 */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  // libuv / net
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  // dns
  'ENOTFOUND',
  'EAI_AGAIN',
  // the `request` library and clients modelled on it
  'ESOCKETTIMEDOUT',
  // undici (Node's fetch)
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export interface NetworkErrorOptions {
  /**
   * The client talks over a Unix socket (a local Docker engine, PostgreSQL on a socket path): then
   * `ENOENT` means the socket file is not there yet (the server is not running), which passes. Off
   * by default: elsewhere `ENOENT` is a missing file (a credentials file), which does not.
   */
  unixSocket?: boolean;
}

/** True when `code` is a socket error worth retrying (the server could not be reached or answered nothing). */
export function isNetworkErrorCode(code: unknown, options: NetworkErrorOptions = {}): code is string {
  if (typeof code !== 'string') return false;
  return NETWORK_ERROR_CODES.has(code) || (options.unixSocket === true && code === 'ENOENT');
}

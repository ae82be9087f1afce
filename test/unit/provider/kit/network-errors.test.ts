import { expect, it } from 'vitest';
import { isNetworkErrorCode } from '../../../../src/provider/kit/network-errors.js';

it.each([
  // the server could not be reached, or answered nothing: worth repeating
  ['ECONNREFUSED', true],
  ['ECONNRESET', true],
  ['ETIMEDOUT', true],
  ['UND_ERR_SOCKET', true],
  ['EAI_AGAIN', true],
  ['ENOTFOUND', true],
  ['EPIPE', true],
  ['EHOSTUNREACH', true],
  ['ENETUNREACH', true],
  ['EHOSTDOWN', true],
  ['ECONNABORTED', true],
  ['ESOCKETTIMEDOUT', true],
  ['UND_ERR_CONNECT_TIMEOUT', true],
  ['UND_ERR_HEADERS_TIMEOUT', true],
  // a missing file, no permission, a bad URL or certificate: repeating changes nothing
  ['ENOENT', false],
  ['EACCES', false],
  ['EPERM', false],
  ['ERR_INVALID_URL', false],
  ['ERR_TLS_CERT_ALTNAME_INVALID', false],
  ['CERT_HAS_EXPIRED', false],
  // not socket codes at all
  ['ThrottlingException', false],
  ['', false],
  [undefined, false],
  [503, false],
])('%j -> network error %s', (code, network) => {
  expect(isNetworkErrorCode(code)).toBe(network);
});

it('ENOENT is a missing Unix socket (the server is not up) only for clients on one', () => {
  expect(isNetworkErrorCode('ENOENT', { unixSocket: true })).toBe(true);
  expect(isNetworkErrorCode('ENOENT', { unixSocket: false })).toBe(false);
  expect(isNetworkErrorCode('EACCES', { unixSocket: true })).toBe(false);
});

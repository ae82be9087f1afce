import { expect, it } from 'vitest';
import { isNetworkErrorCode } from '../../../../src/provider/kit/network-errors.js';

it.each([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
])('%s is a network error worth retrying', (code) => {
  expect(isNetworkErrorCode(code)).toBe(true);
});

it.each([
  'ENOENT',
  'EACCES',
  'EPERM',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'ThrottlingException',
  '',
  undefined,
  503,
])('%j is not', (code) => {
  expect(isNetworkErrorCode(code)).toBe(false);
});

it('ENOENT is a missing Unix socket (the server is not up) only for clients on one', () => {
  expect(isNetworkErrorCode('ENOENT', { unixSocket: true })).toBe(true);
  expect(isNetworkErrorCode('ENOENT', { unixSocket: false })).toBe(false);
  expect(isNetworkErrorCode('EACCES', { unixSocket: true })).toBe(false);
});

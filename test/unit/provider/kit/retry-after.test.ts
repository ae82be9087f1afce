import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter, retryAfterFromHeaders } from '../../../../src/provider/kit/retry-after.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0); // Mon, 01 Jan 2024 12:00:00 GMT

describe('parseRetryAfter (RFC 9110 10.2.3)', () => {
  it.each([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 5 ', 5000],
    ['1.5', 1500],
  ])('delay-seconds %j -> %i ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    ['Mon, 01 Jan 2024 12:00:30 GMT', 30_000], // IMF-fixdate
    ['Monday, 01-Jan-24 12:01:00 GMT', 60_000], // obsolete RFC 850
    ['Mon Jan  1 12:00:02 2024', 2000], // obsolete asctime, GMT although it says nothing
  ])('HTTP-date %j -> %i ms from now', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it('a date in the past asks for no wait at all', () => {
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:59 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it.each([
    undefined,
    null,
    '',
    '   ',
    '-1',
    'soon',
    '10s',
    '1e3',
    'Mon, 01 Jan 2024 12:00:30', // no zone
    'Mon, 01 Jan 2024 12:00:30 PST',
    'Mon, 31 Feb 2024 12:00:30 GMT', // no such day
    'Mon, 01 Foo 2024 12:00:30 GMT',
    'Mon, 01 Jan 2024 25:00:30 GMT',
  ])('garbage %j is undefined (the caller backs off on its own)', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('RFC 850 two-digit years more than 50 years ahead are in the past century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Friday, 01-Jan-49 00:00:00 GMT', NOW)).toBe(Date.UTC(2049, 0, 1));
  });
});

describe('retryAfterFromHeaders', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string | undefined =>
      h[name];

  it('prefers the millisecond headers, then Retry-After', () => {
    expect(retryAfterFromHeaders(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), NOW)).toBe(250);
    expect(retryAfterFromHeaders(headers({ 'x-ms-retry-after-ms': '40' }), NOW)).toBe(40);
    expect(retryAfterFromHeaders(headers({ 'retry-after': 'Mon, 01 Jan 2024 12:00:03 GMT' }), NOW)).toBe(3000);
    expect(retryAfterFromHeaders(headers({ 'retry-after-ms': 'x', 'retry-after': '2' }), NOW)).toBe(2000);
    expect(retryAfterFromHeaders(headers({}), NOW)).toBeUndefined();
  });
});

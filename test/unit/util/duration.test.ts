import { expect, it } from 'vitest';
import { parseDuration } from '../../../src/cli/duration.js';
import { ValidationError } from '../../../src/errors/index.js';
import { parseDurationMs } from '../../../src/util/duration.js';

it.each([
  ['90s', 90_000],
  ['10m', 600_000],
  ['1h30m', 5_400_000],
  ['500ms', 500],
  ['2.5', 2_500],
  [30, 30_000],
])('%s -> %i ms', (text, ms) => {
  expect(parseDurationMs(text)).toBe(ms);
});

it.each(['', 'soon', '10 m', '5d', '1h30'])('rejects %j, naming the flag', (text) => {
  expect(parseDurationMs(text)).toBeUndefined();
  expect(() => parseDuration(text, '--timeout')).toThrow(ValidationError);
  expect(() => parseDuration(text, '--timeout')).toThrow(/--timeout: expected a duration such as 90s/);
});

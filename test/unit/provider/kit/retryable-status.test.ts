import { expect, it } from 'vitest';
import { isRetryableStatus } from '../../../../src/provider/kit/retryable-status.js';

it.each([
  [408, true],
  [429, true],
  [500, true],
  [502, true],
  [503, true],
  [504, true],
  [507, true],
  [599, true],
  [501, false], // Not Implemented: a repeat cannot change it
  [505, false], // HTTP Version Not Supported
  [200, false],
  [304, false],
  [400, false],
  [401, false],
  [403, false],
  [404, false],
  [409, false],
  [412, false],
  [600, false],
  [undefined, false],
])('%s -> retryable %s', (status, retryable) => {
  expect(isRetryableStatus(status)).toBe(retryable);
});

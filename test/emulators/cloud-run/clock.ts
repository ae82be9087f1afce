import type { Clock } from '../../../src/util/clock.js';
import type { ManualClock } from '../framework/index.js';

/**
 * A Clock for the provider under test that drives the emulator's ManualClock: `sleep(ms)` advances
 * emulator time by `ms` and resolves on the next macrotask. Operation polls and retry backoff then
 * cost no real time, and the emulator's rollouts progress exactly as far as the provider waited.
 */
export function steppingClock(clock: ManualClock): Clock {
  return {
    now: () => clock.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        clock.advance(ms);
        setImmediate(resolve);
      }),
  };
}

import { ManualClock } from '../../src/util/clock.js';

export { ManualClock };
export type { Clock } from '../../src/util/clock.js';

/**
 * Emulators compute state lazily from the injected clock: a resource created at `since` is in the
 * last phase whose offset has passed. `phaseAt(created, clock.now(), [[0,'PROVISIONING'],
 * [1000,'PENDING'], [3000,'RUNNING']])` is 'PENDING' 1.5 s after creation. No timers, no sleeps:
 * advancing a ManualClock moves every resource forward at the next request.
 */
export function phaseAt<P>(since: number, now: number, phases: ReadonlyArray<readonly [number, P]>): P {
  let current = phases[0]![1];
  for (const [offset, phase] of phases) if (now - since >= offset) current = phase;
  return current;
}

import type { Clock } from '../../../src/util/clock.js';
import type { ManualClock } from '../framework/index.js';

interface Waiter {
  at: number;
  /** A sleep this long is a background loop's (a lease renewal): it never moves time itself. */
  background: boolean;
  resolve: () => void;
}

/** Sleeps at least this long belong to background loops (lease renewals sleep a third of 15-30 s). */
const BACKGROUND_MS = 5_000;

/**
 * A Clock for the code under test that drives the emulator's ManualClock in virtual time: a
 * `sleep(ms)` is due `ms` after it was asked for, and on the next macrotask the clock jumps to
 * the earliest due sleep and wakes it (and any other due by then). Operation polls and retry
 * backoff cost no real time, and the emulator's rollouts progress exactly as far as the code
 * waited. Sleeps of 5 s or more (the lease renewal running beside an apply) never move time
 * themselves: they wake when the foreground's sleeps carry time past them, so a renewal loop
 * cannot race simulated time ahead while the foreground waits for an HTTP answer. (Code under test
 * whose only pending sleep is 5 s or longer would wait for ever: the test times out, loudly.)
 */
export function steppingClock(clock: ManualClock): Clock {
  let waiters: Waiter[] = [];
  let scheduled = false;
  const step = () => {
    scheduled = false;
    const foreground = waiters.filter((w) => !w.background);
    if (!foreground.length) return;
    const next = Math.min(...foreground.map((w) => w.at));
    if (next > clock.now()) clock.advance(next - clock.now());
    wake();
  };
  const wake = () => {
    const due = waiters.filter((w) => w.at <= clock.now());
    waiters = waiters.filter((w) => w.at > clock.now());
    for (const w of due) w.resolve();
  };
  return {
    now: () => clock.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const w: Waiter = {
          at: clock.now() + ms,
          background: ms >= BACKGROUND_MS,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          waiters = waiters.filter((x) => x !== w);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(w);
        if (!scheduled) {
          scheduled = true;
          setImmediate(step);
        }
      }),
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { type Timed, TimeoutSweeper } from '../../../src/traffic/proxy.js';

function timed(fired: number[], t0: number): Timed {
  return {
    timeoutMs: 0,
    active: 0,
    timedOut() {
      fired.push(performance.now() - t0);
    },
  };
}

describe('TimeoutSweeper', () => {
  const sweepers: TimeoutSweeper[] = [];
  const items: Array<[TimeoutSweeper, Timed]> = [];
  afterEach(() => {
    for (const [s, t] of items.splice(0)) s.delete(t);
    sweepers.splice(0);
  });

  it('fires an idle timeout never early and at most two periods late, again only after another idle period', async () => {
    const s = new TimeoutSweeper(80); // period 10 ms
    expect(s.periodMs).toBe(10);
    const fired: number[] = [];
    const t0 = performance.now();
    const t = timed(fired, t0);
    s.set(t, 80);
    items.push([s, t]);
    await new Promise((r) => setTimeout(r, 250));
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired[0]!).toBeGreaterThanOrEqual(79);
    expect(fired[0]!).toBeLessThan(80 + 2 * 10 + 40); // + scheduling slack
    expect(fired[1]! - fired[0]!).toBeGreaterThanOrEqual(79);
  });

  it('activity (a newer stamp) postpones the timeout; 0 means none; the interval stops when empty', async () => {
    const s = new TimeoutSweeper(60);
    const fired: number[] = [];
    const t0 = performance.now();
    const busy = timed(fired, t0);
    const never = timed(fired, t0);
    s.set(busy, 60);
    s.set(never, 0);
    items.push([s, busy], [s, never]);
    const until = performance.now() + 150;
    while (performance.now() < until) {
      busy.active = s.now;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(fired).toEqual([]);
    s.delete(busy);
    s.delete(never);
    expect(s.size).toBe(0);
  });
});

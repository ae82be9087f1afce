import { describe, expect, it } from 'vitest';
import { untilTimedChange } from '../../../src/reconcile/controller.js';
import { DomainHealth } from '../../../src/reconcile/domain-health.js';
import { ManualClock } from '../../../src/util/clock.js';

// A converged deployment's next pass comes at the resync, or earlier when a domain changes by
// time alone: a cooldown ends, or a return window does.

describe('DomainHealth.nextRetryAt', () => {
  it('is the end of the earliest cooldown of a domain the breaker opened', () => {
    const clock = new ManualClock(0);
    const h = new DomainHealth(clock, { failureThreshold: 2, failureWindowMs: 1000, cooldownMs: 8000 });
    expect(h.nextRetryAt()).toBeUndefined();
    h.failure('aws/a', 'replicas', 'stopped');
    clock.advance(1000);
    h.failure('aws/a', 'replicas', 'stopped');
    expect(h.get('aws/a').healthy).toBe(false);
    expect(h.nextRetryAt()).toBe(9000);
    clock.advance(8000);
    expect(h.get('aws/a')).toEqual({ healthy: true, since: 9000 });
    expect(h.nextRetryAt()).toBeUndefined();
  });

  it('is undefined for a domain the provider reports down: its word ends the outage, not time', () => {
    const h = new DomainHealth(new ManualClock(0));
    h.report('aws/a', false, 'zone down');
    expect(h.nextRetryAt()).toBeUndefined();
  });
});

describe('untilTimedChange', () => {
  const now = 100_000;
  it('is the resync when nothing is pending', () => {
    expect(untilTimedChange(now, 30_000, undefined, [{}, {}], 10_000)).toBe(30_000);
  });
  it('is the end of a cooldown before the resync', () => {
    expect(untilTimedChange(now, 30_000, now + 5000, [], 10_000)).toBe(5020);
  });
  it("is the end of a domain's return window before the resync", () => {
    expect(untilTimedChange(now, 30_000, undefined, [{ healthySince: now - 4000 }], 10_000)).toBe(6020);
  });
  it('ignores moments past or beyond the resync', () => {
    expect(untilTimedChange(now, 30_000, now - 1, [{ healthySince: now - 20_000 }], 10_000)).toBe(30_000);
    expect(untilTimedChange(now, 30_000, now + 40_000, [{ healthySince: now }], 60_000)).toBe(30_000);
  });
});

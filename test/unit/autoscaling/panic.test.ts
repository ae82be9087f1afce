import { describe, expect, it } from 'vitest';
import { autoscalerOptions, type MetricSamples, type PanicState, panicStep } from '../../../src/autoscaling/index.js';
import type { AutoscalingInput } from '../../../src/spec/autoscaling.js';
import { SECOND, sample, samples, spec, T0 } from './fixtures.js';

// Knative's panic mode: a 6 s window reaching 2x the target starts it, it scales up at once and
// never down, and it lasts 60 s (the stable window) after the last time the threshold was reached.
// https://knative.dev/docs/serving/autoscaling/kpa-specific/

const short = (values: Partial<Record<keyof MetricSamples, number>>, at = T0) => samples(values, at, 6 * SECOND);
const step = (
  current: number,
  shortSamples: MetricSamples,
  state: PanicState | null = null,
  input: Partial<AutoscalingInput> = {},
  options = autoscalerOptions(),
) => panicStep({ now: T0, current, spec: spec(input), shortSamples, state, options });

const both = {
  metrics: [
    { type: 'concurrency' as const, target: 10 },
    { type: 'requestsPerSecond' as const, target: 50 },
    { type: 'cpu' as const, targetUtilization: 50 },
  ],
};

describe('the fast path (panic mode)', () => {
  it.each<[string, number, MetricSamples, boolean, number]>([
    // [case, current, short samples, in panic, replicas it asks for]
    ['below 2x the target: no panic', 2, short({ concurrency: 19.9 }), false, 0],
    ['at 2x: panic, ceil(current x value / target) from the short window', 2, short({ concurrency: 20 }), true, 4],
    ['requestsPerSecond triggers too', 3, short({ requestsPerSecond: 150 }), true, 9],
    ['the larger of the fast metrics', 3, short({ concurrency: 40, requestsPerSecond: 150 }), true, 12],
    [
      'a metric below the threshold still counts once one triggers',
      3,
      short({ concurrency: 20, requestsPerSecond: 90 }),
      true,
      6,
    ],
    ['cpu is not a fast metric', 3, short({ cpu: 500 }), false, 0],
    ['no replica: activation is not panic', 0, short({ concurrency: 50 }), false, 0],
    ['a stale short sample does not count', 2, { concurrency: sample(50, T0 - 16 * SECOND, 6 * SECOND) }, false, 0],
    ['no short sample: no fast path', 2, {}, false, 0],
    ['capped at maxReplicas', 10, short({ concurrency: 500 }), true, 100],
    [
      'one of 2 serves 20 (the other starting): the total 20 asks for 2, not 4',
      2,
      { concurrency: { ...sample(20, T0, 6 * SECOND), replicas: 1 } },
      true,
      2,
    ],
  ])('%s', (_case, current, given, active, replicas) => {
    const r = step(current, given, null, both);
    expect({ active: r.active, replicas: r.replicas }).toEqual({ active, replicas });
    expect(r.state === null).toBe(!active);
  });

  it('records when it started, when it last triggered and the most it asked for, and says why', () => {
    const r = step(2, short({ concurrency: 25 }));
    expect(r.state).toEqual({ since: T0, lastTriggeredAt: T0, peak: 5 });
    expect(r.text).toBe('concurrency 25/10 per replica over 6s');
  });

  it('a new trigger keeps `since` and moves `lastTriggeredAt`; the peak only grows', () => {
    const prev = { since: T0 - 50 * SECOND, lastTriggeredAt: T0 - 20 * SECOND, peak: 12 };
    expect(step(4, short({ concurrency: 20 }), prev).state).toEqual({
      since: T0 - 50 * SECOND,
      lastTriggeredAt: T0,
      peak: 12,
    });
    expect(step(8, short({ concurrency: 20 }), prev).state).toEqual({
      since: T0 - 50 * SECOND,
      lastTriggeredAt: T0,
      peak: 16,
    });
  });

  it.each<[string, number, boolean]>([
    ['30 s after the last trigger: still in panic', 30, true],
    ['exactly 60 s after: still in panic', 60, true],
    ['60 s and 1 ms after: over', 60.001, false],
  ])('lasts panicHoldMs after the last trigger: %s', (_case, secondsAgo, active) => {
    const prev = { since: T0 - 100 * SECOND, lastTriggeredAt: T0 - secondsAgo * SECOND, peak: 8 };
    const r = step(8, short({ concurrency: 10 }), prev);
    expect(r.active).toBe(active);
    expect(r.replicas).toBe(active ? 8 : 0);
    expect(r.state).toEqual(active ? prev : null);
  });

  it('while it holds, a higher short-window reading raises the peak (Knative: max panic pods)', () => {
    const prev = { since: T0 - 40 * SECOND, lastTriggeredAt: T0 - 30 * SECOND, peak: 8 };
    const r = step(8, short({ concurrency: 15 }), prev);
    expect(r).toMatchObject({ active: true, replicas: 12, state: { ...prev, peak: 12 } });
    expect(r.text).toBe('concurrency 15/10 per replica over 6s (panic for 30s more: no scale-down)');
    expect(step(8, short({ concurrency: 5 }), prev).text).toBe('holding 8 (panic for 30s more: no scale-down)');
  });

  it('takes its threshold and hold from the options', () => {
    const options = autoscalerOptions({ panicThreshold: 3, panicHoldMs: 10_000 });
    expect(step(2, short({ concurrency: 25 }), null, {}, options).active).toBe(false);
    expect(step(2, short({ concurrency: 30 }), null, {}, options).active).toBe(true);
    const prev = { since: T0 - 20 * SECOND, lastTriggeredAt: T0 - 11 * SECOND, peak: 8 };
    expect(step(8, short({ concurrency: 10 }), prev, {}, options).active).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { rateLimit, type ScaleChange, stabilize, type TimedRecommendation } from '../../../src/autoscaling/index.js';
import type { AutoscalingInput } from '../../../src/spec/autoscaling.js';
import { SECOND, spec, T0 } from './fixtures.js';

// HPA's `behavior` with cases from Kubernetes' documentation ("Configurable scaling behavior":
// scaling policies, stabilization window, default behavior, the examples):
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/

type Behavior = AutoscalingInput['behavior'];

/** Runs decisions one period apart towards `desired`, each seeing the scale events before it. */
function walk(behavior: Behavior, from: number, desired: number, everySeconds: number, steps: number, min = 1) {
  const s = spec({ minReplicas: min, behavior });
  const events: ScaleChange[] = [];
  const counts = [from];
  let current = from;
  for (let i = 1; i <= steps; i++) {
    const now = T0 + i * everySeconds * SECOND;
    const next = rateLimit({ now, current, desired, events, spec: s }).replicas;
    if (next !== current) events.push({ at: now, change: next - current });
    current = next;
    counts.push(current);
  }
  return counts;
}

describe('rate policies', () => {
  it('docs: Pods 4/60s and Percent 10/60s (Max): 80 to 10 removes 8, then 8 (10% of 72 rounded up), then 4 at a time below 40', () => {
    const behavior = {
      scaleDown: {
        policies: [
          { type: 'Pods' as const, value: 4, periodSeconds: 60 },
          { type: 'Percent' as const, value: 10, periodSeconds: 60 },
        ],
      },
    };
    expect(walk(behavior, 80, 10, 60, 14)).toEqual([80, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10]);
  });

  it('docs: periodSeconds is how far back the policy must hold: a second decision inside the period moves nothing', () => {
    const behavior = {
      scaleDown: {
        policies: [
          { type: 'Pods' as const, value: 4, periodSeconds: 60 },
          { type: 'Percent' as const, value: 10, periodSeconds: 60 },
        ],
      },
    };
    // every 20 s: one step a minute
    expect(walk(behavior, 80, 10, 20, 7)).toEqual([80, 72, 72, 72, 64, 64, 64, 57]);
  });

  it('docs: Percent 10/60s and Pods 5/60s with selectPolicy Min remove no more than 5 a minute (and 10% below 50)', () => {
    const behavior = {
      scaleDown: {
        policies: [
          { type: 'Percent' as const, value: 10, periodSeconds: 60 },
          { type: 'Pods' as const, value: 5, periodSeconds: 60 },
        ],
        selectPolicy: 'Min' as const,
      },
    };
    expect(walk(behavior, 100, 10, 60, 4)).toEqual([100, 95, 90, 85, 80]);
    expect(walk(behavior, 30, 10, 60, 3)).toEqual([30, 27, 24, 21]);
  });

  it('docs: selectPolicy Disabled turns a direction off', () => {
    expect(walk({ scaleDown: { selectPolicy: 'Disabled' } }, 10, 2, 60, 3)).toEqual([10, 10, 10, 10]);
    expect(walk({ scaleUp: { selectPolicy: 'Disabled' } }, 2, 10, 60, 3)).toEqual([2, 2, 2, 2]);
  });

  it('docs, default behavior: up by 4 pods or 100%, whichever is more, every 15 s', () => {
    expect(walk(undefined, 1, 40, 15, 4)).toEqual([1, 5, 10, 20, 40]);
    // within 15 s of a step, nothing more
    expect(walk(undefined, 1, 40, 5, 6)).toEqual([1, 5, 5, 5, 10, 10, 10]);
  });

  it('docs, default behavior: down by 100% every 15 s, i.e. to the minimum at once', () => {
    expect(walk(undefined, 50, 3, 15, 1)).toEqual([50, 3]);
    expect(walk(undefined, 50, 0, 15, 1, 2)).toEqual([50, 2]);
  });

  it('Percent rounds up (or the count could never grow) and takes Pods from the period start', () => {
    expect(walk({ scaleUp: { policies: [{ type: 'Percent', value: 50, periodSeconds: 15 }] } }, 3, 40, 15, 3)).toEqual([
      3, 5, 8, 12,
    ]);
    expect(walk({ scaleUp: { policies: [{ type: 'Percent', value: 10, periodSeconds: 15 }] } }, 1, 40, 15, 2)).toEqual([
      1, 2, 3,
    ]);
  });

  it('selectPolicy Min on the default scale-up policies takes the smaller: 100% from 1 adds 1', () => {
    expect(walk({ scaleUp: { selectPolicy: 'Min' } }, 1, 40, 15, 4)).toEqual([1, 2, 4, 8, 12]);
  });

  it('counts both directions in a period, as Kubernetes does (start = current - added + removed)', () => {
    const s = spec({ behavior: { scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] } } });
    const events = [
      { at: T0 - 10 * SECOND, change: 4 },
      { at: T0 - 5 * SECOND, change: -2 },
    ];
    // 1 -> 5 -> 3: the period started at 1, so 4 more than 1 is the most
    expect(rateLimit({ now: T0, current: 3, desired: 20, events, spec: s })).toEqual({
      replicas: 5,
      limit: 'scaleUp policies allow 5 now: Pods 4/15s (Max)',
    });
    // an event exactly periodSeconds old is out of the period: now it started at 5 (the removal is in it)
    expect(rateLimit({ now: T0 + 5 * SECOND, current: 3, desired: 20, events, spec: s }).replicas).toBe(9);
    expect(rateLimit({ now: T0 + 10 * SECOND, current: 3, desired: 20, events, spec: s }).replicas).toBe(7);
  });

  it('names what limited: the policies, maxReplicas or minReplicas', () => {
    const s = spec({ minReplicas: 2, maxReplicas: 6 });
    expect(rateLimit({ now: T0, current: 1, desired: 30, events: [], spec: spec() })).toEqual({
      replicas: 5,
      limit: 'scaleUp policies allow 5 now: Percent 100/15s, Pods 4/15s (Max)',
    });
    expect(rateLimit({ now: T0, current: 4, desired: 30, events: [], spec: s })).toEqual({
      replicas: 6,
      limit: 'maxReplicas 6',
    });
    expect(rateLimit({ now: T0, current: 4, desired: 0, events: [], spec: s })).toEqual({
      replicas: 2,
      limit: 'minReplicas 2',
    });
    expect(rateLimit({ now: T0, current: 4, desired: 5, events: [], spec: s })).toEqual({ replicas: 5 });
  });
});

describe('stabilization windows', () => {
  const at = (secondsAgo: number, replicas: number): TimedRecommendation => ({
    at: T0 - secondsAgo * SECOND,
    replicas,
  });
  const stab = (behavior: Behavior, current: number, recommendation: number, history: TimedRecommendation[]) =>
    stabilize({ now: T0, current, recommendation, history, behavior: spec({ behavior }).behavior });

  it.each<[string, Behavior, number, number, TimedRecommendation[], number]>([
    // [case, behavior, current, recommendation, history, result]
    ['docs: down takes the highest recommendation of the last 300 s', undefined, 8, 3, [at(290, 8), at(100, 6)], 8],
    ['older than the window no longer counts', undefined, 8, 3, [at(310, 8), at(100, 6)], 6],
    ['an entry exactly window seconds old is out', undefined, 8, 3, [at(300, 8), at(100, 6)], 6],
    ['nothing in the window: the recommendation', undefined, 8, 3, [at(400, 8)], 3],
    [
      'docs: a 60 s scale-down window',
      { scaleDown: { stabilizationWindowSeconds: 60 } },
      8,
      3,
      [at(100, 8), at(30, 5)],
      5,
    ],
    ['docs: no scale-up window by default: up at once', undefined, 2, 9, [at(10, 2), at(5, 1)], 9],
    [
      'a scale-up window takes the lowest recommendation in it',
      { scaleUp: { stabilizationWindowSeconds: 60 } },
      2,
      9,
      [at(50, 4), at(10, 6)],
      4,
    ],
    [
      'the lowest in the window may be the current count: no change',
      { scaleUp: { stabilizationWindowSeconds: 60 } },
      2,
      9,
      [at(50, 1)],
      2,
    ],
    ['never past the recommendation: down to the highest, not below it', undefined, 8, 7, [at(10, 5)], 7],
    [
      'an unchanged recommendation is unchanged',
      { scaleUp: { stabilizationWindowSeconds: 60 } },
      5,
      5,
      [at(10, 9), at(20, 1)],
      5,
    ],
  ])('%s', (_case, behavior, current, recommendation, history, result) => {
    expect(stab(behavior, current, recommendation, history).replicas).toBe(result);
  });

  it('says which window held the count', () => {
    expect(stab(undefined, 8, 3, [at(100, 6)]).limit).toBe('scaleDown window: highest recommendation in 300s is 6');
    expect(stab({ scaleUp: { stabilizationWindowSeconds: 60 } }, 2, 9, [at(50, 4)]).limit).toBe(
      'scaleUp window: lowest recommendation in 60s is 4',
    );
    expect(stab(undefined, 8, 3, []).limit).toBeUndefined();
  });
});

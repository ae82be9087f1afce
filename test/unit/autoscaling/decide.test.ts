import { describe, expect, it } from 'vitest';
import {
  type AutoscalerState,
  type DecideInput,
  type Decision,
  decideScale,
  formatScaleEvent,
  type MetricSamples,
} from '../../../src/autoscaling/index.js';
import type { AutoscalingInput } from '../../../src/spec/autoscaling.js';
import { SECOND, samples, spec, T0 } from './fixtures.js';

interface Step {
  at: number;
  samples: MetricSamples;
  short?: MetricSamples;
}

/** Decisions in time order, the state passed through JSON (as the store keeps it) and `desired` applied. */
function run(input: Partial<AutoscalingInput>, start: number, steps: Step[], first?: AutoscalerState): Decision[] {
  const s = spec(input);
  let state = first;
  let current = start;
  const out: Decision[] = [];
  for (const st of steps) {
    const d = decideScale({ now: st.at, current, spec: s, samples: st.samples, shortSamples: st.short, state });
    state = JSON.parse(JSON.stringify(d.state)) as AutoscalerState;
    current = d.desired;
    out.push(d);
  }
  return out;
}

/** A step every `seconds` from T0 + from to T0 + to (inclusive). */
const every = (seconds: number, from: number, to: number, make: (at: number) => Omit<Step, 'at'>): Step[] => {
  const out: Step[] = [];
  for (let t = from; t <= to; t += seconds) out.push({ at: T0 + t * SECOND, ...make(T0 + t * SECOND) });
  return out;
};

const one = (input: Partial<AutoscalingInput>, d: Omit<DecideInput, 'spec' | 'now'> & { now?: number }) =>
  decideScale({ now: T0, ...d, spec: spec(input) });

describe('decideScale', () => {
  it.each<[string, Partial<AutoscalingInput>, string]>([
    [
      'as the event says it',
      { behavior: { scaleUp: { policies: [{ type: 'Pods', value: 10, periodSeconds: 15 }] } } },
      'ScaledUp 2 -> 8: concurrency 38/10 per replica',
    ],
    [
      'limited by the default policies',
      {},
      'ScaledUp 2 -> 6: concurrency 38/10 per replica (scaleUp policies allow 6 now: Percent 100/15s, Pods 4/15s (Max))',
    ],
    ['limited by maxReplicas', { maxReplicas: 5 }, 'ScaledUp 2 -> 5: concurrency 38/10 per replica (maxReplicas 5)'],
  ])('scales up with an event naming the metric: %s', (_case, input, text) => {
    const d = one(input, { current: 2, samples: samples({ concurrency: 38 }) });
    expect(d.direction).toBe('up');
    expect(d.cause).toBe('metrics');
    expect(d.recommendation).toBe(8);
    expect(d.event).toBeDefined();
    expect(formatScaleEvent(d.event!)).toBe(text);
    expect(d.metrics).toEqual([
      {
        type: 'concurrency',
        target: 10,
        value: 38,
        windowMs: 60_000,
        replicas: 8,
        withinTolerance: false,
        text: 'concurrency 38/10 per replica',
      },
    ]);
    expect(d.state.lastScale).toEqual({ at: T0, from: 2, to: d.desired, reason: d.reason });
  });

  it('makes no event and no scale event when nothing changes', () => {
    const d = one({}, { current: 4, samples: samples({ concurrency: 10.5 }) });
    expect(d).toMatchObject({
      desired: 4,
      direction: 'none',
      reason: 'within tolerance: concurrency 10.5/10 per replica',
    });
    expect(d.event).toBeUndefined();
    expect(d.state.scaleEvents).toEqual([]);
  });

  it('brings a count outside the bounds to the nearest one at once, whatever the metrics', () => {
    const above = one({ maxReplicas: 20 }, { current: 30, samples: {} });
    expect(above).toMatchObject({ desired: 20, direction: 'down', cause: 'bounds', reason: 'above maxReplicas 20' });
    const below = one({ minReplicas: 2 }, { current: 0, samples: {} });
    expect(below).toMatchObject({ desired: 2, direction: 'up', cause: 'bounds', reason: 'below minReplicas 2' });
    expect(formatScaleEvent(below.event!)).toBe('ScaledUp 0 -> 2: below minReplicas 2');
  });

  it('holds on a missing metric, says why, and scales down once it is back', () => {
    const two = {
      metrics: [
        { type: 'concurrency' as const, target: 10 },
        { type: 'cpu' as const, targetUtilization: 50 },
      ],
    };
    const ds = run(two, 8, [
      { at: T0, samples: samples({ concurrency: 10, cpu: 50 }) },
      { at: T0 + 400 * SECOND, samples: samples({ concurrency: 1 }, T0 + 400 * SECOND) },
      { at: T0 + 401 * SECOND, samples: samples({ concurrency: 1, cpu: 5 }, T0 + 401 * SECOND) },
    ]);
    expect(ds[1]).toMatchObject({
      desired: 8,
      direction: 'none',
      held: [{ type: 'cpu', why: 'missing', message: 'cpu: no sample' }],
    });
    expect(ds[1]!.reason).toBe('held at 8: cpu: no sample; concurrency 1/10 per replica');
    // the held decision recorded 8: the scale-down window keeps 8 for 300 s more
    expect(ds[2]).toMatchObject({ desired: 8, direction: 'none' });
    expect(ds[2]!.reason).toMatch(
      /^all metrics below target: concurrency 1\/10 per replica, cpu 5%\/50% \(scaleDown window: highest recommendation in 300s is 8\)$/,
    );
  });

  it('docs: scales down only after the 300 s window of higher recommendations, then at once (100% per 15 s)', () => {
    const ds = run({}, 8, [
      { at: T0, samples: samples({ concurrency: 10 }) },
      ...every(15, 15, 315, (at) => ({ samples: samples({ concurrency: 2.5 }, at) })),
    ]);
    const counts = ds.map((d) => d.desired);
    // at T0 + 300 s the recommendation of T0 is exactly 300 s old: out of the window
    expect(counts.slice(0, 20)).toEqual(Array(20).fill(8));
    expect(counts[20]).toBe(2);
    expect(formatScaleEvent(ds[20]!.event!)).toBe(
      'ScaledDown 8 -> 2: all metrics below target: concurrency 2.5/10 per replica',
    );
    expect(counts[21]).toBe(2);
  });

  it('scales to zero after idleSeconds at one replica, and activates on the next request', () => {
    const zero = { minReplicas: 0 };
    const ds = run(zero, 1, [
      ...every(10, 0, 70, (at) => ({ samples: samples({ concurrency: 0, requestsPerSecond: 0 }, at) })),
      { at: T0 + 80 * SECOND, samples: samples({ concurrency: 0, requestsPerSecond: 0 }, T0 + 80 * SECOND) },
      { at: T0 + 90 * SECOND, samples: samples({ concurrency: 1 }, T0 + 90 * SECOND) },
    ]);
    expect(ds.map((d) => d.desired)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 1]);
    expect(formatScaleEvent(ds[6]!.event!)).toBe('ScaledDown 1 -> 0: no request for 60s (scaleToZero.idleSeconds 60)');
    expect(ds[6]!.cause).toBe('idle');
    expect(ds[8]).toMatchObject({ direction: 'none', reason: 'idle at 0 replicas' });
    expect(formatScaleEvent(ds[9]!.event!)).toBe('ScaledUp 0 -> 1: activation: concurrency 1 at 0 replicas');
    expect(ds[9]!.cause).toBe('activation');
    expect(ds[9]!.state.lastActiveAt).toBe(T0 + 90 * SECOND);
  });

  it('a busy deployment goes to zero only when the scale-down window lets it reach one replica', () => {
    const ds = run({ minReplicas: 0 }, 4, [
      { at: T0, samples: samples({ concurrency: 10 }) },
      ...every(30, 30, 300, (at) => ({ samples: samples({ concurrency: 0 }, at) })),
    ]);
    // idle from T0 (the first decision counts as activity), the window holds 4 until T0 + 300 s
    expect(ds.map((d) => d.desired)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0]);
    expect(formatScaleEvent(ds[10]!.event!)).toBe(
      'ScaledDown 4 -> 0: no request for 300s (scaleToZero.idleSeconds 60)',
    );
  });

  it('never goes to zero while traffic is unknown, or when minReplicas is above 0', () => {
    const unknown = run({ minReplicas: 0, metrics: [{ type: 'cpu', targetUtilization: 50 }] }, 1, [
      ...every(60, 0, 600, (at) => ({ samples: samples({ cpu: 0 }, at) })),
    ]);
    expect(unknown.every((d) => d.desired === 1)).toBe(true);
    const floor = run({ minReplicas: 1 }, 1, [
      ...every(60, 0, 600, (at) => ({ samples: samples({ concurrency: 0 }, at) })),
    ]);
    expect(floor.every((d) => d.desired === 1)).toBe(true);
  });

  it('scales to zero on traffic alone when it scales on cpu (the listener still reports it)', () => {
    const ds = run({ minReplicas: 0, metrics: [{ type: 'cpu', targetUtilization: 50 }] }, 1, [
      ...every(30, 0, 60, (at) => ({ samples: samples({ cpu: 20, concurrency: 0, requestsPerSecond: 0 }, at) })),
    ]);
    expect(ds.map((d) => d.desired)).toEqual([1, 1, 0]);
  });

  it('panics on a burst: up at once past the policies, no scale-down for 60 s, then the window holds its count', () => {
    const quiet = (at: number) => ({
      samples: samples({ concurrency: 5 }, at),
      short: samples({ concurrency: 5 }, at, 6000),
    });
    const ds = run({}, 4, [
      { at: T0, samples: samples({ concurrency: 12 }), short: samples({ concurrency: 40 }, T0, 6000) },
      ...every(10, 10, 70, quiet),
      ...every(60, 130, 370, quiet),
    ]);
    expect(formatScaleEvent(ds[0]!.event!)).toBe(
      'ScaledUp 4 -> 16: panic: concurrency 40/10 per replica over 6s (panic: past the scaleUp window and policies)',
    );
    expect(ds[0]).toMatchObject({
      cause: 'panic',
      panic: true,
      state: { panic: { since: T0, lastTriggeredAt: T0, peak: 16 } },
    });
    // T0+10 .. T0+60: in panic, the stable recommendation (8) is not taken; T0+70: over
    expect(ds.slice(1, 7).map((d) => [d.panic, d.desired, d.recommendation])).toEqual(Array(6).fill([true, 16, 8]));
    // (the recorded 16 of T0 already holds it; the panic would too)
    expect(ds[1]!.reason).toBe(
      'all metrics below target: concurrency 5/10 per replica (scaleDown window: highest recommendation in 300s is 16)',
    );
    expect(ds[7]).toMatchObject({ panic: false, desired: 16, state: { panic: null } });
    // the panic's 16 (recorded until T0 + 60 s) stays in the scale-down window for 300 s
    expect(ds.slice(8).map((d) => [(d.state.lastScale?.at ?? 0) - T0, d.desired])).toEqual([
      [0, 16],
      [0, 16],
      [0, 16],
      [0, 16],
      [370 * SECOND, 8],
    ]);
    expect(formatScaleEvent(ds.at(-1)!.event!)).toBe(
      'ScaledDown 16 -> 8: all metrics below target: concurrency 5/10 per replica',
    );
  });

  it('never scales down in panic, even when the stable window asks for fewer', () => {
    const prev: AutoscalerState = {
      recommendations: [],
      scaleEvents: [],
      panic: { since: T0 - 30 * SECOND, lastTriggeredAt: T0 - 30 * SECOND, peak: 10 },
      lastActiveAt: T0,
      lastScale: null,
    };
    const d = one(
      { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      { current: 12, samples: samples({ concurrency: 1 }), state: prev },
    );
    expect(d).toMatchObject({ desired: 12, direction: 'none', panic: true });
    expect(d.limits).toContain('panic: no scale-down');
  });

  it('a scale-up selectPolicy Disabled holds in panic too', () => {
    const d = one(
      { behavior: { scaleUp: { selectPolicy: 'Disabled' } } },
      {
        current: 4,
        samples: samples({ concurrency: 30 }),
        shortSamples: samples({ concurrency: 40 }, T0, 6000),
      },
    );
    expect(d).toMatchObject({ desired: 4, direction: 'none', panic: true });
    expect(d.limits).toContain('scaleUp selectPolicy Disabled');
    // and says nothing of it when no scale-up was wanted
    const calm = one(
      { behavior: { scaleUp: { selectPolicy: 'Disabled' } } },
      {
        current: 4,
        samples: samples({ concurrency: 10 }),
        shortSamples: samples({ concurrency: 10 }, T0, 6000),
        state: { ...d.state, panic: { ...d.state.panic!, peak: 4 } },
      },
    );
    expect(calm).toMatchObject({ panic: true, limits: [] });
  });

  it('resumes a sequence the same after a restart: the state is all it needs, and it is JSON', () => {
    const seq = [
      { at: T0, samples: samples({ concurrency: 30 }) },
      ...every(20, 20, 400, (at) => ({ samples: samples({ concurrency: at < T0 + 200 * SECOND ? 12 : 3 }, at) })),
    ];
    const whole = run({}, 2, seq);
    // a controller that stops after decision 9 and a new one that reads the stored state
    const before = run({}, 2, seq.slice(0, 9));
    const stored = JSON.stringify(before.at(-1)!.state);
    const after = run({}, before.at(-1)!.desired, seq.slice(9), JSON.parse(stored) as AutoscalerState);
    expect([...before, ...after].map((d) => [d.desired, d.reason])).toEqual(whole.map((d) => [d.desired, d.reason]));
  });

  it('the first decision counts as activity (a new deployment waits idleSeconds before zero)', () => {
    const d = one({ minReplicas: 0 }, { current: 1, samples: samples({ concurrency: 0 }) });
    expect(d.state.lastActiveAt).toBe(T0);
    expect(d.desired).toBe(1);
  });
});

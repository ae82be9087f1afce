import fc from 'fast-check';
import type { MetricSample, MetricSamples } from '../../../src/autoscaling/index.js';
import {
  type Autoscaling,
  autoscaling,
  METRIC_TYPES,
  type MetricSpec,
  type MetricType,
} from '../../../src/spec/autoscaling.js';
import { SECOND, T0 } from './fixtures.js';

const policy = fc.record({
  type: fc.constantFrom('Percent' as const, 'Pods' as const),
  value: fc.integer({ min: 1, max: 300 }),
  periodSeconds: fc.integer({ min: 1, max: 120 }),
});

const rules = fc.record({
  stabilizationWindowSeconds: fc.integer({ min: 0, max: 600 }),
  policies: fc.array(policy, { minLength: 1, maxLength: 3 }),
  selectPolicy: fc.constantFrom('Max' as const, 'Min' as const, 'Disabled' as const),
});

const metric = (type: MetricType): fc.Arbitrary<MetricSpec> =>
  type === 'cpu' || type === 'memory'
    ? fc.integer({ min: 1, max: 200 }).map((targetUtilization) => ({ type, targetUtilization }))
    : fc.double({ min: 0.5, max: 500, noNaN: true }).map((target) => ({ type, target }));

/** A valid `spec.autoscaling`: any bounds, metrics, windows, policies and idle time. */
export const specArb: fc.Arbitrary<Autoscaling> = fc
  .record({
    min: fc.integer({ min: 0, max: 10 }),
    span: fc.integer({ min: 0, max: 40 }),
    types: fc.subarray([...METRIC_TYPES], { minLength: 1 }),
    up: rules,
    down: rules,
    idleSeconds: fc.integer({ min: 1, max: 300 }),
  })
  .chain((r) =>
    fc.tuple(...r.types.map(metric)).map((metrics) =>
      autoscaling.parse({
        minReplicas: r.min,
        maxReplicas: Math.max(1, r.min + r.span),
        metrics,
        behavior: { scaleUp: r.up, scaleDown: r.down },
        scaleToZero: { idleSeconds: r.idleSeconds },
      }),
    ),
  );

export const targetOf = (m: MetricSpec) => ('target' in m ? m.target : m.targetUtilization);

/** One metric's reading at `now`: fresh (any value from idle to 5x the target), stale, missing or invalid. */
const reading = (target: number, now: number, windowMs: number): fc.Arbitrary<MetricSample | undefined> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .double({ min: 0, max: 5 * target, noNaN: true })
        .map((value) => ({ value, sampledAt: now, windowMs })),
    },
    { weight: 1, arbitrary: fc.constant({ value: target * 3, sampledAt: now - 60 * SECOND, windowMs }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -1).map((value) => ({ value, sampledAt: now, windowMs })) },
  );

/** Readings of the spec's metrics and of the listener's traffic metrics at `now`. */
export function samplesArb(spec: Autoscaling, now: number, windowMs = 60 * SECOND): fc.Arbitrary<MetricSamples> {
  const byType = new Map<MetricType, number>(spec.metrics.map((m) => [m.type, targetOf(m)]));
  for (const t of ['concurrency', 'requestsPerSecond'] as const) if (!byType.has(t)) byType.set(t, 10);
  return fc
    .tuple(...[...byType].map(([type, target]) => reading(target, now, windowMs).map((s) => [type, s] as const)))
    .map((pairs) => {
      const out: MetricSamples = {};
      for (const [type, s] of pairs) if (s) out[type] = s;
      return out;
    });
}

export interface Tick {
  /** Seconds since the previous decision. */
  dt: number;
  samples: MetricSamples;
  short: MetricSamples;
  /** 1 in 10 ticks the count is moved by something else (a controller that could not record it). */
  nudge: number | null;
}

export interface TicksOptions {
  minLength?: number;
  maxLength?: number;
  /** The longest time between two decisions, in seconds. */
  maxDt?: number;
  /** Whether something else moves the count now and then. */
  nudges?: boolean;
}

/** A run of decisions over random time steps (0 to `maxDt` seconds) with random readings. */
export function ticksArb(spec: Autoscaling, opts: TicksOptions = {}): fc.Arbitrary<Tick[]> {
  const { minLength = 1, maxLength = 40, maxDt = 120, nudges = true } = opts;
  return fc.array(
    fc.integer({ min: 0, max: maxDt }).chain((dt) =>
      fc.record({
        dt: fc.constant(dt),
        // sampled at the decision's own time: its absolute time is known only while running, so
        // samples are drawn relative to T0 and shifted in `shift`
        samples: samplesArb(spec, T0),
        short: samplesArb(spec, T0, 6 * SECOND),
        nudge: nudges ? fc.option(fc.integer({ min: 0, max: spec.maxReplicas + 5 }), { freq: 9 }) : fc.constant(null),
      }),
    ),
    { minLength, maxLength, size: 'max' },
  );
}

/** Samples drawn at T0, moved to `now`. */
export function shift(samples: MetricSamples, now: number): MetricSamples {
  const out: MetricSamples = {};
  for (const [k, s] of Object.entries(samples) as Array<[MetricType, MetricSample]>)
    out[k] = { ...s, sampledAt: s.sampledAt - T0 + now };
  return out;
}

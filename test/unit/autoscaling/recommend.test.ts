import { describe, expect, it } from 'vitest';
import { autoscalerOptions, type MetricSamples, recommend } from '../../../src/autoscaling/index.js';
import type { AutoscalingInput } from '../../../src/spec/autoscaling.js';
import { SECOND, sample, samples, spec, T0 } from './fixtures.js';

// Cases from Kubernetes' documentation of the HPA algorithm ("Algorithm details", "Scaling on
// multiple metrics"): https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
// (kubernetes/website, content/en/docs/tasks/run-application/horizontal-pod-autoscale.md).

const options = autoscalerOptions();
const rec = (
  current: number,
  given: MetricSamples,
  input: Partial<AutoscalingInput> = {},
  more: { now?: number; lastActiveAt?: number; shortSamples?: MetricSamples } = {},
) =>
  recommend({
    now: more.now ?? T0,
    current,
    spec: spec(input),
    samples: given,
    shortSamples: more.shortSamples,
    lastActiveAt: more.lastActiveAt ?? T0,
    options,
  });

const rps = (target: number) => ({ metrics: [{ type: 'requestsPerSecond' as const, target }] });

describe('recommend: one metric, as HPA (desired = ceil(current x value / target))', () => {
  it.each<[string, number, number, number, number]>([
    // [case, current, value, target, desired]
    ['docs: 200m against a 100m target doubles the replicas', 4, 0.2, 0.1, 8],
    ['docs: 50m against a 100m target halves them', 4, 0.05, 0.1, 2],
    ['rounds up: 3 x 25/20 = 3.75', 3, 25, 20, 4],
    ['an exact ratio: 3 x 14/7 = 6', 3, 14, 7, 6],
    ['zero traffic asks for zero (the bounds come later)', 5, 0, 10, 0],
    ['docs: within the 0.1 tolerance nothing changes (1.1)', 10, 11, 10, 10],
    ['docs: within the 0.1 tolerance nothing changes (0.9)', 10, 9, 10, 10],
    ['just outside the tolerance up: 1.11', 10, 11.1, 10, 12],
    ['just outside the tolerance down: 0.89', 10, 8.9, 10, 9],
    ['outside the tolerance but the same count: ceil(5 x 0.85) = 5', 5, 8.5, 10, 5],
  ])('%s', (_case, current, value, target, desired) => {
    const r = rec(current, samples({ requestsPerSecond: value }), rps(target));
    expect(r.replicas).toBe(desired);
    expect(r.cause).toBe('metrics');
    expect(r.held).toEqual([]);
  });

  it('works in percent for utilization metrics: cpu 140% of a 70% target doubles', () => {
    const r = rec(3, samples({ cpu: 140 }), { metrics: [{ type: 'cpu', targetUtilization: 70 }] });
    expect(r.replicas).toBe(6);
    expect(r.metrics[0]).toMatchObject({ type: 'cpu', target: 70, value: 140, replicas: 6, text: 'cpu 140%/70%' });
  });

  it('multiplies before it divides, with slack: 25 x 56%/50% is 28 (float64 (56/50) x 25 would be 29)', () => {
    const r = rec(25, samples({ cpu: 56 }), { metrics: [{ type: 'cpu', targetUtilization: 50 }] });
    expect(r.replicas).toBe(28);
    expect(Math.ceil((56 / 50) * 25)).toBe(29);
  });

  it('treats latency as a ratio too: p99 450 ms against 300 ms at 4 replicas asks for 6', () => {
    const r = rec(4, samples({ p99LatencyMs: 450 }), { metrics: [{ type: 'p99LatencyMs', target: 300 }] });
    expect(r.replicas).toBe(6);
    expect(r.reason).toBe('p99LatencyMs 450/300');
  });

  it('says why in the words of the event: `concurrency 38/10 per replica`', () => {
    const r = rec(2, samples({ concurrency: 38 }));
    expect(r.replicas).toBe(8);
    expect(r.reason).toBe('concurrency 38/10 per replica');
    expect(rec(10, samples({ concurrency: 10.5 })).reason).toBe('within tolerance: concurrency 10.5/10 per replica');
    expect(rec(10, samples({ concurrency: 2.333 })).reason).toBe(
      'all metrics below target: concurrency 2.33/10 per replica',
    );
  });
});

describe("recommend: the listener's traffic is a mean over the serving replicas (replicas still starting serve nothing)", () => {
  const serving = (value: number, replicas: number): MetricSamples => ({
    requestsPerSecond: { ...sample(value, T0, 60 * SECOND), replicas },
  });
  it.each<[string, number, number, number, number]>([
    // [case, current, serving, value per serving replica, desired] at a target of 10
    ['one of 2 serves 15: the total 15 needs 2, not ceil(2 x 15/10) = 3', 2, 1, 15, 2],
    ['one of 2 serves 30: the total 30 needs 3', 2, 1, 30, 3],
    ['one of 3 serves 5: no scale-down while 2 are still starting', 3, 1, 5, 3],
    ["all serve: HPA's rule as before (2 x 15/10 = 3)", 2, 2, 15, 3],
    ['more serve than wanted (draining): the current count is the base', 2, 3, 15, 3],
  ])('%s', (_case, current, replicas, value, desired) => {
    expect(rec(current, serving(value, replicas), rps(10)).replicas).toBe(desired);
  });
});

describe('recommend: several metrics (docs: the largest recommendation wins)', () => {
  const three = {
    metrics: [
      { type: 'concurrency' as const, target: 10 },
      { type: 'cpu' as const, targetUtilization: 50 },
      { type: 'p99LatencyMs' as const, target: 200 },
    ],
  };
  it.each<[string, Partial<Record<'concurrency' | 'cpu' | 'p99LatencyMs', number>>, number, string]>([
    ['cpu drives', { concurrency: 10, cpu: 100, p99LatencyMs: 100 }, 8, 'cpu 100%/50%'],
    ['concurrency drives', { concurrency: 30, cpu: 100, p99LatencyMs: 100 }, 12, 'concurrency 30/10 per replica'],
    ['one metric up, two down: up', { concurrency: 2, cpu: 10, p99LatencyMs: 300 }, 6, 'p99LatencyMs 300/200'],
    [
      'all down: the largest of the downs',
      { concurrency: 5, cpu: 10, p99LatencyMs: 50 },
      2,
      'all metrics below target',
    ],
    ['one within tolerance holds the rest: 4', { concurrency: 10, cpu: 10, p99LatencyMs: 50 }, 4, 'no change'],
  ])('%s', (_case, values, desired, reason) => {
    const r = rec(4, samples(values), three);
    expect(r.replicas).toBe(desired);
    expect(r.reason.startsWith(reason)).toBe(true);
  });
});

describe('recommend: missing, stale and invalid metrics hold (never a scale-down), and say why', () => {
  const two = {
    metrics: [
      { type: 'concurrency' as const, target: 10 },
      { type: 'cpu' as const, targetUtilization: 50 },
    ],
  };
  it.each<[string, MetricSamples, string, string]>([
    ['a missing sample', { concurrency: sample(1) }, 'missing', 'cpu: no sample'],
    [
      'a sample older than staleAfterMs',
      { concurrency: sample(1), cpu: sample(5, T0 - 16 * SECOND) },
      'stale',
      'cpu: last sample 16s old (stale after 15s)',
    ],
    ['a NaN', { concurrency: sample(1), cpu: sample(Number.NaN) }, 'invalid', 'cpu: invalid sample (value NaN)'],
    ['a negative value', { concurrency: sample(1), cpu: sample(-3) }, 'invalid', 'cpu: invalid sample (value -3)'],
  ])('%s: the others ask for fewer, the count holds', (_case, given, why, message) => {
    const r = rec(6, given, two);
    expect(r.replicas).toBe(6);
    expect(r.held).toEqual([{ type: 'cpu', why, message }]);
    expect(r.metrics[1]).toMatchObject({ type: 'cpu', replicas: 6, text: 'cpu ?/50%' });
    expect(r.reason).toBe(`held at 6: ${message}; concurrency 1/10 per replica`);
  });

  it('docs: a held metric does not stop a scale-up the others ask for', () => {
    const r = rec(6, { concurrency: sample(20) }, two);
    expect(r.replicas).toBe(12);
    expect(r.held.map((h) => h.type)).toEqual(['cpu']);
  });

  it('a sample exactly staleAfterMs old is still fresh', () => {
    expect(rec(6, { concurrency: sample(1, T0 - 15 * SECOND) }).held).toEqual([]);
  });
});

describe('recommend: activation and scale to zero', () => {
  const zero = { minReplicas: 0 };
  it.each<[string, number, MetricSamples, MetricSamples | undefined, number, string, string]>([
    // [case, current, samples, short samples, replicas, cause, reason]
    [
      'traffic at zero asks for one replica',
      0,
      samples({ concurrency: 3 }),
      undefined,
      1,
      'activation',
      'activation: concurrency 3 at 0 replicas',
    ],
    [
      'the short window alone is enough to activate',
      0,
      samples({ concurrency: 0 }),
      samples({ requestsPerSecond: 0.5 }, T0, 6 * SECOND),
      1,
      'activation',
      'activation: requestsPerSecond 0.5 at 0 replicas',
    ],
    [
      'no traffic at zero stays at zero',
      0,
      samples({ concurrency: 0, requestsPerSecond: 0 }),
      undefined,
      0,
      'idle',
      'idle at 0 replicas',
    ],
    ['no data at zero stays at zero', 0, {}, undefined, 0, 'idle', 'at 0 replicas, no traffic data'],
    [
      'a stale request at zero does not activate',
      0,
      { concurrency: sample(3, T0 - 20 * SECOND) },
      undefined,
      0,
      'idle',
      'at 0 replicas, no traffic data',
    ],
  ])('%s', (_case, current, given, short, replicas, cause, reason) => {
    const r = rec(current, given, zero, { shortSamples: short });
    expect({ replicas: r.replicas, cause: r.cause, reason: r.reason }).toEqual({ replicas, cause, reason });
  });

  it.each<[string, Partial<AutoscalingInput>, MetricSamples, number, number, string]>([
    // [case, spec, samples, ms since the last request, replicas, cause]
    ['idle for idleSeconds with minReplicas 0: zero', zero, samples({ concurrency: 0 }), 60 * SECOND, 0, 'idle'],
    ['idle a second short of it: the metrics', zero, samples({ concurrency: 0 }), 59 * SECOND, 0, 'metrics'],
    [
      'a longer idleSeconds waits longer',
      { ...zero, scaleToZero: { idleSeconds: 120 } },
      samples({ concurrency: 0 }),
      90 * SECOND,
      0,
      'metrics',
    ],
    ['minReplicas 1 never goes to zero', { minReplicas: 1 }, samples({ concurrency: 0 }), 3600 * SECOND, 0, 'metrics'],
    ['no fresh traffic sample: not known to be idle', zero, {}, 3600 * SECOND, 2, 'metrics'],
    ['a request in the short window is activity', zero, samples({ concurrency: 0 }), 3600 * SECOND, 0, 'metrics'],
    [
      'a held metric keeps the replicas',
      {
        ...zero,
        metrics: [
          { type: 'concurrency', target: 10 },
          { type: 'cpu', targetUtilization: 50 },
        ],
      },
      samples({ concurrency: 0 }),
      3600 * SECOND,
      2,
      'metrics',
    ],
  ])('%s', (name, input, given, idleMs, replicas, cause) => {
    const short = name.startsWith('a request in the short window')
      ? samples({ concurrency: 1 }, T0, 6 * SECOND)
      : undefined;
    const r = rec(2, given, input, { lastActiveAt: T0 - idleMs, shortSamples: short });
    expect({ replicas: r.replicas, cause: r.cause }).toEqual({ replicas, cause });
    if (cause === 'idle') expect(r.reason).toBe('no request for 60s (scaleToZero.idleSeconds 60)');
  });

  it('reports activity and how long it has been idle', () => {
    expect(rec(2, samples({ concurrency: 1 }), zero, { lastActiveAt: T0 - 5000 })).toMatchObject({
      activity: 'active',
      idleForMs: 0,
    });
    expect(rec(2, samples({ concurrency: 0 }), zero, { lastActiveAt: T0 - 5000 })).toMatchObject({
      activity: 'idle',
      idleForMs: 5000,
    });
    expect(rec(2, {}, zero, { lastActiveAt: T0 - 5000 })).toMatchObject({ activity: 'unknown' });
  });
});

import type { Autoscaling, MetricSpec, MetricType } from '../spec/autoscaling.js';
import type { AutoscalerOptions } from './autoscaler-options.js';
import type { MetricSample, MetricSamples } from './metric-source.js';

/** Why a metric gave no recommendation of its own (it holds the count: never a scale-down). */
export type HoldReason = 'missing' | 'stale' | 'invalid';

export interface HeldMetric {
  type: MetricType;
  why: HoldReason;
  /** For a condition: `cpu: last sample 42s old (stale after 15s)`. */
  message: string;
}

/** One metric's view: what `describe` shows (current and target) and what it asks for. */
export interface MetricStatus {
  type: MetricType;
  /** `target`, or `targetUtilization` in percent. */
  target: number;
  /** The sample's value, when there is a usable one. */
  value?: number;
  windowMs?: number;
  /** Replicas this metric asks for: the current count when held or within the tolerance. */
  replicas: number;
  withinTolerance: boolean;
  held?: HeldMetric;
  /** `concurrency 38/10 per replica`, `cpu 85%/70%`, `p99LatencyMs 450/300`. */
  text: string;
}

/** What the listener's traffic says: a request seen, none (known), or no fresh data to tell. */
export type Activity = 'active' | 'idle' | 'unknown';

export interface RecommendInput {
  now: number;
  current: number;
  spec: Autoscaling;
  samples: MetricSamples;
  /** Short-window samples (the fast path's): read here only as activity. */
  shortSamples?: MetricSamples;
  /** When a request was last seen before this decision. */
  lastActiveAt: number;
  options: AutoscalerOptions;
}

export interface Recommendation {
  /** Replicas wanted, before stabilization, rate policies and bounds. */
  replicas: number;
  /** `metrics` (HPA's rule), `activation` (from zero: traffic arrived), `idle` (to or at zero). */
  cause: 'metrics' | 'activation' | 'idle';
  metrics: MetricStatus[];
  held: HeldMetric[];
  activity: Activity;
  /** How long no request has been seen (ms). */
  idleForMs: number;
  /** Why, in words, relative to the current count. */
  reason: string;
}

/** Floating-point slack: 11/10 is 1.1 and within a 10% tolerance, and 3 x 7/7 is 3, not 4. */
const EPSILON = 1e-9;
const TRAFFIC: readonly MetricType[] = ['concurrency', 'requestsPerSecond'];

export const formatNumber = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2))));

export const targetOf = (m: MetricSpec): number => ('target' in m ? m.target : m.targetUtilization);

/** `concurrency 38/10 per replica`; `?` for a value there is none of. */
export function metricText(type: MetricType, target: number, value: number | undefined): string {
  const v = value === undefined ? '?' : formatNumber(value);
  const t = formatNumber(target);
  if (type === 'cpu' || type === 'memory') return `${type} ${value === undefined ? v : `${v}%`}/${t}%`;
  if (type === 'p99LatencyMs') return `${type} ${v}/${t}`;
  return `${type} ${v}/${t} per replica`;
}

/** A sample's problem, if it cannot be used at `now`. */
export function sampleProblem(
  type: MetricType,
  sample: MetricSample | undefined,
  now: number,
  staleAfterMs: number,
): HeldMetric | undefined {
  if (sample === undefined) return { type, why: 'missing', message: `${type}: no sample` };
  if (!Number.isFinite(sample.value) || sample.value < 0 || !Number.isFinite(sample.sampledAt))
    return { type, why: 'invalid', message: `${type}: invalid sample (value ${sample.value})` };
  const age = now - sample.sampledAt;
  if (age > staleAfterMs)
    return {
      type,
      why: 'stale',
      message: `${type}: last sample ${formatNumber(age / 1000)}s old (stale after ${formatNumber(staleAfterMs / 1000)}s)`,
    };
  return undefined;
}

/**
 * Replicas for a sample: ceil(base x value / target), base being the replicas the value is a
 * mean over (`sample.replicas`, at most the current count) or the current count. While fewer
 * replicas serve than exist (some still starting), it asks for no fewer than exist: a scale-down
 * waits until they serve.
 */
export function replicasFor(current: number, sample: MetricSample, target: number): number {
  const base = sample.replicas !== undefined ? Math.min(sample.replicas, current) : current;
  const exact = Math.max(0, Math.ceil((base * sample.value) / target - EPSILON));
  return base < current ? Math.max(current, exact) : exact;
}

/** HPA's per-metric rule: ceil(current x value / target), none within the tolerance. */
export function metricStatus(
  m: MetricSpec,
  sample: MetricSample | undefined,
  input: Pick<RecommendInput, 'now' | 'current' | 'options'>,
): MetricStatus {
  const target = targetOf(m);
  const held = sampleProblem(m.type, sample, input.now, input.options.staleAfterMs);
  if (held || !sample)
    return {
      type: m.type,
      target,
      replicas: input.current,
      withinTolerance: false,
      held,
      text: metricText(m.type, target, undefined),
    };
  const ratio = sample.value / target;
  const withinTolerance = Math.abs(ratio - 1) <= input.options.tolerance + EPSILON;
  const replicas = withinTolerance ? input.current : replicasFor(input.current, sample, target);
  return {
    type: m.type,
    target,
    value: sample.value,
    windowMs: sample.windowMs,
    replicas,
    withinTolerance,
    text: metricText(m.type, target, sample.value),
  };
}

/** Traffic seen at the listener, from the fresh concurrency and request-rate samples of either window. */
export function activityOf(input: Pick<RecommendInput, 'now' | 'samples' | 'shortSamples' | 'options'>): Activity {
  let fresh = 0;
  for (const samples of [input.samples, input.shortSamples ?? {}])
    for (const type of TRAFFIC) {
      const s = samples[type];
      if (!s || sampleProblem(type, s, input.now, input.options.staleAfterMs)) continue;
      if (s.value > 0) return 'active';
      fresh++;
    }
  return fresh > 0 ? 'idle' : 'unknown';
}

const trafficText = (input: RecommendInput): string => {
  const seen = TRAFFIC.flatMap((t) => {
    const v = input.samples[t]?.value ?? input.shortSamples?.[t]?.value;
    return v !== undefined && v > 0 ? [`${t} ${formatNumber(v)}`] : [];
  });
  return seen.join(', ') || 'a request';
};

/**
 * The recommendation of the metrics, before behavior (stabilization, rate policies, the fast
 * path and the bounds):
 * - each metric as HPA: ceil(current x value / target), or the current count within the
 *   tolerance; the largest over the metrics wins;
 * - a missing, stale or invalid sample holds its metric at the current count: it can ask for no
 *   fewer replicas (HPA skips a scale-down when a metric cannot be computed), and `held` says why;
 * - at zero replicas: traffic at the listener asks for 1 (activation), none for 0;
 * - scale to zero: with `minReplicas` 0, no request for `scaleToZero.idleSeconds` and no metric
 *   held, 0 (whatever cpu or memory say: requests are the work of a deployment that scales to zero).
 */
export function recommend(input: RecommendInput): Recommendation {
  const { now, current, spec } = input;
  const metrics = spec.metrics.map((m) => metricStatus(m, input.samples[m.type], input));
  const held = metrics.flatMap((m) => (m.held ? [m.held] : []));
  const activity = activityOf(input);
  const idleForMs = activity === 'active' ? 0 : Math.max(0, now - input.lastActiveAt);
  const base = { metrics, held, activity, idleForMs };
  if (current <= 0) {
    return activity === 'active'
      ? { ...base, replicas: 1, cause: 'activation', reason: `activation: ${trafficText(input)} at 0 replicas` }
      : {
          ...base,
          replicas: 0,
          cause: 'idle',
          reason: activity === 'idle' ? 'idle at 0 replicas' : 'at 0 replicas, no traffic data',
        };
  }
  const idleSeconds = spec.scaleToZero.idleSeconds;
  if (spec.minReplicas === 0 && activity === 'idle' && held.length === 0 && idleForMs >= idleSeconds * 1000)
    return {
      ...base,
      replicas: 0,
      cause: 'idle',
      reason: `no request for ${formatNumber(idleForMs / 1000)}s (scaleToZero.idleSeconds ${idleSeconds})`,
    };
  const replicas = Math.max(...metrics.map((m) => m.replicas));
  return { ...base, replicas, cause: 'metrics', reason: metricsReason(metrics, held, current, replicas) };
}

function metricsReason(metrics: MetricStatus[], held: HeldMetric[], current: number, replicas: number): string {
  const texts = metrics.filter((m) => !m.held).map((m) => m.text);
  if (replicas > current) {
    const driver = metrics.find((m) => m.replicas === replicas)!;
    return driver.text;
  }
  if (held.length) return [`held at ${current}: ${held.map((h) => h.message).join('; ')}`, ...texts].join('; ');
  if (replicas < current) return `all metrics below target: ${texts.join(', ')}`;
  return `${metrics.every((m) => m.withinTolerance) ? 'within tolerance' : 'no change'}: ${texts.join(', ')}`;
}

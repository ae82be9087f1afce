import type { Autoscaling } from '../spec/autoscaling.js';
import { type AutoscalerOptions, autoscalerOptions } from './autoscaler-options.js';
import { type AutoscalerState, initialAutoscalerState, pruneState } from './autoscaler-state.js';
import { clamp, type Limited, rateLimit, stabilize } from './behavior.js';
import type { MetricSamples } from './metric-source.js';
import { panicStep } from './panic.js';
import { type HeldMetric, type MetricStatus, recommend } from './recommend.js';

export interface DecideInput {
  /** Epoch ms, from the injected clock. */
  now: number;
  /**
   * The deployment's replica count now: the count last decided and recorded (what HPA reads from
   * the scale's spec.replicas), not the ready count. `spec.replicas` before the first decision.
   */
  current: number;
  spec: Autoscaling;
  /**
   * The newest sample of each metric over its stable window. Give concurrency and
   * requestsPerSecond from the listener even when the spec does not scale on them: they are how
   * activation and scale to zero see traffic.
   */
  samples: MetricSamples;
  /** The same over the fast path's short window (e.g. 6 s). */
  shortSamples?: MetricSamples;
  /** The previous decision's `state`; undefined for the first decision. */
  state?: AutoscalerState;
  options?: Partial<AutoscalerOptions>;
}

export type ScaleDirection = 'up' | 'down' | 'none';

/** What moved the count: HPA's rules, the fast path, traffic at zero, idleness, or bounds the count is outside of. */
export type ScaleCause = 'metrics' | 'panic' | 'activation' | 'idle' | 'bounds';

export interface ScaleEvent {
  type: 'Normal';
  reason: 'ScaledUp' | 'ScaledDown';
  /** `2 -> 5: concurrency 38/10 per replica` */
  message: string;
}

export interface Decision {
  desired: number;
  current: number;
  direction: ScaleDirection;
  cause: ScaleCause;
  /** Why, in words: `concurrency 38/10 per replica`, with what bent it in parentheses. */
  reason: string;
  /** For the event log when the count changes: `ScaledUp 2 -> 5: concurrency 38/10 per replica`. */
  event?: ScaleEvent;
  /** Current and target per metric (for describe and /metrics). */
  metrics: MetricStatus[];
  /** Metrics that held the count, and why (for a condition). */
  held: HeldMetric[];
  /** The metrics' recommendation, before windows, policies and bounds. */
  recommendation: number;
  /** What bent the recommendation: windows, policies, bounds, the fast path. */
  limits: string[];
  panic: boolean;
  /** To persist and pass to the next decision once `desired` is recorded. */
  state: AutoscalerState;
}

/**
 * One autoscaling decision, a pure function of its input (the order of docs/DESIGN.md,
 * "Autoscaling"):
 * 1. A count outside [minReplicas, maxReplicas] goes to the nearest bound at once.
 * 2. At zero: traffic activates 1 replica at once; otherwise it stays at zero.
 * 3. Otherwise the metrics' recommendation (`recommend`), kept within [max(min, 1), max] and
 *    recorded; the stabilization windows (`stabilize`); to zero when idle and the windows allow
 *    one replica; the fast path (`panicStep`); the rate policies (`rateLimit`); the bounds.
 * The next state assumes `desired` is recorded; a caller that could not record it keeps the old one.
 */
export function decideScale(input: DecideInput): Decision {
  const { now, current, spec } = input;
  const options = autoscalerOptions(input.options);
  const prev = input.state ?? initialAutoscalerState(now);
  const shortSamples = input.shortSamples ?? {};
  const rec = recommend({
    now,
    current,
    spec,
    samples: input.samples,
    shortSamples,
    lastActiveAt: prev.lastActiveAt,
    options,
  });
  const next: AutoscalerState = {
    ...prev,
    lastActiveAt: rec.activity === 'active' ? now : prev.lastActiveAt,
  };
  const limits: string[] = [];
  let desired: number;
  let cause: ScaleCause;
  let reason: string;
  let panic = false;

  if (current > spec.maxReplicas || current < spec.minReplicas) {
    desired = clamp(current, spec.minReplicas, spec.maxReplicas);
    cause = 'bounds';
    reason =
      current > spec.maxReplicas ? `above maxReplicas ${spec.maxReplicas}` : `below minReplicas ${spec.minReplicas}`;
    next.panic = null;
  } else if (current === 0) {
    desired = rec.replicas;
    cause = rec.cause;
    reason = rec.reason;
    next.panic = null;
  } else {
    const floor = Math.max(spec.minReplicas, 1);
    const recorded = clamp(rec.replicas, floor, spec.maxReplicas);
    const stable = stabilize({
      now,
      current,
      recommendation: recorded,
      history: prev.recommendations,
      behavior: spec.behavior,
    });
    note(limits, stable);
    let target = stable.replicas;
    const toZero = rec.cause === 'idle' && target <= 1;
    if (toZero) target = 0;
    const fast = panicStep({ now, current, spec, shortSamples, state: prev.panic, options });
    next.panic = fast.state;
    panic = fast.active;
    let moved: Limited;
    if (fast.active) {
      // no scale-down in panic; up at once, past the scale-up window and policies
      const want = Math.max(target, fast.replicas, current);
      const disabled = spec.behavior.scaleUp.selectPolicy === 'Disabled';
      moved =
        disabled && want > current ? { replicas: current, limit: 'scaleUp selectPolicy Disabled' } : { replicas: want };
      if (want > current && !disabled) limits.push('panic: past the scaleUp window and policies');
      if (target < current) limits.push('panic: no scale-down');
    } else moved = rateLimit({ now, current, desired: target, events: prev.scaleEvents, spec });
    note(limits, moved);
    desired = clamp(moved.replicas, spec.minReplicas, spec.maxReplicas);
    if (rec.cause === 'metrics' && rec.replicas > spec.maxReplicas && desired === spec.maxReplicas)
      limits.push(`maxReplicas ${spec.maxReplicas}`);
    if (rec.cause === 'metrics' && rec.replicas < floor && desired === floor && desired < current)
      limits.push(
        floor === spec.minReplicas ? `minReplicas ${floor}` : 'one replica until idle for scaleToZero.idleSeconds',
      );
    // in panic its count is the recommendation: the scale-down window holds it after the panic ends
    const kept = fast.active ? Math.max(recorded, Math.min(fast.replicas, spec.maxReplicas)) : recorded;
    next.recommendations = [...prev.recommendations, { at: now, replicas: kept }];
    cause = panic && desired > current && fast.replicas > stable.replicas ? 'panic' : rec.cause;
    reason = cause === 'panic' ? `panic: ${fast.text}` : rec.reason;
  }

  const direction: ScaleDirection = desired > current ? 'up' : desired < current ? 'down' : 'none';
  const full = limits.length ? `${reason} (${limits.join('; ')})` : reason;
  if (direction !== 'none') {
    next.scaleEvents = [...prev.scaleEvents, { at: now, change: desired - current }];
    next.lastScale = { at: now, from: current, to: desired, reason: full };
  }
  return {
    desired,
    current,
    direction,
    cause,
    reason: full,
    event:
      direction === 'none'
        ? undefined
        : {
            type: 'Normal',
            reason: direction === 'up' ? 'ScaledUp' : 'ScaledDown',
            message: `${current} -> ${desired}: ${full}`,
          },
    metrics: rec.metrics,
    held: rec.held,
    recommendation: rec.replicas,
    limits,
    panic,
    state: pruneState(next, now, spec),
  };
}

const note = (limits: string[], l: Limited) => {
  if (l.limit) limits.push(l.limit);
};

/** `ScaledUp 2 -> 5: concurrency 38/10 per replica` */
export const formatScaleEvent = (e: ScaleEvent): string => `${e.reason} ${e.message}`;

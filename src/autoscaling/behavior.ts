import type { Autoscaling, ScalingRules } from '../spec/autoscaling.js';
import type { ScaleChange, TimedRecommendation } from './autoscaler-state.js';

// Kubernetes HPA's `behavior`, as pkg/controller/podautoscaler/horizontal.go computes it
// (stabilizeRecommendationWithBehaviors, calculateScaleUpLimitWithScalingRules,
// calculateScaleDownLimitWithBehaviors), with time as numbers.

export interface Limited {
  replicas: number;
  /** What bent the value, in words, when something did. */
  limit?: string;
}

export interface StabilizeInput {
  now: number;
  current: number;
  /** This decision's recommendation. */
  recommendation: number;
  /** Earlier recommendations (this one is not among them yet). */
  history: readonly TimedRecommendation[];
  behavior: Autoscaling['behavior'];
}

/**
 * The stabilization windows: scale up only to the lowest recommendation of the scale-up window,
 * scale down only to the highest of the scale-down window (this decision's included; an entry is
 * in a window of w seconds when it is newer than now - w). So a spike inside the scale-up window
 * does not add replicas, and a dip inside the scale-down window removes none.
 */
export function stabilize(input: StabilizeInput): Limited {
  const { now, current, recommendation, history } = input;
  const upWindow = input.behavior.scaleUp.stabilizationWindowSeconds;
  const downWindow = input.behavior.scaleDown.stabilizationWindowSeconds;
  let up = recommendation;
  let down = recommendation;
  for (const r of history) {
    if (r.at > now - upWindow * 1000) up = Math.min(up, r.replicas);
    if (r.at > now - downWindow * 1000) down = Math.max(down, r.replicas);
  }
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  if (replicas === recommendation) return { replicas };
  return recommendation > current
    ? { replicas, limit: `scaleUp window: lowest recommendation in ${upWindow}s is ${up}` }
    : { replicas, limit: `scaleDown window: highest recommendation in ${downWindow}s is ${down}` };
}

/** Replicas added and removed by the events newer than now - periodSeconds. */
function changesIn(events: readonly ScaleChange[], now: number, periodSeconds: number) {
  let added = 0;
  let removed = 0;
  for (const e of events)
    if (e.at > now - periodSeconds * 1000) {
      if (e.change > 0) added += e.change;
      else removed -= e.change;
    }
  return { added, removed };
}

/**
 * The most replicas the scale-up policies allow now. Each policy counts from the replicas at the
 * start of its period (current - added + removed in it): Pods adds `value`, Percent multiplies by
 * 1 + value/100 rounding up; selectPolicy Max takes the largest, Min the smallest, Disabled none.
 */
export function scaleUpLimit(
  current: number,
  events: readonly ScaleChange[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const { added, removed } = changesIn(events, now, p.periodSeconds);
    const start = current - added + removed;
    return p.type === 'Pods' ? start + p.value : Math.ceil((start * (100 + p.value)) / 100);
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/**
 * The fewest replicas the scale-down policies allow now: Pods removes `value`, Percent keeps
 * (1 - value/100) of the period's start, rounded towards zero (so 10% of 72 removes 8, as the
 * Kubernetes documentation's example); Max takes the largest change (the fewest replicas), Min
 * the smallest, Disabled none.
 */
export function scaleDownLimit(
  current: number,
  events: readonly ScaleChange[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const { added, removed } = changesIn(events, now, p.periodSeconds);
    const start = current - added + removed;
    return p.type === 'Pods' ? start - p.value : Math.trunc((start * (100 - p.value)) / 100);
  });
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

export interface RateLimitInput {
  now: number;
  current: number;
  desired: number;
  events: readonly ScaleChange[];
  spec: Pick<Autoscaling, 'behavior' | 'minReplicas' | 'maxReplicas'>;
}

const policyText = (r: ScalingRules) =>
  r.selectPolicy === 'Disabled'
    ? 'selectPolicy Disabled'
    : `${r.policies.map((p) => `${p.type} ${p.value}/${p.periodSeconds}s`).join(', ')} (${r.selectPolicy})`;

/** The rate policies and the bounds: how far towards `desired` the count may move now. */
export function rateLimit(input: RateLimitInput): Limited {
  const { now, current, desired, events, spec } = input;
  const { scaleUp, scaleDown } = spec.behavior;
  if (desired > current) {
    const limit = Math.max(current, scaleUpLimit(current, events, scaleUp, now));
    if (limit < spec.maxReplicas) {
      if (desired > limit)
        return { replicas: limit, limit: `scaleUp policies allow ${limit} now: ${policyText(scaleUp)}` };
    } else if (desired > spec.maxReplicas)
      return { replicas: spec.maxReplicas, limit: `maxReplicas ${spec.maxReplicas}` };
  } else if (desired < current) {
    const limit = Math.min(current, scaleDownLimit(current, events, scaleDown, now));
    if (limit > spec.minReplicas) {
      if (desired < limit)
        return { replicas: limit, limit: `scaleDown policies allow ${limit} now: ${policyText(scaleDown)}` };
    } else if (desired < spec.minReplicas)
      return { replicas: spec.minReplicas, limit: `minReplicas ${spec.minReplicas}` };
  }
  return { replicas: desired };
}

/** `x` within [lo, hi]. */
export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

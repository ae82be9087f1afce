import type { Autoscaling, MetricType } from '../spec/autoscaling.js';
import type { AutoscalerOptions } from './autoscaler-options.js';
import type { PanicState } from './autoscaler-state.js';
import type { MetricSamples } from './metric-source.js';
import { formatNumber, metricText, replicasFor, sampleProblem, targetOf } from './recommend.js';

/**
 * The fast path, Knative's panic mode, for the metrics a burst shows in first: concurrency and
 * requests per second. The rules:
 *
 * 1. **Trigger.** With at least one replica, a fresh short-window sample (e.g. 6 s) of a
 *    configured concurrency or requestsPerSecond metric whose value reaches `panicThreshold`
 *    (default 2) times its per-replica target: the replicas there are have half the capacity
 *    or less. Each trigger sets `lastTriggeredAt` to now (and `since`, when not in panic yet).
 * 2. **What it asks for.** ceil(current x value / target) from the short window (`replicasFor`:
 *    total / target when the value is a mean over the serving replicas), the largest over
 *    the fast metrics, and never less than the most it asked for since it started (`peak`).
 * 3. **How.** The count goes to max(that, the stable recommendation, current) at once: the
 *    scale-up stabilization window and rate policies are skipped; `maxReplicas` and a scale-up
 *    `selectPolicy: Disabled` still hold.
 * 4. **No scale-down in panic**, scale to zero included.
 * 5. **End.** Panic lasts while the threshold is reached and `panicHoldMs` (default 60 s,
 *    Knative's stable window) after the last trigger; then the stable path (HPA's rules) resumes.
 *    While in panic its count is recorded as the recommendation, so the scale-down stabilization
 *    window (300 s by default) keeps it after the panic ends, until those recommendations age out.
 */
export interface PanicInput {
  now: number;
  current: number;
  spec: Autoscaling;
  shortSamples: MetricSamples;
  state: PanicState | null;
  options: AutoscalerOptions;
}

export interface PanicResult {
  /** The next panic state: null outside panic. */
  state: PanicState | null;
  /** In panic after this decision. */
  active: boolean;
  /** What the fast path asks for (0 outside panic). */
  replicas: number;
  /** The triggering (or last) short-window reading, in words. */
  text?: string;
}

const FAST: readonly MetricType[] = ['concurrency', 'requestsPerSecond'];

export function panicStep(input: PanicInput): PanicResult {
  const { now, current, spec, options } = input;
  let want = 0;
  let triggered = false;
  let text: string | undefined;
  if (current > 0)
    for (const m of spec.metrics) {
      if (!FAST.includes(m.type)) continue;
      const s = input.shortSamples[m.type];
      if (!s || sampleProblem(m.type, s, now, options.staleAfterMs)) continue;
      const target = targetOf(m);
      const replicas = replicasFor(current, s, target);
      if (s.value / target >= options.panicThreshold) triggered = true;
      if (replicas > want) {
        want = replicas;
        text = `${metricText(m.type, target, s.value)} over ${formatNumber(s.windowMs / 1000)}s`;
      }
    }
  want = Math.min(want, spec.maxReplicas);
  const prev = input.state;
  if (triggered) {
    const state = { since: prev?.since ?? now, lastTriggeredAt: now, peak: Math.max(prev?.peak ?? 0, want) };
    return { state, active: true, replicas: state.peak, text };
  }
  if (prev && now - prev.lastTriggeredAt <= options.panicHoldMs) {
    const state = { ...prev, peak: Math.max(prev.peak, want) };
    const left = formatNumber((prev.lastTriggeredAt + options.panicHoldMs - now) / 1000);
    return {
      state,
      active: true,
      replicas: state.peak,
      text: `${state.peak > prev.peak ? text : `holding ${state.peak}`} (panic for ${left}s more: no scale-down)`,
    };
  }
  return { state: null, active: false, replicas: 0 };
}

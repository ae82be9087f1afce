import type { MetricSample, MetricSamples } from '../../../src/autoscaling/index.js';
import { type Autoscaling, type AutoscalingInput, autoscaling } from '../../../src/spec/autoscaling.js';

/** The Kubernetes documentation this folder's tables come from. */
export const HPA_DOCS = 'https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/';

export const T0 = 1_700_000_000_000;
export const SECOND = 1000;

/** `spec.autoscaling` as the schema makes it (defaults filled), from what a user would write. */
export function spec(input: Partial<AutoscalingInput> = {}): Autoscaling {
  return autoscaling.parse({
    minReplicas: 1,
    maxReplicas: 100,
    metrics: [{ type: 'concurrency', target: 10 }],
    ...input,
  });
}

/** A fresh sample at `at` (a minute's window unless told). */
export const sample = (value: number, at = T0, windowMs = 60 * SECOND): MetricSample => ({
  value,
  sampledAt: at,
  windowMs,
});

/** Fresh samples of several metrics at once. */
export function samples(
  values: Partial<Record<keyof MetricSamples, number>>,
  at = T0,
  windowMs = 60 * SECOND,
): MetricSamples {
  const out: MetricSamples = {};
  for (const [k, v] of Object.entries(values) as Array<[keyof MetricSamples, number]>) out[k] = sample(v, at, windowMs);
  return out;
}

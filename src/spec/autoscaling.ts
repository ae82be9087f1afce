import { z } from 'zod';
import { intRange } from './schema-helpers.js';

/** What skyfleet can scale on (`spec.autoscaling.metrics[].type`). */
export const METRIC_TYPES = ['concurrency', 'requestsPerSecond', 'cpu', 'memory', 'p99LatencyMs'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];
/** Measured at the deployment's listener (the built-in router or nginx): they need `spec.service`. */
export const LISTENER_METRICS: readonly MetricType[] = ['concurrency', 'requestsPerSecond', 'p99LatencyMs'];
/** A percentage of what every container requests (`resources.cpu`, `resources.memory`). */
export const UTILIZATION_METRICS = ['cpu', 'memory'] as const;

const target = (what: string) => {
  const error = `expected a number above 0 (${what}); a target of 0 would ask for unbounded replicas`;
  return z.number({ error }).positive({ error });
};
const UTILIZATION = 'expected a whole percentage 1-1000 of what each container requests (e.g. 70)';
const utilization = z
  .number({ error: UTILIZATION })
  .int({ error: UTILIZATION })
  .min(1, { error: UTILIZATION })
  .max(1000, { error: UTILIZATION });

export const metricSpec = z.discriminatedUnion(
  'type',
  [
    /** Mean in-flight requests per replica. */
    z.strictObject({ type: z.literal('concurrency'), target: target('in-flight requests per replica') }),
    /** Requests per second per replica. */
    z.strictObject({ type: z.literal('requestsPerSecond'), target: target('requests per second per replica') }),
    /** Mean cpu use in percent of `resources.cpu`. */
    z.strictObject({ type: z.literal('cpu'), targetUtilization: utilization }),
    /** Mean memory use in percent of `resources.memory`. */
    z.strictObject({ type: z.literal('memory'), targetUtilization: utilization }),
    /** The 99th percentile of request latency at the listener, in milliseconds. */
    z.strictObject({ type: z.literal('p99LatencyMs'), target: target('milliseconds') }),
  ],
  { error: `expected metric type ${METRIC_TYPES.join(', ')}` },
);

export const scalingPolicy = z.strictObject({
  type: z.enum(['Percent', 'Pods'], { error: 'expected policy type Percent or Pods' }),
  /** Pods: replicas; Percent: percent of the replicas at the start of the period. */
  value: intRange(1, 100_000),
  /** The period the change is counted over (Kubernetes allows 1-1800). */
  periodSeconds: intRange(1, 1800),
});

interface RulesDefaults {
  stabilizationWindowSeconds: number;
  policies: Array<z.output<typeof scalingPolicy>>;
}

/** One direction of `behavior`, with that direction's Kubernetes HPA defaults. */
function scalingRules(defaults: RulesDefaults) {
  return z
    .strictObject({
      /** Recommendations of the last N seconds considered (down: their highest, up: their lowest). */
      stabilizationWindowSeconds: intRange(0, 3600).default(defaults.stabilizationWindowSeconds),
      policies: z.array(scalingPolicy).default(() => defaults.policies.map((p) => ({ ...p }))),
      /** Max: the policy allowing the largest change; Min: the smallest; Disabled: never scale this way. */
      selectPolicy: z
        .enum(['Max', 'Min', 'Disabled'], { error: 'expected selectPolicy Max, Min or Disabled' })
        .default('Max'),
    })
    .superRefine((r, ctx) => {
      if (r.policies.length === 0 && r.selectPolicy !== 'Disabled')
        ctx.addIssue({
          code: 'custom',
          path: ['policies'],
          message: 'no policy: add at least one, or set selectPolicy: Disabled to turn this direction off',
        });
    });
}

// Kubernetes' defaults (autoscaling/v2 HPAScalingRules): up at once by 100% or 4 pods per 15 s,
// whichever is more; down after 300 s of lower recommendations, by up to 100% per 15 s.
const SCALE_UP: RulesDefaults = {
  stabilizationWindowSeconds: 0,
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};
const SCALE_DOWN: RulesDefaults = {
  stabilizationWindowSeconds: 300,
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};
const rulesDefault = (d: RulesDefaults) => ({
  stabilizationWindowSeconds: d.stabilizationWindowSeconds,
  policies: d.policies.map((p) => ({ ...p })),
  selectPolicy: 'Max' as const,
});

export const scalingBehavior = z.strictObject({
  scaleUp: scalingRules(SCALE_UP).default(() => rulesDefault(SCALE_UP)),
  scaleDown: scalingRules(SCALE_DOWN).default(() => rulesDefault(SCALE_DOWN)),
});

export const scaleToZero = z.strictObject({
  /** Seconds without a request before the last replica goes. */
  idleSeconds: intRange(1, 86_400).default(60),
  /** Seconds a request waits for the first replica before a 503 with Retry-After. */
  activationTimeoutSeconds: intRange(1, 3600).default(30),
});

export const autoscaling = z
  .strictObject({
    /** 0 scales to zero when idle (needs `spec.service`). */
    minReplicas: intRange(0, 100_000).default(1),
    maxReplicas: intRange(1, 100_000),
    metrics: z
      .array(metricSpec)
      .min(1, { error: 'expected at least one metric, e.g. { type: concurrency, target: 10 }' }),
    behavior: scalingBehavior.default(() => ({ scaleUp: rulesDefault(SCALE_UP), scaleDown: rulesDefault(SCALE_DOWN) })),
    scaleToZero: scaleToZero.default(() => ({ idleSeconds: 60, activationTimeoutSeconds: 30 })),
  })
  .superRefine((a, ctx) => {
    if (a.minReplicas > a.maxReplicas)
      ctx.addIssue({
        code: 'custom',
        path: ['minReplicas'],
        message: `minReplicas ${a.minReplicas} is greater than maxReplicas ${a.maxReplicas}: lower minReplicas or raise maxReplicas`,
      });
    const seen = new Map<string, number>();
    a.metrics.forEach((m, i) => {
      const first = seen.get(m.type);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'type'],
          message: `metric ${m.type} is already listed at metrics[${first}]: list each metric once`,
        });
      else seen.set(m.type, i);
    });
  });

export type Autoscaling = z.output<typeof autoscaling>;
export type AutoscalingInput = z.input<typeof autoscaling>;
export type MetricSpec = z.output<typeof metricSpec>;
export type ScalingRules = Autoscaling['behavior']['scaleUp'];
export type ScalingPolicy = z.output<typeof scalingPolicy>;

/** What of a deployment spec the autoscaling rules look at. */
export interface AutoscaledSpec {
  autoscaling?: Autoscaling | undefined;
  template: { containers: ReadonlyArray<{ name: string; resources: { cpu?: unknown; memory?: unknown } }> };
  service?: { dataPlane?: string } | undefined;
}

export interface AutoscalingIssue {
  /** Relative to `spec`. */
  path: Array<string | number>;
  message: string;
}

/**
 * The rules between `spec.autoscaling` and the rest of the spec: a utilization target needs its
 * request on every container (Kubernetes computes no utilization for a pod missing one, and takes
 * no action on that metric), and listener metrics and scale to zero need `spec.service`.
 */
export function autoscalingIssues(spec: AutoscaledSpec): AutoscalingIssue[] {
  const a = spec.autoscaling;
  if (!a) return [];
  const issues: AutoscalingIssue[] = [];
  a.metrics.forEach((m, i) => {
    if (m.type === 'cpu' || m.type === 'memory') {
      const missing = spec.template.containers.flatMap((c, j) =>
        c.resources[m.type] === undefined ? [`"${c.name}" (template.containers[${j}])`] : [],
      );
      if (missing.length)
        issues.push({
          path: ['autoscaling', 'metrics', i, 'targetUtilization'],
          message: `a ${m.type} target is a percentage of resources.${m.type}, which ${missing.length > 1 ? 'containers' : 'container'} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not set: set resources.${m.type} on every container or scale on another metric`,
        });
    } else if (spec.service === undefined) {
      issues.push({
        path: ['autoscaling', 'metrics', i, 'type'],
        message: `${m.type} is measured at the deployment's listener, and there is none: add spec.service or scale on cpu or memory`,
      });
    }
  });
  if (a.minReplicas === 0 && spec.service === undefined)
    issues.push({
      path: ['autoscaling', 'minReplicas'],
      message:
        'minReplicas 0 scales to zero, which needs spec.service (its listener holds the first request while a replica starts): add spec.service or set minReplicas to 1 or more',
    });
  else if (a.minReplicas === 0 && spec.service?.dataPlane === 'nginx')
    issues.push({
      path: ['autoscaling', 'minReplicas'],
      message:
        'minReplicas 0 scales to zero, and only the built-in router holds requests while a replica starts: set service.dataPlane to builtin or minReplicas to 1 or more',
    });
  return issues;
}

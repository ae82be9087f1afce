import type { Deployment } from '../spec/deployment.js';

/**
 * A deployment's autoscaling as a native autoscaler takes it: the deployment's bounds and the
 * replicas placed on the whole fleet (a target holding a share of them takes that share of the
 * bounds), and the in-flight requests per replica it aims at when a concurrency metric is given.
 */
export interface SliceAutoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** The deployment's replicas over every target (`spec.replicas`). */
  deploymentReplicas: number;
  concurrency?: number;
}

/** What the choice needs of a target: its name and capabilities. */
export interface TargetCapabilities {
  target: string;
  capabilities: { nativeAutoscaling: boolean };
}

/**
 * The targets whose own autoscalers scale this deployment, or undefined when skyfleet's
 * autoscaler does. A platform that scales itself (Cloud Run) is given the bounds rather than
 * fought: when every target the deployment may be placed on (its `placement.targets`, else the
 * fleet's) scales natively, each gets its share of `spec.autoscaling`, and skyfleet keeps the
 * placement but decides no count. One target without it and skyfleet drives the count
 * everywhere (a native target then keeps the count placed on it warm, as any other slice).
 */
export function nativeAutoscalers(
  deployment: Deployment,
  targets: readonly TargetCapabilities[],
): string[] | undefined {
  if (!deployment.spec.autoscaling) return undefined;
  const allowed = deployment.spec.placement.targets?.map((t) => t.name);
  const eligible = allowed ? targets.filter((t) => allowed.includes(t.target)) : targets;
  if (eligible.length === 0 || !eligible.every((t) => t.capabilities.nativeAutoscaling)) return undefined;
  return eligible.map((t) => t.target);
}

/** The deployment's autoscaling as each of its slices carries it to a native autoscaler. */
export function sliceAutoscaling(deployment: Deployment): SliceAutoscaling | undefined {
  const a = deployment.spec.autoscaling;
  if (!a) return undefined;
  const concurrency = a.metrics.find((m) => m.type === 'concurrency');
  return {
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    deploymentReplicas: deployment.spec.replicas,
    ...(concurrency && 'target' in concurrency ? { concurrency: concurrency.target } : {}),
  };
}

/**
 * One target's share of the bounds, in proportion to the replicas placed on it (`placed` of the
 * deployment's `deploymentReplicas`): the minimum rounded to the nearest (so shares add up to
 * about the deployment's), the maximum rounded up and at least 1 and the minimum. A target
 * holding every replica gets the bounds themselves.
 */
export function boundsShare(a: SliceAutoscaling, placed: number): { min: number; max: number } {
  const of = Math.max(1, a.deploymentReplicas);
  const share = Math.min(1, placed / of);
  const min = Math.round(a.minReplicas * share);
  const max = Math.max(1, min, Math.ceil(a.maxReplicas * share - 1e-9));
  return { min, max };
}

import { place } from '../../placement/index.js';
import type { Domain, PlacementResult } from '../../placement/types.js';
import type { ObservedSlice } from '../../provider/provider.js';
import type { Deployment } from '../../spec/deployment.js';
import { currentAssignment } from './plan-input.js';
import type { PassMemory } from './pass-memory.js';

export interface Placed {
  placement: PlacementResult;
  /** The previous assignment, when this one differs from it (replicas move): for the event. */
  movedFrom?: PlacementResult;
}

/**
 * The place phase: the replicas per domain, from the last assignment of the same generation
 * (stable: the engine moves only what the policy needs, e.g. off an unhealthy domain), or from
 * what exists on the first pass and after a spec change.
 */
export function placePhase(
  deployment: Deployment,
  generation: number,
  observed: readonly ObservedSlice[],
  domains: Domain[],
  memory: PassMemory,
  now: number,
): Placed {
  const { spec } = deployment;
  const prev = memory.generation === generation ? memory.assignment : undefined;
  const current = new Map<string, number>();
  if (prev) for (const a of prev.assignments) current.set(`${a.target}/${a.zone}`, a.replicas);
  const placement = place({
    replicas: spec.replicas,
    policy: spec.placement,
    template: spec.template,
    scaleToZero: spec.autoscaling?.minReplicas === 0,
    ...(spec.service ? { servicePort: spec.service.targetPort } : {}),
    domains,
    current: prev ? current : currentAssignment(observed),
    now,
  });
  memory.assignment = placement;
  memory.generation = generation;
  return prev && summary(prev) !== summary(placement) ? { placement, movedFrom: prev } : { placement };
}

/** `target/zone=n, ...` for the domains that hold replicas. */
export function summary(p: PlacementResult): string {
  return p.assignments
    .filter((a) => a.replicas > 0)
    .map((a) => `${a.target}/${a.zone}=${a.replicas}`)
    .join(', ');
}

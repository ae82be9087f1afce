import { type PlanInput, rolloutBudget, type SliceState } from '../../plan/index.js';
import type { ObservedSlice } from '../../provider/provider.js';
import type { Deployment } from '../../spec/deployment.js';

/** The per-slice state the planner sees, from what providers report. */
export function toSliceStates(observed: readonly ObservedSlice[]): SliceState[] {
  return observed.map((s) => ({
    target: s.target,
    zone: s.key.zone,
    revision: s.key.revision,
    replicas: s.replicas,
    ready: s.ready,
  }));
}

/** Replicas per domain over every revision: the current assignment placement keeps stable. */
export function currentAssignment(observed: readonly ObservedSlice[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of observed) m.set(`${s.target}/${s.key.zone}`, (m.get(`${s.target}/${s.key.zone}`) ?? 0) + s.replicas);
  return m;
}

/** What `planStep` needs: the deployment's counts and strategy, the desired and observed slices. */
export function planInputOf(
  deployment: Deployment,
  revision: string,
  desired: ReadonlyArray<{ target: string; zone: string; replicas: number }>,
  observed: readonly ObservedSlice[],
  unknown: ReadonlySet<string>,
): PlanInput {
  const { spec } = deployment;
  return {
    replicas: spec.replicas,
    revision,
    desired: desired.map((a) => ({ target: a.target, zone: a.zone, replicas: a.replicas })),
    observed: toSliceStates(observed),
    strategy:
      spec.strategy.type === 'Recreate'
        ? { type: 'Recreate' }
        : spec.strategy.type === 'RollingUpdate'
          ? {
              type: 'RollingUpdate',
              budget: rolloutBudget(
                spec.replicas,
                spec.strategy.rollingUpdate.maxSurge,
                spec.strategy.rollingUpdate.maxUnavailable,
              ),
            }
          : // BlueGreen/Canary outside a rollout (first deploy, scaling): never below the replicas asked for
            { type: 'RollingUpdate', budget: rolloutBudget(spec.replicas, '25%', 0) },
    unknownRevisions: unknown,
  };
}

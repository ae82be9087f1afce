import type { Domain } from '../../placement/types.js';
import { place } from '../../placement/index.js';
import { type ExplicitTarget, planExplicit, type PlanStep } from '../../plan/index.js';
import type { ObservedSlice } from '../../provider/provider.js';
import { rolloutStep } from '../../rollout/rollout-step.js';
import type { TrafficStats } from '../../rollout/analysis.js';
import type { Deployment } from '../../spec/deployment.js';
import { type ReconcileContext, recordEvent } from '../context.js';
import type { RevisionTemplates } from '../templates.js';
import { toSliceStates } from './plan-input.js';

export interface RolloutPlan {
  step: PlanStep;
  /** The traffic split by revision, or null: by endpoint count. */
  weights: Record<string, number> | null;
  /** The revision behind the preview listener (BlueGreen). */
  preview?: string;
  /** The rollout completed or aborted: nothing more to advance. */
  finished: boolean;
  message: string;
}

/**
 * The plan phase of a BlueGreen or Canary deployment: the rollout step (pure, from the stored
 * rollout state, the ready counts and the traffic stats) decides replicas per revision and the
 * traffic split; its new state and events are recorded; each revision's count is placed by its
 * own spec's policy (the new revision by this spec's, the stable one by the placement recorded
 * with its revision, so a rollout to other targets does not move the stable revision there) and
 * realised make-before-break by `planExplicit`.
 */
export async function rolloutPhase(
  ctx: ReconcileContext,
  deployment: Deployment,
  revision: string,
  observed: readonly ObservedSlice[],
  desired: ReadonlyArray<{ target: string; zone: string; replicas: number }>,
  domains: Domain[],
  templates: RevisionTemplates,
  traffic: {
    weighted: boolean;
    stats: (revision: string, windowMs: number) => TrafficStats | undefined;
  },
): Promise<RolloutPlan> {
  const name = deployment.metadata.name;
  const { spec } = deployment;
  if (spec.strategy.type !== 'BlueGreen' && spec.strategy.type !== 'Canary')
    throw new Error(`rolloutPhase: ${name} has no progressive strategy`);
  const now = ctx.clock.now();
  const prior = await ctx.store.getRollout(name);
  const readyBy = new Map<string, number>();
  for (const s of observed) readyBy.set(s.key.revision, (readyBy.get(s.key.revision) ?? 0) + s.ready);
  // with no rollout on record, it starts from whatever serves most now
  const serving = [...readyBy]
    .filter(([r, n]) => r !== revision && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  const decision = rolloutStep({
    ...(serving ? { serving } : {}),
    strategy: spec.strategy,
    replicas: spec.replicas,
    revision,
    state: prior,
    ready: readyBy,
    stats: traffic.stats,
    weighted: traffic.weighted,
    now,
  });
  if (JSON.stringify(decision.state) !== JSON.stringify(prior)) await ctx.store.putRollout(name, decision.state);
  for (const e of decision.events) await recordEvent(ctx, name, e.type, e.reason, e.message);
  const explicit: ExplicitTarget[] = [];
  for (const [rev, n] of decision.replicas) {
    const assignments =
      rev === revision && n === spec.replicas
        ? desired
        : place({
            replicas: n,
            policy: rev === revision ? spec.placement : ((await templates.placement(rev)) ?? spec.placement),
            template: (await templates.get(rev)) ?? spec.template,
            scaleToZero: spec.autoscaling?.minReplicas === 0,
            ...(spec.service ? { servicePort: spec.service.targetPort } : {}),
            domains,
            current: new Map(
              observed.filter((o) => o.key.revision === rev).map((o) => [`${o.target}/${o.key.zone}`, o.replicas]),
            ),
            now,
          }).assignments;
    for (const a of assignments) explicit.push({ target: a.target, zone: a.zone, revision: rev, replicas: a.replicas });
  }
  return {
    step: planExplicit({ desired: explicit, observed: toSliceStates(observed) }),
    weights: decision.weights,
    ...(decision.preview ? { preview: decision.preview } : {}),
    finished: decision.state.phase === 'Completed' || decision.state.phase === 'Aborted',
    message: `${decision.state.phase}: ${decision.state.message}`,
  };
}

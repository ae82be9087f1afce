import type { PlacementResult } from '../placement/types.js';
import { type Action, simulatePlan } from '../plan/index.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { DeploymentObserver } from '../reconcile/pass/deployment-observer.js';
import { newPassMemory } from '../reconcile/pass/pass-memory.js';
import { reconcilePass } from '../reconcile/pass/reconcile-pass.js';
import type { Deployment } from '../spec/deployment.js';
import { desiredRevision } from '../reconcile/desired-revision.js';

export interface PlanResult {
  deployment: string;
  revision: string;
  /** The revision recorded for this deployment before, if any. */
  previousRevision: string | undefined;
  placement: PlacementResult;
  /** Ordered steps; each step's actions run together. Empty when nothing would change. */
  steps: Action[][];
  converges: boolean;
}

/**
 * The `plan` driver of the reconcile pass: every phase up to the plan, once, without acting;
 * then the steps replayed as if each became ready (`simulatePlan`). Changes nothing.
 */
export async function planDeployment(ctx: ReconcileContext, d: Deployment): Promise<PlanResult> {
  const revision = await desiredRevision(ctx, d);
  const prior = await ctx.store.getDeployment(d.metadata.name);
  const r = await reconcilePass(
    ctx,
    { observer: new DeploymentObserver(ctx.providers, ctx.fleet) },
    { deployment: d, revision, generation: 0, memory: newPassMemory(), act: false },
  );
  if (r.outcome.type === 'retry' || r.outcome.type === 'terminal') throw r.outcome.error;
  const sim = simulatePlan(r.input!);
  return {
    deployment: d.metadata.name,
    revision,
    previousRevision: prior?.revision,
    placement: r.placement!,
    steps: sim.steps,
    converges: sim.converges,
  };
}

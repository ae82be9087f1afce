import type { ReconcileContext } from '../reconcile/context.js';
import { observeAll } from '../reconcile/observe-all.js';
import type { DeploymentRecord } from '../store/store.js';

/**
 * An nginx upstream + server block with the deployment's ready endpoints and, during a
 * BlueGreen/Canary rollout, the split the controller serves now (computed, not stored: nothing
 * advances here).
 */
export async function exportNginx(ctx: ReconcileContext, rec: DeploymentRecord): Promise<string> {
  const name = rec.name;
  const observed = await observeAll(ctx.providers, ctx.fleet, name);
  const { TrafficManager } = await import('../reconcile/traffic-manager.js');
  const { nginxUpstreamConfig } = await import('../traffic/nginx.js');
  const st = await ctx.store.getRollout(name);
  const strategy = rec.spec.spec.strategy;
  let weights: Record<string, number> | undefined;
  if (st && (strategy.type === 'Canary' || strategy.type === 'BlueGreen')) {
    const { rolloutStep } = await import('../rollout/rollout-step.js');
    const ready = new Map<string, number>();
    for (const o of observed) ready.set(o.key.revision, (ready.get(o.key.revision) ?? 0) + o.ready);
    weights = rolloutStep({
      strategy,
      replicas: rec.spec.spec.replicas,
      revision: rec.revision,
      state: st,
      ready,
      weighted: true,
      now: ctx.clock.now(),
    }).weights;
  }
  return nginxUpstreamConfig(name, TrafficManager.endpointsOf(rec.spec, observed), weights);
}

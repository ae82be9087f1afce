import { ValidationError } from '../errors/index.js';
import { place } from '../placement/index.js';
import { rolloutBudget } from '../plan/index.js';
import type { Provider } from '../provider/provider.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { domainsOf } from '../reconcile/domains.js';
import { resolveSecrets } from '../reconcile/secrets.js';
import type { Deployment } from '../spec/deployment.js';
import { sourceOf } from '../spec/load.js';

/** Every placement target a deployment names is a target of the fleet. */
export function checkTargets(d: Deployment, fleet: string, known: ReadonlyMap<string, Provider>): void {
  const issues = (d.spec.placement.targets ?? [])
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => !known.has(t.name))
    .map(({ t, i }) => ({
      path: `spec.placement.targets[${i}].name`,
      message: `target "${t.name}" is not in fleet ${fleet} (targets: ${[...known.keys()].join(', ')})`,
    }));
  if (issues.length) throw new ValidationError(issues, sourceOf(d) ?? `deployment ${d.metadata.name}`);
}

/**
 * Admission: every check a desired-state change must pass before the first write, so a rejected
 * request leaves the store and the world as they were. The schema (parsing) has run; here: the
 * targets exist, the rollout budget can make progress, every secret resolves, and the placement
 * policy can be satisfied by the fleet's targets (capabilities, capacity, spread, min/max).
 * Returns the resolved secrets for the apply that follows.
 */
export async function admit(ctx: ReconcileContext, d: Deployment): Promise<Record<string, string>> {
  const { spec } = d;
  checkTargets(d, ctx.fleet, ctx.providers);
  if (spec.strategy.type === 'RollingUpdate')
    rolloutBudget(spec.replicas, spec.strategy.rollingUpdate.maxSurge, spec.strategy.rollingUpdate.maxUnavailable);
  const secrets = await resolveSecrets(spec.template, ctx.secrets);
  // health is the controller's to judge: here every domain counts, so only a policy no healthy
  // fleet could hold is refused (an unhealthy zone is no reason to reject a spec)
  place({
    replicas: spec.replicas,
    policy: spec.placement,
    template: spec.template,
    scaleToZero: spec.autoscaling?.minReplicas === 0,
    domains: domainsOf(ctx.providers),
    now: ctx.clock.now(),
  });
  return secrets;
}

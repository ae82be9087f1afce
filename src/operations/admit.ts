import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { type DomainAssignment, place } from '../placement/index.js';
import { rolloutBudget } from '../plan/index.js';
import type { Provider } from '../provider/provider.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { domainsOf } from '../reconcile/domains.js';
import { deploymentSecrets } from '../reconcile/secrets.js';
import type { Deployment } from '../spec/deployment.js';
import { sourceOf } from '../spec/load.js';
import { revisionOf } from '../spec/revision.js';

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
 * targets exist, the rollout budget can make progress, every secret resolves, the placement
 * policy can be satisfied by the fleet's targets (capabilities, capacity, spread, min/max), each
 * target used accepts its slice (`validate`) and can realise slices at all (`preflight`).
 * Returns the resolved secrets for the apply that follows.
 */
export async function admit(ctx: ReconcileContext, d: Deployment): Promise<Record<string, string>> {
  const { spec } = d;
  checkTargets(d, ctx.fleet, ctx.providers);
  if (spec.strategy.type === 'RollingUpdate')
    rolloutBudget(spec.replicas, spec.strategy.rollingUpdate.maxSurge, spec.strategy.rollingUpdate.maxUnavailable);
  const secrets = await deploymentSecrets(ctx, spec);
  // health is the controller's to judge: here every domain counts, so only a policy no healthy
  // fleet could hold is refused (an unhealthy zone is no reason to reject a spec)
  const placement = place({
    replicas: spec.replicas,
    policy: spec.placement,
    template: spec.template,
    scaleToZero: spec.autoscaling?.minReplicas === 0,
    ...(spec.service ? { servicePort: spec.service.targetPort } : {}),
    domains: domainsOf(ctx.providers),
    now: ctx.clock.now(),
  });
  checkOnTargets(ctx, d, placement.assignments, secrets);
  // then what only a read can tell (an ECS cluster without its capacity provider): still before any write
  const used = new Set(placement.assignments.filter((a) => a.replicas > 0).map((a) => a.target));
  for (const t of used) await ctx.providers.get(t)?.preflight?.({ reason: 'preflight', deployment: d.metadata.name });
  return secrets;
}

/**
 * Each target the placement puts replicas on checks the slice it would get, with no call
 * (Provider.validate): a change one target could never run (a task size Fargate does not offer)
 * is refused before any other target starts the new revision.
 */
function checkOnTargets(
  ctx: ReconcileContext,
  d: Deployment,
  assignments: readonly DomainAssignment[],
  secrets: Record<string, string>,
): void {
  const revision = revisionOf(d.spec.template);
  const issues: ValidationIssue[] = [];
  for (const a of assignments) {
    if (a.replicas === 0) continue;
    const provider = ctx.providers.get(a.target);
    if (!provider?.validate) continue;
    try {
      provider.validate({
        key: { fleet: ctx.fleet, deployment: d.metadata.name, revision, zone: a.zone },
        replicas: a.replicas,
        template: d.spec.template,
        secrets,
        labels: d.metadata.labels ?? {},
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const i of error.issues) {
        const issue = { ...i, message: `target ${a.target} (${provider.kind}): ${i.message}` };
        if (!issues.some((x) => x.path === issue.path && x.message === issue.message)) issues.push(issue);
      }
    }
  }
  if (issues.length) throw new ValidationError(issues, sourceOf(d) ?? `deployment ${d.metadata.name}`);
}

import { place } from '../placement/index.js';
import type { ObservedSlice } from '../provider/provider.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { domainsOf } from '../reconcile/domains.js';
import { observeAll } from '../reconcile/observe-all.js';
import { type Progress, progressOf } from '../reconcile/progress.js';
import type { Condition, DeploymentRecord } from '../store/store.js';

export interface DeploymentStatus {
  name: string;
  revision: string;
  revisionNumber: number | undefined;
  generation: number;
  replicas: number;
  ready: number;
  /** Replicas that exist for the current revision, over all domains. */
  current: number;
  domains: Progress['domains'];
  slices: ObservedSlice[];
  /** Available / Progressing / Degraded, as the controller last recorded them. */
  conditions: Condition[];
}

/** What runs for a stored deployment, per domain, beside where its policy places it now. */
export async function deploymentStatus(ctx: ReconcileContext, rec: DeploymentRecord): Promise<DeploymentStatus> {
  const { name } = rec;
  const observed = await observeAll(ctx.providers, ctx.fleet, name);
  const d = rec.spec;
  let desired: Array<{ target: string; zone: string; replicas: number }> = [];
  try {
    desired = place({
      replicas: d.spec.replicas,
      policy: d.spec.placement,
      template: d.spec.template,
      scaleToZero: d.spec.autoscaling?.minReplicas === 0,
      ...(d.spec.service ? { servicePort: d.spec.service.targetPort } : {}),
      domains: domainsOf(ctx.providers),
      now: ctx.clock.now(),
    }).assignments;
  } catch {
    // status still shows what exists when the policy cannot be placed now
  }
  const p = progressOf(name, rec.revision, d.spec.replicas, desired, observed, '');
  const rev = await ctx.store.getRevision(name, rec.revision);
  return {
    name,
    revision: rec.revision,
    revisionNumber: rev?.number,
    generation: rec.generation,
    replicas: d.spec.replicas,
    ready: p.ready,
    current: p.domains.reduce((a, x) => a + x.current, 0),
    domains: p.domains,
    slices: observed,
    conditions: await ctx.store.getConditions(name),
  };
}

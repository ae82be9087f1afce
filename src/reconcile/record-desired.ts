import { SkyfleetError } from '../errors/index.js';
import { deploymentConflict } from '../store/deployment-conflict.js';
import { ANNOTATIONS } from '../spec/annotations.js';
import type { Deployment } from '../spec/deployment.js';
import { startingReplicas } from '../autoscaling/starting-replicas.js';
import type { DeploymentRecord } from '../store/store.js';
import { type ReconcileContext, recordEvent } from './context.js';
import { desiredRevision } from './desired-revision.js';

/**
 * Records the desired state (spec and revision) before anything changes, as a compare-and-set
 * on the generation read: two writers never lose an update between their read and their write
 * (the later one writes on the new generation; its waiters see the change).
 */
export async function recordDesired(
  ctx: ReconcileContext,
  deployment: Deployment,
  expectResourceVersion?: number,
  /** The revision, when the caller has it (`desiredRevision`); computed here otherwise. */
  known?: string,
): Promise<{ record: DeploymentRecord; created: boolean }> {
  const name = deployment.metadata.name;
  const revision = known ?? (await desiredRevision(ctx, deployment));
  for (let attempt = 1; ; attempt++) {
    const now = ctx.clock.now();
    const prior = await ctx.store.getDeployment(name);
    if (expectResourceVersion !== undefined && (prior?.resourceVersion ?? 0) !== expectResourceVersion) {
      throw deploymentConflict(name, expectResourceVersion, prior, 'resourceVersion');
    }
    // an autoscaled deployment keeps the count its autoscaler decided (within the new bounds)
    const replicas = startingReplicas(deployment.spec, prior?.spec.spec);
    const spec =
      replicas === deployment.spec.replicas ? deployment : { ...deployment, spec: { ...deployment.spec, replicas } };
    const cause = deployment.metadata.annotations?.[ANNOTATIONS.changeCause];
    await ctx.store.putRevision(name, revision, deployment.spec.template, now, cause);
    let rec: DeploymentRecord;
    try {
      rec = await ctx.store.putDeployment(
        { name, spec, revision, updatedAt: now },
        { expectGeneration: prior?.generation ?? null },
      );
    } catch (e) {
      // a writer that named the version it read loses; a plain upsert reads again and retries
      if (e instanceof SkyfleetError && e.code === 'conflict' && attempt < 3 && expectResourceVersion === undefined)
        continue;
      throw e;
    }
    // once the spec is on record: the revision's own placement (where a later rollout keeps it as stable)
    await ctx.store.putRevision(name, revision, deployment.spec.template, now, cause, deployment.spec.placement);
    if (!prior || prior.revision !== revision) {
      await recordEvent(
        ctx,
        name,
        'Normal',
        prior ? 'RevisionChanged' : 'Created',
        prior ? `revision ${prior.revision} -> ${revision}` : `revision ${revision}`,
      );
    }
    return { record: rec, created: !prior };
  }
}

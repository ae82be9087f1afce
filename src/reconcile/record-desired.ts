import type { Deployment } from '../spec/deployment.js';
import { revisionOf } from '../spec/revision.js';
import { type ReconcileContext, recordEvent } from './context.js';

/** Records the desired state (spec and revision) before anything changes. */
export async function recordDesired(ctx: ReconcileContext, deployment: Deployment): Promise<string> {
  const name = deployment.metadata.name;
  const revision = revisionOf(deployment.spec.template);
  const now = ctx.clock.now();
  const prior = await ctx.store.getDeployment(name);
  await ctx.store.putRevision(name, revision, deployment.spec.template, now);
  await ctx.store.putDeployment({ name, spec: deployment, revision, updatedAt: now });
  if (!prior || prior.revision !== revision) {
    await recordEvent(
      ctx,
      name,
      'Normal',
      prior ? 'RevisionChanged' : 'Created',
      prior ? `revision ${prior.revision} -> ${revision}` : `revision ${revision}`,
    );
  }
  return revision;
}

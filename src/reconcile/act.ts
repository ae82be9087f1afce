import { SkyfleetError } from '../errors/index.js';
import type { Action } from '../plan/types.js';
import type { Deployment } from '../spec/deployment.js';
import { mapPool } from '../util/pool.js';
import { nativeBoundsOf } from './autoscale/native-bounds-of.js';
import { type ReconcileContext, recordEvent } from './context.js';
import type { RevisionTemplates } from './templates.js';

const EVENT_REASON: Record<Action['type'], string> = {
  create: 'SliceCreated',
  scale: 'SliceScaled',
  delete: 'SliceRemoved',
  repair: 'ReplicasRepaired',
};

export interface ActFailure {
  action: Action;
  error: unknown;
}

/**
 * Carries out one step's actions, slices in parallel (one operation per slice): removals first,
 * then the rest, since a step may add replicas in the room its removals make (the surge bound
 * holds at every moment). Every action is attempted even when another fails, except additions
 * after a failed removal (the room they counted on is not there; the next pass plans again from
 * what exists). The failures come back with their actions, so the caller can mark domains and
 * decide between retry and stop. The fence runs before every mutation.
 */
export async function act(
  ctx: ReconcileContext,
  deployment: Deployment,
  actions: readonly Action[],
  templates: RevisionTemplates,
  secrets: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ writes: number; failures: ActFailure[] }> {
  const name = deployment.metadata.name;
  let writes = 0;
  const failures: ActFailure[] = [];
  const nativeBounds = nativeBoundsOf(ctx.providers, deployment);
  const one = async (a: Action) => {
    try {
      const provider = ctx.providers.get(a.target);
      if (!provider)
        throw new SkyfleetError('unknown_target', `target ${a.target} is not configured in fleet ${ctx.fleet}`);
      const key = { fleet: ctx.fleet, deployment: name, revision: a.revision, zone: a.zone };
      const reason = `${a.type} ${a.target}/${a.zone} ${a.revision} ${a.from}->${a.to}`;
      await ctx.fence?.();
      if (a.to === 0) {
        writes += (await provider.remove(key, { signal, reason })).writes;
      } else {
        const template = await templates.get(a.revision);
        if (!template)
          throw new SkyfleetError('unknown_revision', `revision ${a.revision} of ${name} has no template on record`);
        const res = await provider.apply(
          {
            key,
            replicas: a.to,
            template,
            secrets,
            labels: deployment.metadata.labels ?? {},
            ...(a.replace ? { replace: a.replace } : {}),
            ...(a.remove ? { remove: a.remove } : {}),
            ...(nativeBounds(a.target) ? { autoscaling: nativeBounds(a.target) } : {}),
          },
          { signal, reason },
        );
        writes += res.writes;
        if (a.type === 'repair' && !res.changed) return; // nothing was broken any more
      }
      await recordEvent(
        ctx,
        name,
        'Normal',
        EVENT_REASON[a.type],
        `${a.target}/${a.zone} ${a.revision}: ${a.from} -> ${a.to} (${a.reason})`,
      );
    } catch (error) {
      failures.push({ action: a, error });
    }
  };
  const removals = actions.filter((a) => a.to < a.from);
  const rest = actions.filter((a) => a.to >= a.from);
  await mapPool(removals, 16, one);
  const grows = (a: Action) => a.to > a.from;
  await mapPool(failures.length ? rest.filter((a) => !grows(a)) : rest, 16, one);
  return { writes, failures };
}

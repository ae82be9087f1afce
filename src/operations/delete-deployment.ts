import { NotFoundError, SkyfleetError } from '../errors/index.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { observeAll } from '../reconcile/observe-all.js';

export interface DeleteResult {
  deployment: string;
  removed: Array<{ target: string; zone: string; revision: string; replicas: number }>;
}

/**
 * Removes everything a deployment runs, and nothing else. The record goes first: a controller
 * then treats what is left as orphans, and a crash half-way leaves nothing that would be
 * recreated. In its lease turn (`inTurn`) it removes the slices itself; while a controller leads,
 * the controller does. Either way it waits until nothing is left.
 */
export async function deleteDeployment(
  ctx: ReconcileContext,
  inTurn: <T>(fn: (fenced: ReconcileContext | undefined) => Promise<T>) => Promise<T>,
  name: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<DeleteResult> {
  const { clock } = ctx;
  const observed = await observeAll(ctx.providers, ctx.fleet, name, opts.signal);
  const rec = await ctx.store.getDeployment(name);
  if (!rec && observed.length === 0)
    throw new NotFoundError('deployment', name, `fleet ${ctx.fleet} has no such deployment`);
  await ctx.store.deleteDeployment(name);
  const removed: DeleteResult['removed'] = observed
    .map((s) => ({ target: s.target, zone: s.key.zone, revision: s.key.revision, replicas: s.replicas }))
    .sort((a, b) => `${a.target}/${a.zone}/${a.revision}`.localeCompare(`${b.target}/${b.zone}/${b.revision}`));
  await inTurn(async (fenced) => {
    if (fenced) {
      // read again: an apply whose turn came first may have changed what runs
      const now = await observeAll(ctx.providers, ctx.fleet, name, opts.signal);
      await Promise.all(
        now.map(async (s) => {
          await fenced.fence?.();
          await ctx.providers.get(s.target)!.remove(s.key, { signal: opts.signal, reason: 'delete' });
        }),
      );
    }
    // providers that delete asynchronously, or a controller sweeping: wait until nothing is left
    const deadline = clock.now() + (opts.timeoutMs ?? 120_000);
    while ((await observeAll(ctx.providers, ctx.fleet, name, opts.signal)).length > 0) {
      if (clock.now() > deadline)
        throw new SkyfleetError(
          'delete_incomplete',
          `deployment ${name} is still being removed; run delete again to finish`,
          {
            retryable: true,
          },
        );
      await clock.sleep(250, opts.signal);
    }
  });
  await ctx.store.addEvent({
    time: clock.now(),
    deployment: name,
    type: 'Normal',
    reason: 'Deleted',
    message: `removed ${removed.reduce((a, r) => a + r.replicas, 0)} replicas`,
  });
  return { deployment: name, removed };
}

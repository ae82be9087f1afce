import type { ObservedSlice } from '../../provider/provider.js';
import { splitsTraffic } from '../../provider/provider.js';
import { type ReconcileContext, recordEvent } from '../context.js';

/**
 * Targets that split traffic between revisions themselves (Cloud Run) get the rollout's split:
 * percentages over the revisions they hold, rounding given to the first, 0% for the rest.
 */
export async function splitTrafficNatively(
  ctx: ReconcileContext,
  name: string,
  observed: readonly ObservedSlice[],
  weights: Record<string, number>,
  signal?: AbortSignal,
): Promise<void> {
  for (const p of ctx.providers.values()) {
    if (!splitsTraffic(p)) continue;
    const here = new Set(observed.filter((o) => o.target === p.target).map((o) => o.key.revision));
    const revs = [...here].filter((r) => (weights[r] ?? 0) > 0);
    if (!revs.length) continue;
    const total = revs.reduce((a, r) => a + weights[r]!, 0);
    const splits = revs.map((r) => ({ revision: r, percent: Math.floor((weights[r]! * 100) / total) }));
    splits[0]!.percent += 100 - splits.reduce((a, x) => a + x.percent, 0);
    for (const r of here) if (!revs.includes(r)) splits.push({ revision: r, percent: 0 });
    await ctx.fence?.();
    const res = await p.setTraffic(name, splits, {
      signal,
      reason: `traffic ${splits.map((x) => `${x.revision}=${x.percent}%`).join(' ')}`,
    });
    if (res.changed)
      await recordEvent(
        ctx,
        name,
        'Normal',
        'TrafficShifted',
        `${p.target}: ${splits.map((x) => `${x.revision} ${x.percent}%`).join(', ')}`,
      );
  }
}

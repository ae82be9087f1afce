import { hostname } from 'node:os';
import { SkyfleetError } from '../errors/index.js';
import { systemClock } from '../util/clock.js';
import type { ReconcileContext } from './context.js';

export const leaseNameOf = (fleet: string) => `fleet/${fleet}`;

export function defaultHolder(kind: string): string {
  return `${kind}-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Runs `fn` holding the fleet's lease, renewed in the background, with every mutation fenced by
 * its token. When another holder (a running controller) has the lease, `fn` gets no context:
 * the caller then only records desired state and watches the controller converge it.
 */
/**
 * Leases coordinate processes, so they run on the wall clock (not an injected test clock, which
 * may jump: a renewal loop on it would burn simulated time).
 */
const wall = systemClock;

export async function withFleetLease<T>(
  ctx: ReconcileContext,
  holder: string,
  fn: (fenced: ReconcileContext | undefined) => Promise<T>,
  ttlMs = 30_000,
): Promise<T> {
  const name = leaseNameOf(ctx.fleet);
  const lease = await ctx.store.acquireLease(name, holder, ttlMs, wall.now());
  if (!lease) return fn(undefined);
  const stop = new AbortController();
  let lost = false;
  const renew = (async () => {
    while (!stop.signal.aborted) {
      await wall.sleep(ttlMs / 3, stop.signal).catch(() => undefined);
      if (stop.signal.aborted) return;
      const again = await ctx.store.acquireLease(name, holder, ttlMs, wall.now()).catch(() => undefined);
      if (!again || again.token !== lease.token) lost = true;
    }
  })();
  const fence = async () => {
    if (lost || !(await ctx.store.checkLease(name, holder, lease.token, wall.now()))) {
      throw new SkyfleetError(
        'lease_lost',
        `lost the lease of fleet ${ctx.fleet} to another controller: stopped before changing anything more`,
      );
    }
  };
  try {
    return await fn({ ...ctx, fence });
  } finally {
    stop.abort();
    await renew;
    await ctx.store.releaseLease(name, holder).catch(() => undefined);
  }
}

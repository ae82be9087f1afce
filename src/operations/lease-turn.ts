import { SkyfleetError } from '../errors/index.js';
import type { ReconcileContext } from '../reconcile/context.js';
import { isOperationHolder, leaseNameOf, withFleetLease } from '../reconcile/fleet-lease.js';

/**
 * Runs a desired-state change (apply, scale, delete) in its turn: holding the fleet's lease, it
 * acts itself (`fn(fenced)`); while a controller holds it, it hands over (`fn(undefined)`: record
 * and watch); while another apply or delete holds it, it waits for that one to finish, so two
 * changes of one fleet never interleave. If the controller it handed over to goes away
 * (`controller_gone`), it takes the lease and acts itself.
 */
export async function inLeaseTurn<T>(
  ctx: ReconcileContext,
  holder: string,
  wait: { deadline: number; signal?: AbortSignal | undefined },
  fn: (fenced: ReconcileContext | undefined) => Promise<T>,
): Promise<T> {
  for (;;) {
    // calls of one fleet (one holder) share its lease: they take their turns in this process too
    const mine = await oneAtATime(holder, () =>
      withFleetLease(ctx, holder, async (fenced) => (fenced ? { value: await fn(fenced) } : undefined)),
    );
    if (mine) return mine.value;
    const lease = await ctx.store.getLease(leaseNameOf(ctx.fleet));
    if (lease && lease.expiresAt > ctx.clock.now() && !isOperationHolder(lease.holder)) {
      try {
        return await fn(undefined);
      } catch (e) {
        if (e instanceof SkyfleetError && e.code === 'controller_gone') continue;
        throw e;
      }
    }
    if (lease && ctx.clock.now() > wait.deadline) {
      throw new SkyfleetError(
        'conflict',
        `fleet ${ctx.fleet} is being changed by another operation (${lease.holder}) for longer than this one may wait; try again when it has finished`,
        { retryable: true },
      );
    }
    // another apply or delete holds the lease (or it just lapsed): wait for it
    await ctx.clock.sleep(200, wait.signal);
  }
}

/** The turns of each holder in this process: a lease renewed by the same holder does not keep its calls apart. */
const turns = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(holder: string, fn: () => Promise<T>): Promise<T> {
  const before = turns.get(holder) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  turns.set(holder, settled);
  try {
    return await run;
  } finally {
    if (turns.get(holder) === settled) turns.delete(holder);
  }
}

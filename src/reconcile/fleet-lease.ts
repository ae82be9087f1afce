import { hostname } from 'node:os';
import { SkyfleetError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { ReconcileContext } from './context.js';

export const leaseNameOf = (fleet: string) => `fleet/${fleet}`;

/** Who holds a lease: the role (`controller`, `sdk`), host, pid and a random suffix. */
export function leaseHolder(role: string): string {
  return `${role}-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** True for a holder that is an `apply`, `scale` or `delete` of the SDK or CLI, not a controller. */
export function isOperationHolder(holder: string): boolean {
  return holder.startsWith('sdk-');
}

/**
 * The fleet's lease: one holder acts for a fleet at a time (the controller, or an `apply` that
 * found no controller). Held for a TTL, renewed at a third of it on the injected clock; every
 * mutation is fenced by its token, so a holder that lost it (paused, partitioned, expired)
 * stops before changing anything.
 */
export class FleetLease {
  readonly name: string;
  private token: number | undefined;
  private lost = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly fleet: string,
    readonly holder: string,
    readonly ttlMs: number,
  ) {
    this.name = leaseNameOf(fleet);
  }

  /** The fencing token while held. */
  get held(): number | undefined {
    return this.lost ? undefined : this.token;
  }

  /** Takes the lease if it is free, expired or already ours; false while another holds it. */
  async acquire(): Promise<boolean> {
    const lease = await this.store.acquireLease(this.name, this.holder, this.ttlMs, this.clock.now());
    this.token = lease?.token;
    this.lost = false;
    return !!lease;
  }

  /**
   * Renews every third of the TTL until `signal` aborts; returns when the lease is lost (another
   * holder took it, or it expired before renewal), after calling `onLost`. A failed renewal
   * call (store unreachable) is retried at the next tick; the fence catches an expiry meanwhile.
   */
  async renew(signal: AbortSignal, onLost: () => void | Promise<void>, onError?: (e: Error) => void): Promise<void> {
    while (!signal.aborted) {
      await this.clock.sleep(this.ttlMs / 3, signal).catch(() => undefined);
      if (signal.aborted) return;
      try {
        const again = await this.store.acquireLease(this.name, this.holder, this.ttlMs, this.clock.now());
        if (!again || again.token !== this.token) {
          this.lost = true;
          await onLost();
          return;
        }
      } catch (e) {
        onError?.(e as Error);
      }
    }
  }

  /** The fence: refuses a mutation unless the lease is still held with its token. */
  readonly fence = async (): Promise<void> => {
    const token = this.held;
    if (token === undefined || !(await this.store.checkLease(this.name, this.holder, token, this.clock.now()))) {
      throw new SkyfleetError(
        'lease_lost',
        `${this.holder} no longer holds the lease of fleet ${this.fleet}: stopped before changing anything more`,
      );
    }
  };

  async release(): Promise<void> {
    this.token = undefined;
    await this.store.releaseLease(this.name, this.holder).catch(() => undefined);
  }
}

/**
 * Runs `fn` holding the fleet's lease, renewed in the background, with every mutation fenced by
 * its token. When another holder (a running controller) has the lease, `fn` gets no context:
 * the caller then only records desired state and watches the controller converge it.
 */
export async function withFleetLease<T>(
  ctx: ReconcileContext,
  holder: string,
  fn: (fenced: ReconcileContext | undefined) => Promise<T>,
  ttlMs = 30_000,
): Promise<T> {
  const lease = new FleetLease(ctx.store, ctx.clock, ctx.fleet, holder, ttlMs);
  if (!(await lease.acquire())) return fn(undefined);
  const stop = new AbortController();
  const renew = lease.renew(stop.signal, () => undefined);
  try {
    return await fn({ ...ctx, fence: lease.fence });
  } finally {
    stop.abort();
    await renew;
    await lease.release();
  }
}

import type { Logger } from '../log/logger.js';
import type { Provider } from '../provider/provider.js';
import type { EventType, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { SecretResolver } from './secrets.js';

/** What a reconcile pass works with. Plain values: the CLI's container or createFleet builds it. */
export interface ReconcileContext {
  fleet: string;
  providers: ReadonlyMap<string, Provider>;
  store: Store;
  clock: Clock;
  logger: Logger;
  secrets: SecretResolver;
  /**
   * Called before every provider mutation; throws when this process may no longer act for the
   * fleet (its lease lapsed or moved: the fencing token no longer matches).
   */
  fence?: () => Promise<void>;
}

/** Records an event in the store and the log. */
export async function recordEvent(
  ctx: ReconcileContext,
  deployment: string | null,
  type: EventType,
  reason: string,
  message: string,
): Promise<void> {
  ctx.logger[type === 'Warning' ? 'warn' : 'info']({ deployment, reason }, message);
  await ctx.store.addEvent({ time: ctx.clock.now(), deployment, type, reason, message });
}

import type { Fleet } from '../fleet.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { SyncLoop } from '../sync/sync-loop.js';

/**
 * The git sources' loop of a controller or server process, over its fleet and store: started
 * when the store keeps git sources; `done` settles once `signal` aborts and its passes end.
 */
export async function startSyncLoop(
  fleet: Fleet,
  store: Store,
  logger: Logger,
  signal: AbortSignal,
): Promise<{ loop: SyncLoop | undefined; done: Promise<void> }> {
  const [{ isGitSourceStore }, { SyncLoop }, { systemClock }] = await Promise.all([
    import('../store/git-source-store.js'),
    import('../sync/sync-loop.js'),
    import('../util/clock.js'),
  ]);
  if (!isGitSourceStore(store)) return { loop: undefined, done: Promise.resolve() };
  // the controller converges what a pass records: applies return after their first step
  const loop = new SyncLoop({ store, fleet, clock: systemClock, wait: false, signal }, { logger });
  return { loop, done: loop.run(signal) };
}

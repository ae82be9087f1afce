import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { type SyncDeps, type SyncReport, syncSource } from './sync-source.js';

/** What the API server's webhook needs: a sync of one source, at once. */
export interface SyncTrigger {
  /**
   * Syncs the source now; a sync already running for it is followed by one more (triggers that
   * arrive meanwhile share it), so a commit pushed during a pass is never missed.
   */
  trigger(name: string): Promise<SyncReport>;
}

export interface SyncLoopOptions {
  logger?: Logger;
  /** How often the list of sources is read again (new ones, changed intervals): default 1 s. */
  relistMs?: number;
  /** Called after each pass (tests, benchmarks). */
  onReport?: (r: SyncReport) => void;
}

/**
 * Keeps every git source synced: each is passed on its interval (by the injected clock), and at
 * once on `trigger` (the webhook). One pass per source at a time. A pass of an unchanged branch is
 * one head check (see `syncSource`).
 */
export class SyncLoop implements SyncTrigger {
  private readonly running = new Map<string, Promise<SyncReport>>();
  private readonly queued = new Map<string, Promise<SyncReport>>();
  /** When each source's last pass started (by the clock). */
  private readonly lastStart = new Map<string, number>();
  private readonly logger: Logger;

  constructor(
    private readonly deps: SyncDeps,
    private readonly options: SyncLoopOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  trigger(name: string): Promise<SyncReport> {
    const current = this.running.get(name);
    if (current) {
      let next = this.queued.get(name);
      if (!next) {
        next = current
          .catch(() => undefined)
          .then(() => {
            this.queued.delete(name);
            return this.trigger(name);
          });
        this.queued.set(name, next);
      }
      return next;
    }
    this.lastStart.set(name, this.deps.clock.now());
    const pass = syncSource(this.deps, name)
      .then((r) => {
        if (r.error) this.logger.warn({ source: name, outcome: r.outcome }, r.error.message);
        else if (r.applied.length || r.pruned.length)
          this.logger.info(
            {
              source: name,
              commit: r.commit,
              applied: r.applied.map((a) => `${a.action} ${a.name}`),
              pruned: r.pruned,
            },
            'git source synced',
          );
        this.options.onReport?.(r);
        return r;
      })
      .finally(() => this.running.delete(name));
    this.running.set(name, pass);
    return pass;
  }

  /** Passes every source on its interval until `signal` aborts, then waits for the passes in flight. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, store } = this.deps;
    const relist = this.options.relistMs ?? 1000;
    while (!signal.aborted) {
      const now = clock.now();
      let next = now + relist;
      try {
        const sources = await store.listGitSources();
        for (const s of sources) {
          const due = (this.lastStart.get(s.name) ?? Number.NEGATIVE_INFINITY) + s.intervalMs;
          if (due <= now && !this.running.has(s.name))
            this.trigger(s.name).catch((e: unknown) =>
              this.logger.error({ source: s.name, err: (e as Error).message }, 'git source sync failed'),
            );
          else next = Math.min(next, Math.max(due, now + 1));
        }
        for (const name of this.lastStart.keys())
          if (!sources.some((s) => s.name === name)) this.lastStart.delete(name);
      } catch (e) {
        this.logger.error({ err: (e as Error).message }, 'git sources could not be listed');
      }
      await clock.sleep(next - now, signal).catch(() => undefined);
    }
    await Promise.allSettled([...this.running.values(), ...this.queued.values()]);
  }
}

import type { ObservedSlice, Provider } from '../../provider/provider.js';
import type { Clock } from '../../util/clock.js';
import type { DomainHealth } from '../domain-health.js';
import type { Observation, Observer } from './observer.js';

export interface FleetObserverOptions {
  /**
   * Least time between two observes of one target (the per-target rate limit for cloud APIs).
   * Default: 2 s for cloud targets, none for local ones (Docker pushes events, memory is free).
   */
  minObserveIntervalMs?: number;
}

/**
 * The controller's observe phase: every target on its own, at most once per interval (one read
 * serves every deployment's pass), a target that fails marks its domains unhealthy in `health`
 * and the rest go on. A provider's own zone health is reported first.
 */
export class FleetObserver implements Observer {
  private readonly last = new Map<string, { at: number; slices: ObservedSlice[] }>();

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly fleet: string,
    private readonly clock: Clock,
    private readonly health: DomainHealth,
    private readonly options: FleetObserverOptions = {},
  ) {}

  invalidate(target: string): void {
    this.last.delete(target);
  }

  async observe(deployment: string, signal?: AbortSignal): Promise<Observation> {
    const all = await this.observeFleet(signal);
    return { slices: all.slices.filter((s) => s.key.deployment === deployment), failed: all.failed };
  }

  /** Every slice of the fleet, on every target that answered. */
  async observeFleet(signal?: AbortSignal): Promise<Observation> {
    const failed = new Map<string, Error>();
    const results = await Promise.all(
      [...this.providers.values()].map(async (p) => {
        const zones = p.describe().topology.zones;
        try {
          if (p.health) {
            for (const z of await p.health({ signal }))
              this.health.report(`${p.target}/${z.zone}`, z.healthy, z.reason);
          }
          const slices = await this.observeTarget(p, signal);
          for (const z of zones) this.health.success(`${p.target}/${z}`, 'api');
          return slices;
        } catch (e) {
          const msg = `API errors: ${(e as Error).message}`;
          failed.set(p.target, e as Error);
          for (const z of zones) this.health.failure(`${p.target}/${z}`, 'api', msg);
          return [];
        }
      }),
    );
    return { slices: results.flat(), failed };
  }

  private async observeTarget(p: Provider, signal?: AbortSignal): Promise<ObservedSlice[]> {
    const now = this.clock.now();
    const min = this.options.minObserveIntervalMs ?? (p.kind === 'docker' || p.kind === 'memory' ? 0 : 2_000);
    const cached = this.last.get(p.target);
    if (cached && min > 0 && now - cached.at < min) return cached.slices;
    const slices = await p.observe({ fleet: this.fleet }, { signal, reason: 'observe' });
    this.last.set(p.target, { at: now, slices });
    return slices;
  }
}

import type { MetricQuery, MetricSample, MetricSource } from '../../autoscaling/metric-source.js';
import { MetricSourceError } from '../../errors/index.js';
import type { Provider } from '../../provider/provider.js';
import type { MetricType } from '../../spec/autoscaling.js';
import { parseCpu, parseMemory } from '../../spec/quantity.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';

/**
 * cpu and memory utilization of a deployment's running replicas, from the targets whose provider
 * can measure them (`Provider.usage`: Docker's stats API), in percent of what each replica
 * requests (`resources.cpu`, `resources.memory` summed over its containers), averaged over the
 * replicas measured on every target (Kubernetes' utilization). Per the MetricSource contract:
 * no provider that can measure, or no replica measured, is no data (`undefined`); a provider
 * that fails is a retryable MetricSourceError carrying its message.
 */
export class UsageMetricSource implements MetricSource {
  readonly name = 'usage';
  readonly provides: readonly MetricType[] = ['cpu', 'memory'];

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly fleet: string,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async sample(query: MetricQuery, opts: { signal?: AbortSignal } = {}): Promise<MetricSample | undefined> {
    const rec = await this.store.getDeployment(query.deployment);
    if (!rec) return undefined;
    const containers = rec.spec.spec.template.containers;
    const request =
      query.metric === 'cpu'
        ? containers.reduce(
            (a, c) =>
              a + (c.resources.cpu === undefined ? Number.NaN : (parseCpu(c.resources.cpu) ?? Number.NaN) / 1000),
            0,
          )
        : containers.reduce(
            (a, c) =>
              a + (c.resources.memory === undefined ? Number.NaN : (parseMemory(c.resources.memory) ?? Number.NaN)),
            0,
          );
    if (!(request > 0)) return undefined; // validation requires it; a spec without one has no utilization
    const measurable = [...this.providers.values()].filter((p) => typeof p.usage === 'function');
    if (!measurable.length) return undefined;
    const shares: number[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of measurable) {
      let list: Awaited<ReturnType<NonNullable<Provider['usage']>>>;
      try {
        list = await p.usage!(
          { fleet: this.fleet, deployment: query.deployment },
          opts.signal ? { signal: opts.signal } : {},
        );
      } catch (e) {
        throw new MetricSourceError(`target ${p.target}: ${(e as Error).message}`, {
          source: this.name,
          retryable: true,
          cause: e,
        });
      }
      for (const u of list) {
        const used = query.metric === 'cpu' ? u.cpuCores : u.memoryBytes;
        if (used === undefined) continue;
        shares.push((100 * used) / request);
        oldest = Math.min(oldest, u.sampledAt);
      }
    }
    if (!shares.length) return undefined;
    return {
      value: shares.reduce((a, b) => a + b, 0) / shares.length,
      sampledAt: Number.isFinite(oldest) ? oldest : this.clock.now(),
      windowMs: 1000, // the engine's two samples, about a second apart
    };
  }
}

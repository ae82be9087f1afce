import { MetricSourceError } from '../errors/index.js';
import { METRIC_TYPES, type MetricType } from '../spec/autoscaling.js';
import type { MetricQuery, MetricSample, MetricSource } from './metric-source.js';

/** Which samples a `set` or `fail` is for; without `windowMs`, every window. */
export interface MemoryMetricKey {
  deployment: string;
  revision: string;
  metric: MetricType;
  windowMs?: number;
}

const keyOf = (k: MemoryMetricKey) => `${k.deployment}/${k.revision}/${k.metric}/${k.windowMs ?? '*'}`;

/**
 * A `MetricSource` that answers what a test told it, keeping the contract: `undefined` for what
 * it has no sample of, a terminal `MetricSourceError` for a metric it does not provide, and the
 * error given to `fail` until it is cleared.
 */
export class MemoryMetricSource implements MetricSource {
  readonly name: string;
  readonly provides: readonly MetricType[];
  private readonly samples = new Map<string, MetricSample>();
  private readonly failures = new Map<string, MetricSourceError>();

  constructor(options: { name?: string; provides?: readonly MetricType[] } = {}) {
    this.name = options.name ?? 'memory';
    this.provides = options.provides ?? METRIC_TYPES;
  }

  /** Records the newest sample (`undefined` forgets it: no data again). */
  set(key: MemoryMetricKey, sample: MetricSample | undefined): void {
    if (sample === undefined) this.samples.delete(keyOf(key));
    else this.samples.set(keyOf(key), { ...sample });
  }

  /** Makes queries for `key` throw (`undefined` clears it). */
  fail(key: MemoryMetricKey, error: { message: string; retryable: boolean } | undefined): void {
    if (error === undefined) this.failures.delete(keyOf(key));
    else this.failures.set(keyOf(key), new MetricSourceError(error.message, { source: this.name, ...error }));
  }

  async sample(query: MetricQuery, opts: { signal?: AbortSignal } = {}): Promise<MetricSample | undefined> {
    opts.signal?.throwIfAborted();
    if (!this.provides.includes(query.metric))
      throw new MetricSourceError(`does not provide ${query.metric} (it provides ${this.provides.join(', ')})`, {
        source: this.name,
        retryable: false,
      });
    const exact = keyOf(query);
    const any = keyOf({ ...query, windowMs: undefined });
    const failure = this.failures.get(exact) ?? this.failures.get(any);
    if (failure) throw failure;
    const found = this.samples.get(exact) ?? this.samples.get(any);
    return found ? { ...found } : undefined;
  }
}

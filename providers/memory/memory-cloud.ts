import { ProviderError } from '../../src/errors/index.js';
import type { Endpoint, SliceAutoscaling, SliceKey } from '../../src/provider/provider.js';
import type { PodTemplate } from '../../src/spec/deployment.js';

export interface MemoryReplica {
  id: string;
  ordinal: number;
  createdAt: number;
  /** Set when the replica was crashed by a fault hook. */
  crashed?: boolean;
  endpoints: Endpoint[];
}

export interface MemorySlice {
  key: SliceKey;
  target: string;
  template: PodTemplate;
  labels: Record<string, string>;
  replicas: MemoryReplica[];
  /** The bounds a native autoscaler was given (a target declaring `nativeAutoscaling`). */
  autoscaling?: SliceAutoscaling;
}

export interface FaultPlan {
  remaining: number;
  retryable: boolean;
  message: string;
  /** Only calls of these operations fail; all when absent. */
  operations?: ReadonlyArray<'observe' | 'apply' | 'remove'>;
}

/**
 * The state of an in-memory "cloud": slices per target, with fault hooks. One world is shared by
 * every MemoryProvider built on it, so a new provider instance finds what an earlier one made.
 */
export class MemoryCloud {
  readonly slices = new Map<string, MemorySlice>();
  readonly downZones = new Set<string>();
  /** Counts of calls, by operation, for API-economy tests. */
  readonly calls = { observe: 0, apply: 0, remove: 0, writes: 0 };
  private faults: FaultPlan[] = [];
  private failRate = 0;
  private failRateRetryable = true;
  private seq = 0;
  private rng = 1;
  latencyMs = 0;
  nextPort = 20_000;

  static key(target: string, k: SliceKey): string {
    return `${target}|${k.fleet}|${k.deployment}|${k.revision}|${k.zone}`;
  }

  /** The next `n` calls fail (retryably or terminally). */
  failNext(
    n: number,
    options: { retryable?: boolean; message?: string; operations?: FaultPlan['operations'] } = {},
  ): void {
    this.faults.push({
      remaining: n,
      retryable: options.retryable ?? true,
      message:
        options.message ?? (options.retryable === false ? 'injected terminal failure' : 'injected retryable failure'),
      operations: options.operations,
    });
  }

  /** A share (0..1) of all calls fail, chosen by a seeded generator (deterministic). */
  failRandomly(share: number, retryable = true, seed = 42): void {
    this.failRate = share;
    this.failRateRetryable = retryable;
    this.rng = seed;
  }

  zoneDown(zone: string): void {
    this.downZones.add(zone);
  }

  zoneUp(zone: string): void {
    this.downZones.delete(zone);
  }

  /** Marks one replica of a slice as crashed (not ready until replaced). */
  crash(target: string, key: SliceKey, ordinal = 0): void {
    const s = this.slices.get(MemoryCloud.key(target, key));
    const r = s?.replicas.find((x) => x.ordinal === ordinal);
    if (r) r.crashed = true;
  }

  newId(): string {
    this.seq += 1;
    return `mem-${this.seq.toString(36)}`;
  }

  async enter(op: 'observe' | 'apply' | 'remove', target: string, signal?: AbortSignal): Promise<void> {
    this.calls[op] += 1;
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    signal?.throwIfAborted();
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.operations || f.operations.includes(op)));
    if (fault) {
      fault.remaining -= 1;
      this.faults = this.faults.filter((f) => f.remaining > 0);
      throw new ProviderError(fault.message, {
        provider: 'memory',
        target,
        retryable: fault.retryable,
        operation: op,
        providerCode: fault.retryable ? 'Unavailable' : 'InvalidRequest',
      });
    }
    if (this.failRate > 0 && this.random() < this.failRate) {
      throw new ProviderError('injected random failure', {
        provider: 'memory',
        target,
        retryable: this.failRateRetryable,
        operation: op,
        providerCode: 'Throttled',
      });
    }
  }

  private random(): number {
    // mulberry32: deterministic for a seed
    this.rng = (this.rng + 0x6d2b79f5) | 0;
    let t = this.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The default world, shared by memory targets that are not given one. */
export const defaultMemoryCloud = new MemoryCloud();

import { ProviderError, ValidationError } from '../../src/errors/index.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedSlice,
  Provider,
  SliceKey,
  SliceSelector,
  TargetDescription,
  ZoneHealth,
} from '../../src/provider/provider.js';
import { canonicalJson } from '../../src/spec/revision.js';
import { parseCpu, parseMemory, MiB } from '../../src/spec/quantity.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { defaultMemoryCloud, MemoryCloud } from './memory-cloud.js';
import type { MemoryTargetSettings } from './settings.js';

export interface MemoryProviderOptions {
  /** The world this target lives in; the process-wide default when absent. */
  cloud?: MemoryCloud;
}

/**
 * An in-memory provider: topology from its settings, state in a MemoryCloud, with fault hooks.
 * Used for offline plans ("what if"), the contract suite and reconciler tests.
 */
export class MemoryProvider implements Provider {
  readonly kind = 'memory';
  readonly target: string;
  readonly cloud: MemoryCloud;
  /** Replicas become ready `readyAfterSeconds` after creation, by this clock (the context's). */
  private readonly clock: Clock;

  constructor(
    readonly settings: MemoryTargetSettings,
    private readonly ctx: ProviderContext,
    options: MemoryProviderOptions = {},
  ) {
    this.target = settings.name;
    this.cloud = options.cloud ?? defaultMemoryCloud;
    this.clock = ctx.clock ?? systemClock;
  }

  describe(): TargetDescription {
    const s = this.settings;
    return {
      target: s.name,
      kind: 'memory',
      topology: { provider: s.provider, region: s.region, zones: [...s.zones] },
      capabilities: {
        maxCpuMillis: Math.round(s.maxCpu * 1000),
        maxMemoryMiB: s.maxMemoryMiB,
        maxPorts: 64,
        maxContainers: 16,
        probes: ['httpGet', 'tcpSocket', 'exec'],
        nativeTrafficSplit: false,
        scaleToZero: s.scaleToZero,
        nativeAutoscaling: s.nativeAutoscaling,
        publicEndpoints: false,
        gpu: false,
      },
      ...(s.maxReplicasPerZone !== undefined ? { maxReplicasPerZone: s.maxReplicasPerZone } : {}),
      ...(s.pricePerReplicaHour !== undefined ? { pricePerReplicaHour: s.pricePerReplicaHour } : {}),
    };
  }

  async health(): Promise<ZoneHealth[]> {
    return this.settings.zones.map((zone) =>
      this.cloud.downZones.has(zone)
        ? { zone, healthy: false, reason: `zone ${zone} is down` }
        : { zone, healthy: true },
    );
  }

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    await this.cloud.enter('observe', this.target, options.signal);
    const out: ObservedSlice[] = [];
    const readyAfter = this.settings.readyAfterSeconds * 1000;
    for (const s of this.cloud.slices.values()) {
      if (s.target !== this.target || s.key.fleet !== selector.fleet) continue;
      if (selector.deployment && s.key.deployment !== selector.deployment) continue;
      const down = this.cloud.downZones.has(s.key.zone);
      const replicaStatus = s.replicas.map((r) => {
        const ready = !down && !r.crashed && this.clock.now() - r.createdAt >= readyAfter;
        const state = down || r.crashed ? ('failed' as const) : ready ? ('ready' as const) : ('starting' as const);
        return {
          id: r.id,
          name: `${s.key.deployment}-${s.key.revision}-${s.key.zone}-${r.ordinal}`,
          ordinal: r.ordinal,
          state,
          ready,
          ...(down
            ? { message: `zone ${s.key.zone} is down` }
            : r.crashed
              ? { message: 'process exited with code 1' }
              : {}),
          endpoints: r.endpoints,
        };
      });
      out.push({
        key: { ...s.key },
        target: this.target,
        replicas: s.replicas.length,
        ready: replicaStatus.filter((r) => r.ready).length,
        replicaStatus,
        revision: s.key.revision,
        ...(s.autoscaling ? { autoscaling: { ...s.autoscaling } } : {}),
        ...(this.settings.observedAs === 'aggregate'
          ? { observedAs: 'aggregate' as const, detail: 'counted by the memory target for the slice as a whole' }
          : {}),
      });
    }
    return out.sort((a, b) => sliceOrder(a.key).localeCompare(sliceOrder(b.key)));
  }

  validate(slice: DesiredSlice): void {
    this.check(slice);
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    this.check(slice);
    await this.cloud.enter('apply', this.target, options.signal);
    if (this.cloud.downZones.has(slice.key.zone)) {
      throw new ProviderError(`zone ${slice.key.zone} is unavailable`, {
        provider: 'memory',
        target: this.target,
        retryable: true,
        operation: 'apply',
        providerCode: 'ZoneUnavailable',
      });
    }
    const id = MemoryCloud.key(this.target, slice.key);
    const existing = this.cloud.slices.get(id);
    let writes = 0;
    const labels = { ...(slice.labels ?? {}) };
    if (!existing) {
      this.cloud.slices.set(id, {
        key: { ...slice.key },
        target: this.target,
        template: slice.template,
        labels,
        replicas: [],
      });
      writes++;
    } else if (
      canonicalJson(existing.template) !== canonicalJson(slice.template) ||
      canonicalJson(existing.labels) !== canonicalJson(labels)
    ) {
      existing.template = slice.template;
      existing.labels = labels;
      writes++;
    }
    const s = this.cloud.slices.get(id)!;
    if (canonicalJson(s.autoscaling ?? null) !== canonicalJson(slice.autoscaling ?? null)) {
      if (slice.autoscaling) s.autoscaling = { ...slice.autoscaling };
      else delete s.autoscaling;
      if (existing) writes++;
    }
    // replace crashed replicas, then grow or shrink to the desired count
    const before = s.replicas.length;
    const crashed = s.replicas.filter((r) => r.crashed).length;
    s.replicas = s.replicas.filter((r) => !r.crashed);
    const used = new Set(s.replicas.map((r) => r.ordinal));
    while (s.replicas.length < slice.replicas) {
      let ordinal = 0;
      while (used.has(ordinal)) ordinal++;
      used.add(ordinal);
      const ports = slice.template.containers.flatMap((c) => c.ports);
      s.replicas.push({
        id: this.cloud.newId(),
        ordinal,
        createdAt: this.clock.now(),
        endpoints: ports.map((p) => ({
          host: '127.0.0.1',
          port: this.cloud.nextPort++,
          containerPort: p.containerPort,
          ...(p.name ? { portName: p.name } : {}),
        })),
      });
    }
    s.replicas.sort((a, b) => a.ordinal - b.ordinal);
    if (s.replicas.length > slice.replicas) {
      // drained replicas go first, then the highest ordinals
      const drained = new Set(slice.remove ?? []);
      const keep = [
        ...s.replicas.filter((r) => !drained.has(r.id)),
        ...s.replicas.filter((r) => drained.has(r.id)),
      ].slice(0, slice.replicas);
      s.replicas = keep.sort((a, b) => a.ordinal - b.ordinal);
    }
    if (crashed > 0 || s.replicas.length !== before) writes++;
    this.cloud.calls.writes += writes;
    return { changed: writes > 0, writes };
  }

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    await this.cloud.enter('remove', this.target, options.signal);
    const existed = this.cloud.slices.delete(MemoryCloud.key(this.target, key));
    if (existed) this.cloud.calls.writes += 1;
    return { changed: existed, writes: existed ? 1 : 0 };
  }

  private check(slice: DesiredSlice): void {
    if (slice.key.fleet !== this.ctx.fleet) {
      throw new ValidationError([
        {
          path: 'fleet',
          message: `slice of fleet "${slice.key.fleet}" sent to a provider of fleet "${this.ctx.fleet}"`,
        },
      ]);
    }
    if (!this.settings.zones.includes(slice.key.zone)) {
      throw new ValidationError([
        {
          path: 'zone',
          message: `target ${this.target} has no zone "${slice.key.zone}" (zones: ${this.settings.zones.join(', ')})`,
        },
      ]);
    }
    const caps = this.describe().capabilities;
    let cpu = 0;
    let mem = 0;
    slice.template.containers.forEach((c) => {
      cpu += c.resources.cpu !== undefined ? (parseCpu(c.resources.cpu) ?? 0) : 0;
      mem += c.resources.memory !== undefined ? (parseMemory(c.resources.memory) ?? 0) / MiB : 0;
    });
    if (cpu > caps.maxCpuMillis || mem > caps.maxMemoryMiB) {
      throw new ValidationError([
        {
          path: 'spec.template.containers[].resources',
          message: `target ${this.target} allows at most ${caps.maxCpuMillis}m cpu and ${caps.maxMemoryMiB}Mi memory per replica`,
        },
      ]);
    }
  }
}

function sliceOrder(k: SliceKey): string {
  return `${k.deployment}|${k.revision}|${k.zone}`;
}

import type { AutoscalerOptions } from '../../autoscaling/autoscaler-options.js';
import { initialAutoscalerState } from '../../autoscaling/autoscaler-state.js';
import { type Decision, decideScale } from '../../autoscaling/decide.js';
import type { MetricSample, MetricSamples, MetricSource } from '../../autoscaling/metric-source.js';
import { nativeAutoscalers } from '../../autoscaling/native-autoscaling.js';
import { SkyfleetError } from '../../errors/index.js';
import type { MetricType } from '../../spec/autoscaling.js';
import type { DeploymentRecord } from '../../store/store.js';
import { type ReconcileContext, recordEvent } from '../context.js';
import { type AutoscalerRecord, COLD_STARTS_KEPT, parseAutoscalerRecord } from './autoscaler-record.js';

/** The listener metrics every decision gets: they are how activation and scale to zero see traffic. */
const TRAFFIC: readonly MetricType[] = ['concurrency', 'requestsPerSecond'];

export interface AutoscalerDriverOptions {
  sources: readonly MetricSource[];
  /** The window of the samples HPA's rules decide on (default 3 s: the data planes count per second). */
  stableWindowMs?: number;
  /** The fast path's window (default 1 s). */
  shortWindowMs?: number;
  tunables?: Partial<AutoscalerOptions>;
  /** A deployment's count was changed: reconcile it now. */
  onScaled: (deployment: string) => void;
  /** Gauges and counters on /metrics. */
  onDecision?: (deployment: string, d: Decision) => void;
}

/**
 * The autoscaler in the controller (the leader runs it): for each deployment with
 * `spec.autoscaling`, samples its metrics, decides with `decideScale` (pure) and records a
 * changed count as the deployment's `spec.replicas` (a compare-and-set on the generation read,
 * so it never overwrites an apply it did not see), with a `ScaledUp`/`ScaledDown` event saying
 * why; the reconcile pass then places, plans and rolls the new count like any other. The
 * decision state (windows, policy periods, fast path) and the last status live in the store,
 * so a restarted or newly elected controller decides as this one would have.
 */
export class AutoscalerDriver {
  private readonly stableMs: number;
  private readonly shortMs: number;

  constructor(
    private readonly ctx: ReconcileContext,
    private readonly o: AutoscalerDriverOptions,
  ) {
    this.stableMs = o.stableWindowMs ?? 3_000;
    this.shortMs = o.shortWindowMs ?? 1_000;
  }

  /** One decision for every autoscaled deployment. */
  async tick(signal?: AbortSignal): Promise<void> {
    const list = await this.ctx.store.listDeployments();
    for (const rec of list) {
      if (signal?.aborted) return;
      if (!rec.spec.spec.autoscaling) continue;
      try {
        await this.decide(rec, signal);
      } catch (e) {
        this.ctx.logger.warn({ deployment: rec.name, err: (e as Error).message }, 'autoscaling decision failed');
      }
    }
  }

  /** One decision for one deployment (also at once when its listener holds a request at zero). */
  async decideFor(name: string, signal?: AbortSignal): Promise<Decision | undefined> {
    const rec = await this.ctx.store.getDeployment(name);
    if (!rec?.spec.spec.autoscaling) return undefined;
    return this.decide(rec, signal);
  }

  /** Records a cold start from zero seen at the listener (for describe). */
  async coldStart(name: string, ms: number): Promise<void> {
    const saved = parseAutoscalerRecord(await this.ctx.store.getAutoscalerState(name));
    if (!saved) return;
    const coldStartsMs = [...saved.status.coldStartsMs, Math.round(ms)].slice(-COLD_STARTS_KEPT);
    await this.ctx.store.putAutoscalerState(name, { ...saved, status: { ...saved.status, coldStartsMs } });
    await recordEvent(
      this.ctx,
      name,
      'Normal',
      'Activated',
      `first request served ${(ms / 1000).toFixed(2)} s after it arrived at 0 replicas`,
    );
  }

  private async samples(rec: DeploymentRecord, windowMs: number, signal?: AbortSignal): Promise<MetricSamples> {
    const spec = rec.spec.spec.autoscaling!;
    const wanted = new Set<MetricType>([...TRAFFIC, ...spec.metrics.map((m) => m.type)]);
    const out: MetricSamples = {};
    for (const metric of wanted) {
      // the first source that has data for it (the listener's, else e.g. a cloud's own)
      for (const source of this.o.sources) {
        if (!source.provides.includes(metric)) continue;
        let sample: MetricSample | undefined;
        try {
          sample = await source.sample(
            { deployment: rec.name, revision: rec.revision, metric, windowMs },
            signal ? { signal } : {},
          );
        } catch (e) {
          // held by decideScale (no sample), and said in the log
          this.ctx.logger.debug({ deployment: rec.name, metric, err: (e as Error).message }, 'metric unavailable');
        }
        if (sample) {
          out[metric] = sample;
          break;
        }
      }
    }
    return out;
  }

  private async decide(rec: DeploymentRecord, signal?: AbortSignal): Promise<Decision | undefined> {
    const spec = rec.spec.spec.autoscaling!;
    const name = rec.name;
    const now = this.ctx.clock.now();
    const saved = parseAutoscalerRecord(await this.ctx.store.getAutoscalerState(name));
    const native = nativeAutoscalers(
      rec.spec,
      [...this.ctx.providers.values()].map((p) => p.describe()),
    );
    if (native) {
      await this.delegated(rec, native, saved, now);
      return undefined;
    }
    const d = decideScale({
      now,
      current: rec.spec.spec.replicas,
      spec,
      samples: await this.samples(rec, this.stableMs, signal),
      shortSamples: await this.samples(rec, this.shortMs, signal),
      ...(saved ? { state: saved.state } : {}),
      ...(this.o.tunables ? { options: this.o.tunables } : {}),
    });
    let recorded = true;
    if (d.desired !== d.current) {
      try {
        await this.ctx.store.putDeployment(
          {
            name,
            spec: { ...rec.spec, spec: { ...rec.spec.spec, replicas: d.desired } },
            revision: rec.revision,
            updatedAt: now,
          },
          { expectGeneration: rec.generation },
        );
      } catch (e) {
        // an apply or a delete went first: decide again next time, from what it wrote
        if (e instanceof SkyfleetError && e.code === 'conflict') recorded = false;
        else throw e;
      }
    }
    const next: AutoscalerRecord = {
      state: recorded ? d.state : (saved?.state ?? d.state),
      status: {
        at: now,
        desired: recorded ? d.desired : d.current,
        current: d.current,
        reason: d.reason,
        metrics: d.metrics,
        held: d.held,
        panic: d.panic,
        coldStartsMs: saved?.status.coldStartsMs ?? [],
      },
    };
    if (!recorded) return d;
    await this.ctx.store.putAutoscalerState(name, next);
    if (d.event) {
      await recordEvent(this.ctx, name, 'Normal', d.event.reason, d.event.message);
      this.o.onScaled(name);
    }
    this.noteHeld(name, d);
    this.o.onDecision?.(name, d);
    return d;
  }

  /**
   * A deployment whose every target scales it (Cloud Run): no decision here, the bounds travel
   * with its slices. The status says so, once (and an event), for describe.
   */
  private async delegated(
    rec: DeploymentRecord,
    targets: readonly string[],
    saved: AutoscalerRecord | undefined,
    now: number,
  ): Promise<void> {
    const a = rec.spec.spec.autoscaling!;
    const reason = `scaled by the platform's own autoscaler on ${targets.join(', ')} within ${a.minReplicas}-${a.maxReplicas} replicas (its share on each target); skyfleet decides no count`;
    if (saved?.status.reason === reason) return;
    const replicas = rec.spec.spec.replicas;
    await this.ctx.store.putAutoscalerState(rec.name, {
      state: saved?.state ?? initialAutoscalerState(now),
      status: {
        at: now,
        desired: replicas,
        current: replicas,
        reason,
        metrics: [],
        held: [],
        panic: false,
        coldStartsMs: saved?.status.coldStartsMs ?? [],
        delegatedTo: [...targets],
      },
    } satisfies AutoscalerRecord);
    await recordEvent(this.ctx, rec.name, 'Normal', 'AutoscalingDelegated', reason);
  }

  /** Held metrics are said once when they start holding (a Warning event), not every second. */
  private readonly heldSaid = new Map<string, string>();
  private noteHeld(name: string, d: Decision): void {
    // said again only when which metrics hold, or why, changes (the messages carry ages)
    const key = d.held.map((h) => `${h.type}:${h.why}`).join(',');
    if ((this.heldSaid.get(name) ?? '') === key) return;
    this.heldSaid.set(name, key);
    if (key)
      void recordEvent(
        this.ctx,
        name,
        'Warning',
        'AutoscalingHeld',
        `not scaling down on missing or stale metrics: ${d.held.map((h) => h.message).join('; ')}`,
      );
  }
}

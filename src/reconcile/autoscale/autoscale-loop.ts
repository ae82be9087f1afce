import type { AutoscalerOptions } from '../../autoscaling/autoscaler-options.js';
import type { MetricSource } from '../../autoscaling/metric-source.js';
import type { ReconcileContext } from '../context.js';
import type { ControllerMetrics } from '../metrics.js';
import type { TrafficManager } from '../traffic-manager.js';
import { AutoscalerDriver } from './autoscaler.js';
import { ListenerMetricSource } from './listener-metric-source.js';
import { UsageMetricSource } from './usage-metric-source.js';

export interface AutoscaleLoopOptions {
  /** The leader's listeners (their windows are the listener metrics; they hold requests at zero). */
  traffic: () => TrafficManager | undefined;
  /** A deployment's count changed: reconcile it now. */
  onScaled: (deployment: string) => void;
  metrics?: ControllerMetrics | undefined;
  /** Sources for other metrics (cpu, memory, a cloud's own), asked after the listener's. */
  sources?: readonly MetricSource[];
  /** Time between decisions (default 1 s: HPA's sync period is 15 s). */
  intervalMs?: number;
  tunables?: Partial<AutoscalerOptions>;
}

/**
 * Runs the autoscaler while this controller leads: a decision for every autoscaled deployment
 * every `intervalMs` (injected clock), and one at once when a listener holds a request at zero
 * replicas. Returns when `signal` aborts.
 */
export async function runAutoscaler(
  ctx: ReconcileContext,
  o: AutoscaleLoopOptions,
  signal: AbortSignal,
): Promise<void> {
  const m = o.metrics;
  const driver = new AutoscalerDriver(ctx, {
    sources: [
      new ListenerMetricSource(o.traffic, ctx.clock),
      new UsageMetricSource(ctx.providers, ctx.fleet, ctx.store, ctx.clock),
      ...(o.sources ?? []),
    ],
    onScaled: o.onScaled,
    ...(o.tunables ? { tunables: o.tunables } : {}),
    onDecision: (name, d) => {
      if (!m) return;
      m.autoscalerDesired.set({ deployment: name }, d.desired);
      m.autoscalerCurrent.set({ deployment: name }, d.current);
      for (const s of d.metrics) {
        if (s.value !== undefined) m.autoscalerMetricValue.set({ deployment: name, metric: s.type }, s.value);
        m.autoscalerMetricTarget.set({ deployment: name, metric: s.type }, s.target);
      }
      if (d.event) m.autoscalerScales.inc({ deployment: name, direction: d.direction });
    },
  });
  o.traffic()?.setActivationHooks({
    onDemand: (name) => {
      m?.activations.inc({ deployment: name });
      void driver.decideFor(name, signal).catch((e: unknown) => {
        ctx.logger.warn({ deployment: name, err: (e as Error).message }, 'activation failed');
      });
    },
    onColdStart: (name, ms) => {
      m?.coldStartSeconds.observe({ deployment: name }, ms / 1000);
      void driver.coldStart(name, ms).catch(() => undefined);
    },
  });
  const every = o.intervalMs ?? 1_000;
  while (!signal.aborted) {
    try {
      await driver.tick(signal);
    } catch (e) {
      ctx.logger.warn({ err: (e as Error).message }, 'autoscaling pass failed');
    }
    await ctx.clock.sleep(every, signal).catch(() => undefined);
  }
  o.traffic()?.setActivationHooks(undefined);
}

import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's Prometheus metrics, on a registry the caller serves at /metrics. */
export interface ControllerMetrics {
  registry: Registry;
  reconciles: Counter<'deployment' | 'result'>;
  reconcileSeconds: Histogram<'deployment'>;
  errors: Counter<'deployment' | 'retryable'>;
  desired: Gauge<'deployment' | 'target' | 'zone'>;
  ready: Gauge<'deployment' | 'target' | 'zone'>;
  domainHealthy: Gauge<'target' | 'zone'>;
  leader: Gauge;
  queueDepth: Gauge;
  autoscalerDesired: Gauge<'deployment'>;
  autoscalerCurrent: Gauge<'deployment'>;
  autoscalerMetricValue: Gauge<'deployment' | 'metric'>;
  autoscalerMetricTarget: Gauge<'deployment' | 'metric'>;
  autoscalerScales: Counter<'deployment' | 'direction'>;
  activations: Counter<'deployment'>;
  coldStartSeconds: Histogram<'deployment'>;
}

export async function createControllerMetrics(registry?: Registry): Promise<ControllerMetrics> {
  const prom = await import('prom-client');
  const reg = registry ?? new prom.Registry();
  const registers = [reg];
  return {
    registry: reg,
    reconciles: new prom.Counter({
      name: 'skyfleet_reconcile_total',
      help: 'Reconcile passes by result (done, progressing, retry, terminal)',
      labelNames: ['deployment', 'result'],
      registers,
    }),
    reconcileSeconds: new prom.Histogram({
      name: 'skyfleet_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass',
      labelNames: ['deployment'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    errors: new prom.Counter({
      name: 'skyfleet_reconcile_errors_total',
      help: 'Reconcile errors by kind',
      labelNames: ['deployment', 'retryable'],
      registers,
    }),
    desired: new prom.Gauge({
      name: 'skyfleet_desired_replicas',
      help: 'Replicas of the current revision wanted per domain',
      labelNames: ['deployment', 'target', 'zone'],
      registers,
    }),
    ready: new prom.Gauge({
      name: 'skyfleet_ready_replicas',
      help: 'Ready replicas of the current revision per domain',
      labelNames: ['deployment', 'target', 'zone'],
      registers,
    }),
    domainHealthy: new prom.Gauge({
      name: 'skyfleet_domain_healthy',
      help: '1 when a failure domain is healthy',
      labelNames: ['target', 'zone'],
      registers,
    }),
    leader: new prom.Gauge({
      name: 'skyfleet_controller_leader',
      help: '1 while this controller holds the fleet lease',
      registers,
    }),
    queueDepth: new prom.Gauge({
      name: 'skyfleet_work_queue_depth',
      help: 'Deployments waiting for a reconcile pass',
      registers,
    }),
    autoscalerDesired: new prom.Gauge({
      name: 'skyfleet_autoscaler_desired_replicas',
      help: 'Replicas the autoscaler decided on last',
      labelNames: ['deployment'],
      registers,
    }),
    autoscalerCurrent: new prom.Gauge({
      name: 'skyfleet_autoscaler_current_replicas',
      help: 'Replicas the autoscaler started its last decision from',
      labelNames: ['deployment'],
      registers,
    }),
    autoscalerMetricValue: new prom.Gauge({
      name: 'skyfleet_autoscaler_metric_value',
      help: 'The value of each autoscaling metric at the last decision (per replica where the metric is)',
      labelNames: ['deployment', 'metric'],
      registers,
    }),
    autoscalerMetricTarget: new prom.Gauge({
      name: 'skyfleet_autoscaler_metric_target',
      help: 'The target of each autoscaling metric',
      labelNames: ['deployment', 'metric'],
      registers,
    }),
    autoscalerScales: new prom.Counter({
      name: 'skyfleet_autoscaler_scale_events_total',
      help: 'Changes of the replica count made by the autoscaler',
      labelNames: ['deployment', 'direction'],
      registers,
    }),
    activations: new prom.Counter({
      name: 'skyfleet_activations_total',
      help: 'Times a listener held a request at 0 replicas and asked for one',
      labelNames: ['deployment'],
      registers,
    }),
    coldStartSeconds: new prom.Histogram({
      name: 'skyfleet_cold_start_seconds',
      help: 'From the first request held at 0 replicas to its being sent to a ready replica',
      labelNames: ['deployment'],
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    }),
  };
}

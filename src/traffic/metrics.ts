// Router metrics on a prom-client Registry. The hot path only bumps plain numbers on the
// router's own objects; the prom-client metrics read them at scrape time (collect), so no label
// lookup or hashing happens per request. All routers on one registry share one metric set
// (one series per deployment/endpoint), so several deployments can be served by one /metrics.
//
// Cardinality: endpoint series exist only while the endpoint is set or draining; latency series
// are per (deployment, revision, target, zone), and disappear with the revision's endpoints.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const LATENCY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const CODE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export const ERROR_REASONS = ['http_5xx', 'connect', 'reset', 'timeout', 'protocol'] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

export type EndpointLabels = {
  deployment: string;
  revision: string;
  target: string;
  zone: string;
  endpoint: string;
};

/** What the metric set reads from one endpoint. */
export interface EndpointCounters {
  readonly labels: EndpointLabels;
  /** Responses by class 1xx..5xx (index 0..4), router-made 502/504 included. */
  readonly codes: Float64Array;
  /** Errors by ERROR_REASONS index. */
  readonly errs: Float64Array;
  readonly inFlight: number;
  readonly inRotation: boolean;
  readonly ejectionsTotal: number;
  readonly checksOk: number;
  readonly checksFailed: number;
}

/** A latency histogram series, non-cumulative counts per LATENCY_BOUNDS (+ one for +Inf). */
export class LatencySeries {
  readonly counts = new Float64Array(LATENCY_BOUNDS.length + 1);
  sum = 0;
  count = 0;
  constructor(readonly labels: { deployment: string; revision: string; target: string; zone: string }) {}
  observe(seconds: number): void {
    let i = 0;
    const n = LATENCY_BOUNDS.length;
    while (i < n && seconds > LATENCY_BOUNDS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

export interface MetricSource {
  readonly deployment: string;
  metricEndpoints(): Iterable<EndpointCounters>;
  metricLatency(): Iterable<LatencySeries>;
  readonly retriesTotal: number;
  readonly noEndpointTotal: number;
  readonly badRequestTotal: number;
  readonly panic: boolean;
}

type HistValue = { labels: Record<string, string | number>; value: number; metricName: string };

/** A Histogram whose values come from LatencySeries objects at scrape time. */
class SourcedHistogram extends Histogram<string> {
  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    registry: Registry,
    private readonly sources: Set<MetricSource>,
  ) {
    super({
      name: metricName,
      help: helpText,
      labelNames: ['deployment', 'revision', 'target', 'zone'],
      buckets: LATENCY_BOUNDS,
      registers: [registry],
    });
  }
  private snapshot() {
    const values: HistValue[] = [];
    const bucket = `${this.metricName}_bucket`;
    for (const src of this.sources) {
      for (const s of src.metricLatency()) {
        let acc = 0;
        for (let i = 0; i < LATENCY_BOUNDS.length; i++) {
          acc += s.counts[i]!;
          values.push({ labels: { ...s.labels, le: LATENCY_BOUNDS[i]! }, value: acc, metricName: bucket });
        }
        values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucket });
        values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.metricName}_sum` });
        values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.metricName}_count` });
      }
    }
    return {
      name: this.metricName,
      help: this.helpText,
      type: 'histogram' as const,
      values,
      aggregator: 'sum' as const,
    };
  }
  // biome-ignore lint/suspicious/noExplicitAny: prom-client's declared return type is generic over label names
  override async get(): Promise<any> {
    return this.snapshot();
  }
  /** The registry prefers this to get() when rendering text. */
  async getForPromString() {
    return this.snapshot();
  }
}

export class MetricSet {
  readonly sources = new Set<MetricSource>();

  constructor(registry: Registry) {
    const sources = this.sources;
    const epLabels = ['deployment', 'revision', 'target', 'zone', 'endpoint'];
    new Counter({
      name: 'skyfleet_router_requests_total',
      help: 'Requests answered through the router, by endpoint and status class (router-made 502/504 included).',
      labelNames: [...epLabels, 'code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources)
          for (const e of src.metricEndpoints())
            for (let i = 0; i < CODE_CLASSES.length; i++)
              if (e.codes[i]! > 0) this.inc({ ...e.labels, code: CODE_CLASSES[i]! }, e.codes[i]!);
      },
    });
    new Counter({
      name: 'skyfleet_router_errors_total',
      help: 'Failed attempts by endpoint and reason: upstream 5xx, connect failure, reset, timeout, protocol error.',
      labelNames: [...epLabels, 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources)
          for (const e of src.metricEndpoints())
            for (let i = 0; i < ERROR_REASONS.length; i++)
              if (e.errs[i]! > 0) this.inc({ ...e.labels, reason: ERROR_REASONS[i]! }, e.errs[i]!);
      },
    });
    new Gauge({
      name: 'skyfleet_router_in_flight',
      help: 'Requests (and WebSocket tunnels) in flight per endpoint.',
      labelNames: epLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) for (const e of src.metricEndpoints()) this.set(e.labels, e.inFlight);
      },
    });
    new Gauge({
      name: 'skyfleet_router_endpoint_in_rotation',
      help: '1 when the endpoint receives new requests (ready, not ejected, not draining), else 0.',
      labelNames: epLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) for (const e of src.metricEndpoints()) this.set(e.labels, e.inRotation ? 1 : 0);
      },
    });
    new Counter({
      name: 'skyfleet_router_ejections_total',
      help: 'Passive ejections (outlier detection) per endpoint.',
      labelNames: epLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources)
          for (const e of src.metricEndpoints()) if (e.ejectionsTotal > 0) this.inc(e.labels, e.ejectionsTotal);
      },
    });
    new Counter({
      name: 'skyfleet_router_health_checks_total',
      help: 'Active health checks per endpoint and result.',
      labelNames: [...epLabels, 'result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources)
          for (const e of src.metricEndpoints()) {
            if (e.checksOk > 0) this.inc({ ...e.labels, result: 'success' }, e.checksOk);
            if (e.checksFailed > 0) this.inc({ ...e.labels, result: 'failure' }, e.checksFailed);
          }
      },
    });
    new Counter({
      name: 'skyfleet_router_retries_total',
      help: 'Requests retried on another endpoint after a connect failure.',
      labelNames: ['deployment'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) this.inc({ deployment: src.deployment }, src.retriesTotal);
      },
    });
    new Counter({
      name: 'skyfleet_router_unrouted_total',
      help: 'Requests answered by the router without an endpoint: 503 no endpoint in rotation, 400 bad request.',
      labelNames: ['deployment', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) {
          this.inc({ deployment: src.deployment, reason: 'no_endpoint' }, src.noEndpointTotal);
          this.inc({ deployment: src.deployment, reason: 'bad_request' }, src.badRequestTotal);
        }
      },
    });
    new Gauge({
      name: 'skyfleet_router_panic',
      help: '1 when no endpoint is healthy and the router spreads over all known endpoints (panic mode).',
      labelNames: ['deployment'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) this.set({ deployment: src.deployment }, src.panic ? 1 : 0);
      },
    });
    new SourcedHistogram(
      'skyfleet_router_request_duration_seconds',
      'Request latency through the router (head received to response end), per revision and domain.',
      registry,
      sources,
    );
  }
}

const sets = new WeakMap<Registry, MetricSet>();

/** The one metric set of a registry (created and registered on first use). */
export function metricSetFor(registry: Registry): MetricSet {
  let s = sets.get(registry);
  if (!s) {
    s = new MetricSet(registry);
    sets.set(registry, s);
  }
  return s;
}

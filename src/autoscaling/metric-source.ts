import type { MetricType } from '../spec/autoscaling.js';

/**
 * One observation of one metric over a window ending at `sampledAt`.
 *
 * What `value` is, per metric type (the unit `decideScale` compares with the spec's target):
 * - `concurrency`: mean in-flight requests per serving replica over the window (the listener's
 *   time-weighted in-flight count divided by the replicas it routed to).
 * - `requestsPerSecond`: requests that arrived over the window, per second, per serving replica.
 * - `cpu`, `memory`: mean use in percent of what the replica requests (`resources.cpu` /
 *   `resources.memory` summed over its containers), averaged over the replicas (Kubernetes'
 *   utilization: 140 means 1.4x the request).
 * - `p99LatencyMs`: the 99th percentile of request latency over the window, in milliseconds,
 *   over every replica (not per replica).
 * With no replica serving (scaled to zero) `concurrency` and `requestsPerSecond` are totals (the
 * requests held or arriving at the listener): any value above 0 is activity.
 */
export interface MetricSample {
  value: number;
  /**
   * The replicas `value` is a mean over, when that is not the deployment's current count: the
   * listener's traffic metrics divide by the replicas serving (in rotation), and a replica still
   * starting serves nothing yet. The recommendation then asks for total / target replicas
   * (Knative's rule), not current x value / target, which would count the load of the serving
   * replicas again for the starting ones and overshoot.
   */
  replicas?: number;
  /** When the window ended (epoch ms, on the controller's clock). */
  sampledAt: number;
  /** How long a window `value` covers (ms). */
  windowMs: number;
}

/** The newest sample of each metric; one per type. */
export type MetricSamples = Partial<Record<MetricType, MetricSample>>;

export interface MetricQuery {
  deployment: string;
  /** Metrics are per revision: during a rollout the caller asks for each and combines them. */
  revision: string;
  metric: MetricType;
  /** The window wanted (the stable one, or the short one of the fast path). */
  windowMs: number;
}

/**
 * Where samples come from: the built-in router and the nginx data plane (concurrency, requests
 * per second, latency), Docker's stats API (cpu, memory), a cloud's own metrics. The contract,
 * which `decideScale` relies on:
 *
 * - **A sample** is a `MetricSample`: one value over a window, per deployment and revision, in the
 *   unit documented on `MetricSample`. A source returns its newest value for the window asked
 *   for; it may return a shorter window while it warms up (the sample says which it is).
 * - **No traffic is data, not its absence.** A window without requests is `concurrency` 0,
 *   `requestsPerSecond` 0 and `p99LatencyMs` 0 (nothing was slow): idle must be observable, or a
 *   deployment could never scale down or to zero.
 * - **No data is `undefined`, never a throw and never 0**: the source is not running yet, the
 *   revision has no replica it can see, the engine gave no stats. `decideScale` holds such a
 *   metric (it never scales down on it) and says so.
 * - **Staleness is the caller's call.** A source returns the newest sample it has with its true
 *   `sampledAt`, however old; `decideScale` holds samples older than `staleAfterMs`. A source must
 *   not re-stamp an old value with the current time.
 * - **Errors are classified**: a source throws only a `MetricSourceError`, `retryable` (timeouts,
 *   a socket error, the engine busy) or not (a metric this source does not provide, a
 *   misconfigured endpoint). The caller treats either like `undefined` for the decision (the
 *   metric is held) and reports it; terminal errors are not retried until the spec changes.
 * - **Cheap and bounded**: called about once a second per metric; an answer within the caller's
 *   `signal`, no unbounded buffering (windows are ring buffers of at most a few minutes).
 */
export interface MetricSource {
  /** A name for conditions and logs, e.g. `router`, `nginx`, `docker-stats`. */
  readonly name: string;
  /** The metric types this source answers for. */
  readonly provides: readonly MetricType[];
  sample(query: MetricQuery, opts?: { signal?: AbortSignal }): Promise<MetricSample | undefined>;
}

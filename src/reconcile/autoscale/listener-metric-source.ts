import type { MetricQuery, MetricSample, MetricSource } from '../../autoscaling/metric-source.js';
import type { MetricType } from '../../spec/autoscaling.js';
import type { Clock } from '../../util/clock.js';
import type { TrafficManager } from '../traffic-manager.js';

/** Windows up to this long are the fast path's: concurrency there includes what is in flight now. */
const SHORT_WINDOW_MS = 1_000;

/**
 * The stats a window is read from. Their windows are whole seconds, the current one included, so a
 * 1 s window is the current second so far: just after a second begins, a few milliseconds, in
 * which a request or two that ended there (counted whole by Little's law) read as many times the
 * load there is, enough to start the fast path on a steady load. The short window is read with
 * the last whole second too (1 to 2 s covered); the requests in flight now still show a step at once.
 */
const statsWindowMs = (windowMs: number) => (windowMs <= SHORT_WINDOW_MS ? windowMs + 1_000 : windowMs);

/**
 * Concurrency, requests per second and p99 latency of a deployment, measured at its listener
 * (the built-in router or the nginx data plane: both keep the same per-revision windows).
 *
 * Per the MetricSource contract (src/autoscaling/metric-source.ts):
 * - A listener routes every revision it has endpoints for, and during a rollout the replicas of
 *   each serve the same stream of requests; so a sample covers **every revision** of the
 *   deployment (the query's revision names the one being scaled): totals over all revisions,
 *   divided by the endpoints in rotation over all revisions. With none in rotation (scaled to
 *   zero) the value is the total: any request is activity.
 * - No listener running for the deployment (no `service`, or not the leader) is no data:
 *   `undefined`. A listener with no request in the window is data: 0.
 * - `sampledAt` is now: the windows are read when asked.
 */
export class ListenerMetricSource implements MetricSource {
  readonly name = 'listener';
  readonly provides: readonly MetricType[] = ['concurrency', 'requestsPerSecond', 'p99LatencyMs'];

  constructor(
    private readonly traffic: () => TrafficManager | undefined,
    private readonly clock: Clock,
  ) {}

  async sample(query: MetricQuery): Promise<MetricSample | undefined> {
    const traffic = this.traffic();
    if (!traffic?.has(query.deployment)) return undefined;
    const all = traffic.allStats(query.deployment, statsWindowMs(query.windowMs));
    const eps = traffic.endpoints(query.deployment);
    const serving = eps.filter((e) => e.inRotation).length;
    const windowMs = all.reduce((w, s) => Math.max(w, s.windowMs), 0) || query.windowMs;
    const sampledAt = this.clock.now();
    switch (query.metric) {
      case 'concurrency': {
        // requests held at the listener (scaled to zero, activating) are in flight too; over a
        // short window (the fast path) the requests in flight now count when they are more
        // than the window's mean (a step up shows at once, not over the window)
        let total = all.reduce((a, s) => a + s.concurrency, 0);
        if (query.windowMs <= SHORT_WINDOW_MS)
          total = Math.max(
            total,
            eps.reduce((a, e) => a + e.inFlight, 0),
          );
        total += traffic.held(query.deployment);
        return {
          value: total / Math.max(1, serving),
          sampledAt,
          windowMs,
          ...(serving > 0 ? { replicas: serving } : {}),
        };
      }
      case 'requestsPerSecond': {
        const total = all.reduce((a, s) => a + s.requestsPerSecond, 0) + traffic.held(query.deployment);
        return {
          value: total / Math.max(1, serving),
          sampledAt,
          windowMs,
          ...(serving > 0 ? { replicas: serving } : {}),
        };
      }
      case 'p99LatencyMs':
        // the largest of the revisions' p99s: a slow canary is not averaged away
        return { value: all.reduce((a, s) => Math.max(a, s.requests > 0 ? s.p99Ms : 0), 0), sampledAt, windowMs };
      default:
        return undefined;
    }
  }
}

import type { ObservedSlice } from '../../provider/provider.js';
import type { PodTemplate } from '../../spec/deployment.js';

/**
 * Self-healing bookkeeping: since when each replica has been unhealthy. Replicas no longer
 * unhealthy (or gone) are forgotten.
 */
export function trackUnhealthy(
  unhealthySince: Map<string, number>,
  observed: readonly ObservedSlice[],
  now: number,
): void {
  const seen = new Set<string>();
  for (const s of observed) {
    for (const r of s.replicaStatus) {
      if (r.state === 'unhealthy') {
        seen.add(r.id);
        if (!unhealthySince.has(r.id)) unhealthySince.set(r.id, now);
      }
    }
  }
  for (const id of unhealthySince.keys()) if (!seen.has(id)) unhealthySince.delete(id);
}

/**
 * How long an unhealthy replica is given before it is replaced. 'unhealthy' already means the
 * platform saw failureThreshold failed probes in a row (Docker's health status); one more period
 * confirms it is not about to recover.
 */
export function unhealthyGraceOf(template: PodTemplate): number {
  const probe = template.containers[0]?.livenessProbe ?? template.containers[0]?.readinessProbe;
  return probe ? probe.periodSeconds * 1000 : 30_000;
}

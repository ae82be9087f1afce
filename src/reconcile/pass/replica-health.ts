import type { ObservedSlice } from '../../provider/provider.js';
import type { DomainHealth } from '../domain-health.js';

/**
 * The domain-health phase, from the replicas: a domain whose replicas of the current revision all
 * failed counts a failure; one where none become ready while the deployment is ready elsewhere
 * counts one too (the domain, not the template, is the likely cause).
 */
export function reportReplicaHealth(health: DomainHealth, observed: readonly ObservedSlice[], revision: string): void {
  const readyElsewhere = (x: ObservedSlice) =>
    observed.some((o) => o !== x && o.key.revision === revision && o.ready > 0);
  for (const s of observed) {
    if (s.key.revision !== revision || s.replicas === 0) continue;
    const key = `${s.target}/${s.key.zone}`;
    if (s.replicaStatus.every((r) => r.state === 'failed'))
      health.failure(key, 'replicas', `replicas cannot become ready: ${s.replicaStatus[0]?.message ?? 'failed'}`);
    else if (s.ready > 0) health.success(key, 'replicas');
    if (s.ready === 0 && readyElsewhere(s)) {
      const why = s.replicaStatus.find((r) => r.message)?.message ?? s.replicaStatus[0]?.state ?? 'not ready';
      health.failure(key, 'unready', `replicas not becoming ready: ${why}`);
    } else health.success(key, 'unready');
  }
}

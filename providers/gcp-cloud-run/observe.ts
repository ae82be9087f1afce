/**
 * Observed slices from a Cloud Run service (a ServiceView): the mapping observe reports.
 */
import type { ObservedReplica, ObservedSlice, ReplicaState } from '../../src/provider/provider.js';
import { GCP_LABELS, revisionName } from './names.js';
import { type ServiceView, sliceRevisions } from './service-view.js';

/**
 * The slices one service holds, one per skyfleet revision in its table (or still in its traffic).
 * Cloud Run shows no instances (no per-instance API), so a slice is `observedAs: 'aggregate'`: its
 * replica entries are derived from its count, never observed one by one: all ready when
 * its revision is serving (in `trafficStatuses` with traffic) and, for the template revision, the
 * Ready condition has not failed; failed with the condition's reason when the rollout failed.
 */
export function observedSlices(
  v: ServiceView,
  target: string,
  connect?: { host: string; port: number },
  /** The service keeps its invoker check: requests need an identity token for its URL. */
  identity = false,
): ObservedSlice[] {
  const fleet = v.labels[GCP_LABELS.fleet] ?? '';
  const deployment = v.labels[GCP_LABELS.deployment] ?? '';
  const zone = v.labels[GCP_LABELS.domain] ?? '';
  const settled = v.observedGeneration >= v.generation && !v.reconciling;
  const readyCond = v.terminalCondition ?? v.conditions.find((c) => c.type === 'Ready');
  let host = '';
  try {
    host = v.uri ? new URL(v.uri).hostname : '';
  } catch {
    host = '';
  }
  // over TLS as the service's name, at its own address or the target's dataPlaneAddress
  const endpoint = host
    ? {
        host: connect?.host ?? host,
        port: connect?.port ?? 443,
        containerPort: v.containerPort,
        url: v.uri,
        serverName: host,
        ...(identity && v.uri ? { identityAudience: v.uri } : {}),
      }
    : undefined;
  return sliceRevisions(v).map((rev) => {
    const full = revisionName(v.id, rev);
    const n = v.replicas[rev] ?? 0;
    const status = v.trafficStatuses.find((t) => t.revision === full);
    const serving = !!status && status.percent > 0;
    const isTemplate = v.templateRevision === full;
    let state: ReplicaState;
    let message: string | undefined;
    if (isTemplate && settled && readyCond?.state === 'CONDITION_FAILED') {
      state = 'failed';
      message = `${readyCond.reason ? `${readyCond.reason}: ` : ''}${readyCond.message || 'revision is not ready'}`;
    } else if (serving) {
      state = 'ready';
    } else if (isTemplate || !settled) {
      state = 'starting';
      message = `revision ${full} is being deployed`;
    } else {
      state = 'pending';
      message = `revision ${full} receives no traffic`;
    }
    const ready = state === 'ready';
    const replicaStatus: ObservedReplica[] = Array.from({ length: n }, (_, i) => ({
      id: `${v.name}/revisions/${full}#${i}`,
      name: `${full}-${i}`,
      ordinal: i,
      state,
      ready,
      ...(message ? { message } : {}),
      endpoints: endpoint ? [{ ...endpoint }] : [],
    }));
    return {
      key: { fleet, deployment, revision: rev, zone },
      target,
      replicas: n,
      ready: ready ? n : 0,
      replicaStatus,
      revision: rev,
      ...(v.autoscaling ? { autoscaling: v.autoscaling } : {}),
      observedAs: 'aggregate' as const,
      detail: v.autoscaling
        ? `Cloud Run scales revision ${full} itself (instances are not listed by its API); state from the service's conditions and traffic`
        : `Cloud Run keeps ${n} instance${n === 1 ? '' : 's'} of revision ${full} (its minimum instance count; instances are not listed by its API); state from the service's conditions and traffic`,
    };
  });
}

/**
 * The observe side of Docker: reading the containers of a label selector (list, then inspect each)
 * and grouping them into observed slices. One container as a replica is mapping.ts's
 * `toObservedReplica`.
 */
import type Docker from 'dockerode';
import { LABELS } from '../../src/provider/labels.js';
import type { ObservedReplica, ObservedSlice, SliceKey } from '../../src/provider/provider.js';
import { mapPool } from '../../src/util/pool.js';
import { type ErrorContext, statusOf, toProviderError } from './errors.js';
import { toObservedReplica } from './mapping.js';

/** Inspect calls in flight at once during observe. */
const READ_CONCURRENCY = 16;

/** A container as inspected, and as a replica. */
export interface Seen {
  info: Docker.ContainerInspectInfo;
  replica: ObservedReplica;
}

/**
 * Lists containers by label filters, then inspects each; a container removed in between is
 * skipped (absent is not an error). Errors leave classified.
 */
export async function readContainers(
  docker: Docker,
  labels: string[],
  options: {
    publishAddress: string;
    target: string;
    signal?: AbortSignal | undefined;
    /** Whether this start of a container passed skyfleet's first readiness probe (startup-probe.ts). */
    firstProbePassed?: (info: Docker.ContainerInspectInfo) => boolean;
  },
): Promise<Seen[]> {
  const site = (operation: string): ErrorContext => ({ target: options.target, operation });
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({
      all: true,
      filters: { label: labels },
      abortSignal: options.signal,
    } as Docker.ContainerListOptions);
  } catch (err) {
    throw toProviderError(err, site('listContainers'));
  }
  const seen = await mapPool(list, READ_CONCURRENCY, async (c) => {
    try {
      const info = await docker
        .getContainer(c.Id)
        .inspect({ abortSignal: options.signal } as Docker.ContainerInspectOptions);
      const passed = options.firstProbePassed?.(info) ?? false;
      return { info, replica: toObservedReplica(info, options.publishAddress, passed) } as Seen;
    } catch (err) {
      if (statusOf(err) === 404) return undefined; // removed since the list: absent is not an error
      throw toProviderError(err, site('inspectContainer'));
    }
  });
  return seen.filter((x): x is Seen => x !== undefined);
}

/**
 * The containers as slices of `fleet` (by their deployment, revision and domain labels; `zone` for
 * a container without a domain label), replicas in ordinal order, slices in (deployment, revision,
 * zone) order.
 */
export function toObservedSlices(seen: readonly Seen[], fleet: string, target: string, zone: string): ObservedSlice[] {
  const slices = new Map<string, ObservedSlice>();
  for (const { info, replica } of seen) {
    const l = info.Config.Labels ?? {};
    const key: SliceKey = {
      fleet,
      deployment: l[LABELS.deployment] ?? '',
      revision: l[LABELS.revision] ?? '',
      zone: l[LABELS.domain] ?? zone,
    };
    const id = JSON.stringify([key.deployment, key.revision, key.zone]);
    let slice = slices.get(id);
    if (!slice) {
      slice = { key, target, replicas: 0, ready: 0, replicaStatus: [], revision: key.revision };
      slices.set(id, slice);
    }
    slice.replicas++;
    if (replica.ready) slice.ready++;
    slice.replicaStatus.push(replica);
  }
  const out = [...slices.values()];
  for (const s of out)
    s.replicaStatus.sort((a, b) => (a.ordinal ?? 1e9) - (b.ordinal ?? 1e9) || a.name.localeCompare(b.name));
  return out.sort(
    (a, b) =>
      a.key.deployment.localeCompare(b.key.deployment) ||
      a.key.revision.localeCompare(b.key.revision) ||
      a.key.zone.localeCompare(b.key.zone),
  );
}

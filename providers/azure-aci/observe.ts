import type { Container as AciContainer, ContainerGroup, ContainerProbe } from '@azure/arm-containerinstance';
import { isOwned } from '../../src/provider/kit/ownership.js';
import type {
  Endpoint,
  ObservedReplica,
  ObservedSlice,
  ReplicaState,
  SliceKey,
  SliceSelector,
} from '../../src/provider/provider.js';
import { TAGS } from './names.js';

/**
 * Pure mapping from container groups read back from ARM to observed slices. A replica is ready
 * when its group's provisioningState is Succeeded, the group's instance state is Running, every
 * container is Running, and every readiness probe is passing.
 *
 * ACI does not report readiness as a field: a failing probe shows up as container events named
 * `Unhealthy` ("Readiness probe failed: ..."). A readiness probe counts as failing during its
 * initial delay and while such an event has recurred within the last `period x (failureThreshold
 * + 1)` seconds.
 */

/** True when a group carries this fleet's identity tags (and this target's, when given). */
export function isOurs(g: ContainerGroup, selector: SliceSelector, target?: string): boolean {
  const t = g.tags ?? {};
  if (!isOwned(t, { fleet: selector.fleet, deployment: selector.deployment }, TAGS)) return false;
  // a group without a target tag is taken as this target's
  if (target !== undefined && t[TAGS.target] !== undefined && t[TAGS.target] !== target) return false;
  return t[TAGS.deployment] !== undefined && t[TAGS.revision] !== undefined && t[TAGS.domain] !== undefined;
}

export function keyOf(g: ContainerGroup): SliceKey {
  const t = g.tags ?? {};
  return { fleet: t[TAGS.fleet]!, deployment: t[TAGS.deployment]!, revision: t[TAGS.revision]!, zone: t[TAGS.domain]! };
}

export function ordinalOf(g: ContainerGroup): number | undefined {
  const v = g.tags?.[TAGS.ordinal];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

const lower = (s: string | undefined) => (s ?? '').toLowerCase();
const ms = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).getTime());

/** The latest Warning event of a group or its containers, for a human-readable reason. */
function latestWarning(g: ContainerGroup): string | undefined {
  const events = [
    ...(g.instanceView?.events ?? []),
    ...g.containers.flatMap((c) => c.instanceView?.events ?? []),
  ].filter((e) => lower(e.type) === 'warning' && e.message);
  events.sort((a, b) => (ms(b.lastTimestamp) ?? 0) - (ms(a.lastTimestamp) ?? 0));
  return events[0]?.message;
}

function readinessFailure(c: AciContainer, probe: ContainerProbe, now: number): string | undefined {
  const started = ms(c.instanceView?.currentState?.startTime);
  if (started !== undefined && now < started + (probe.initialDelaySeconds ?? 0) * 1000) {
    return `container ${c.name}: readiness probe in its initial delay`;
  }
  const window = (probe.periodSeconds ?? 10) * ((probe.failureThreshold ?? 3) + 1) * 1000;
  const failed = (c.instanceView?.events ?? [])
    .filter((e) => e.name === 'Unhealthy' && /readiness probe failed/i.test(e.message ?? ''))
    .map((e) => ({ at: ms(e.lastTimestamp) ?? 0, message: e.message }))
    .filter((e) => e.at >= (started ?? 0) && now - e.at <= window)
    .sort((a, b) => b.at - a.at)[0];
  return failed ? `container ${c.name}: ${failed.message}` : undefined;
}

/** One replica's state from its group. `now` is epoch ms from the provider's clock. */
export function replicaOf(g: ContainerGroup, now: number, connect?: { host: string; port: number }): ObservedReplica {
  const ps = lower(g.provisioningState);
  const groupState = lower(g.instanceView?.state);
  let state: ReplicaState;
  let message: string | undefined;
  const restarts = g.containers.reduce((n, c) => n + (c.instanceView?.restartCount ?? 0), 0);
  const warn = latestWarning(g);
  if (ps === 'failed' || ps === 'canceled') {
    state = 'failed';
    message = `provisioning ${g.provisioningState}${warn ? `: ${warn}` : ''}`;
  } else if (ps === 'deleting') {
    state = 'stopped';
    message = 'being deleted';
  } else if (ps === 'repairing' || ps === 'unhealthy' || ps === 'notaccessible') {
    state = 'unhealthy';
    message = `provisioning ${g.provisioningState}${warn ? `: ${warn}` : ''}`;
  } else if (ps !== 'succeeded') {
    state = 'pending';
    message = `provisioning ${g.provisioningState ?? 'unknown'}`;
  } else if (groupState === 'stopped' || groupState === 'succeeded') {
    state = 'stopped';
    message = `group ${g.instanceView?.state}`;
  } else if (groupState === 'failed') {
    state = 'failed';
    message = `group Failed${warn ? `: ${warn}` : ''}`;
  } else if (groupState !== 'running') {
    state = 'starting';
    message = `group ${g.instanceView?.state ?? 'has no instance view yet'}`;
  } else {
    const notRunning = g.containers.find((c) => lower(c.instanceView?.currentState?.state) !== 'running');
    const pull = g.containers
      .flatMap((c) => (c.instanceView?.events ?? []).map((e) => ({ c, e })))
      .find(({ e }) => lower(e.type) === 'warning' && /failed to pull image/i.test(e.message ?? ''));
    if (notRunning && pull) {
      // ACI keeps retrying the pull (BackOff events); the image or its registry is what needs fixing
      state = 'failed';
      message = `container ${pull.c.name}: ${pull.e.message}`;
    } else if (notRunning) {
      const cs = notRunning.instanceView?.currentState;
      const crashed = lower(cs?.state) === 'terminated' || (notRunning.instanceView?.restartCount ?? 0) > 0;
      state = crashed ? 'unhealthy' : 'starting';
      message = `container ${notRunning.name} ${cs?.state ?? 'not started'}${cs?.exitCode !== undefined ? ` (exit code ${cs.exitCode})` : ''}${cs?.detailStatus ? `: ${cs.detailStatus}` : ''}${restarts ? `, ${restarts} restart${restarts === 1 ? '' : 's'}` : ''}`;
    } else {
      const failing = g.containers
        .map((c) => (c.readinessProbe ? readinessFailure(c, c.readinessProbe, now) : undefined))
        .find((x) => x !== undefined);
      if (failing) {
        state = /initial delay/.test(failing) ? 'starting' : 'unhealthy';
        message = failing;
      } else {
        state = 'ready';
      }
    }
  }
  const ordinal = ordinalOf(g);
  return {
    id: g.id ?? g.name ?? '',
    name: g.name ?? '',
    ...(ordinal !== undefined ? { ordinal } : {}),
    state,
    ready: state === 'ready',
    ...(message ? { message } : {}),
    restarts,
    endpoints: endpointsOf(g, connect),
  };
}

/**
 * Endpoints from the group's IP (or FQDN when there is no IP yet) and its ports; through a front
 * (`connect`, the target's dataPlaneAddress): that address, over TLS as the group's FQDN.
 */
export function endpointsOf(g: ContainerGroup, connect?: { host: string; port: number }): Endpoint[] {
  const ip = g.ipAddress;
  // ACI assigns the IP only once the group is provisioned: no endpoint before, not even its FQDN
  if (g.provisioningState !== 'Succeeded') return [];
  const host = ip?.ip ?? ip?.fqdn;
  if (!ip || !host) return [];
  if (connect) {
    // a front routes on the FQDN alone, to the group's first port
    const first = ip.ports.find((p) => lower(p.protocol ?? 'TCP') === 'tcp');
    if (!ip.fqdn || !first) return [];
    const portName = portNames(g).get(first.port);
    return [
      {
        host: connect.host,
        port: connect.port,
        containerPort: first.port,
        ...(portName ? { portName } : {}),
        url: `http://${ip.fqdn}:${first.port}`,
        serverName: ip.fqdn,
      },
    ];
  }
  const names = portNames(g);
  return ip.ports
    .filter((p) => lower(p.protocol ?? 'TCP') === 'tcp')
    .map((p) => {
      const portName = names.get(p.port);
      return {
        host,
        port: p.port,
        containerPort: p.port,
        ...(portName ? { portName } : {}),
        ...(ip.fqdn ? { url: `http://${ip.fqdn}:${p.port}` } : {}),
      };
    });
}

/** The ports' names, from the group's tag (`http=8080,metrics=9090`). */
function portNames(g: ContainerGroup): Map<number, string> {
  const names = new Map<number, string>();
  for (const pair of (g.tags?.[TAGS.ports] ?? '').split(',')) {
    const [name, port] = pair.split('=');
    if (name && port) names.set(Number(port), name);
  }
  return names;
}

/** Groups them into slices, replicas in ordinal order, slices in (deployment, revision, zone) order. */
export function toObservedSlices(
  groups: readonly ContainerGroup[],
  target: string,
  now: number,
  connect?: { host: string; port: number },
): ObservedSlice[] {
  const bySlice = new Map<string, { key: SliceKey; groups: ContainerGroup[] }>();
  for (const g of groups) {
    const key = keyOf(g);
    const id = `${key.deployment}|${key.revision}|${key.zone}`;
    const entry = bySlice.get(id) ?? { key, groups: [] };
    entry.groups.push(g);
    bySlice.set(id, entry);
  }
  const out: ObservedSlice[] = [];
  for (const [, { key, groups: gs }] of [...bySlice.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const replicaStatus = gs
      .map((g) => replicaOf(g, now, connect))
      .sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0) || a.name.localeCompare(b.name));
    out.push({
      key,
      target,
      replicas: replicaStatus.length,
      ready: replicaStatus.filter((r) => r.ready).length,
      replicaStatus,
      revision: key.revision,
    });
  }
  return out;
}

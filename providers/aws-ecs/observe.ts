/**
 * The observe side of ECS: services and their tasks as observed slices (pure), and the cache of
 * task views that lets a steady-state observe skip ListTasks/DescribeTasks.
 */
import type { Service, Task } from '@aws-sdk/client-ecs';
import { LABELS } from '../../src/provider/labels.js';
import type { Endpoint, ObservedReplica, ObservedSlice, ReplicaState, SliceKey } from '../../src/provider/provider.js';
import { canonicalJson } from '../../src/spec/revision.js';
import type { ReadService } from './consistency.js';
import { arnName, ECS_TAGS, tagMap } from './names.js';
import { deploymentFailure, keepsStopping } from './recovery.js';

/** Container ports recorded on a service (`8080:http 9090`). */
export function portsFromTag(value: string | undefined): Array<{ containerPort: number; name?: string }> {
  if (!value) return [];
  return value
    .split(' ')
    .filter(Boolean)
    .map((p) => {
      const [port, name] = p.split(':');
      return { containerPort: Number(port), ...(name ? { name } : {}) };
    })
    .filter((p) => Number.isInteger(p.containerPort));
}

/** The task's private IPv4 and ENI id, from its ElasticNetworkInterface attachment. */
export function taskNetwork(task: Task): { privateIp?: string; eniId?: string } {
  const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
  const d = tagMapNV(eni?.details);
  const ip =
    d.privateIPv4Address ??
    task.containers?.flatMap((c) => c.networkInterfaces ?? []).find((n) => n.privateIpv4Address)?.privateIpv4Address;
  return { ...(ip ? { privateIp: ip } : {}), ...(d.networkInterfaceId ? { eniId: d.networkInterfaceId } : {}) };
}

function tagMapNV(kv: ReadonlyArray<{ name?: string; value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of kv ?? []) if (x.name !== undefined && x.value !== undefined) out[x.name] = x.value;
  return out;
}

/**
 * A task as a replica. Ready = RUNNING and HEALTHY; when no container has a health check, ECS
 * reports UNKNOWN forever, so RUNNING alone counts as ready (`healthChecked: false`).
 */
export function replicaFromTask(
  task: Task,
  ctx: { healthChecked: boolean; ports: Array<{ containerPort: number; name?: string }>; host?: string },
): ObservedReplica {
  const last = task.lastStatus ?? 'PROVISIONING';
  const desired = task.desiredStatus ?? 'RUNNING';
  const health = task.healthStatus ?? 'UNKNOWN';
  let state: ReplicaState;
  let ready = false;
  if (desired === 'STOPPED' || ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED', 'DELETED'].includes(last)) {
    const failed =
      task.stopCode === 'TaskFailedToStart' ||
      task.stopCode === 'EssentialContainerExited' ||
      (task.containers ?? []).some((c) => (c.exitCode ?? 0) !== 0);
    state = failed ? 'failed' : 'stopped';
  } else if (last === 'RUNNING') {
    if (health === 'HEALTHY' || (health === 'UNKNOWN' && !ctx.healthChecked)) {
      state = 'ready';
      ready = true;
    } else state = health === 'UNHEALTHY' ? 'unhealthy' : 'starting';
  } else state = last === 'ACTIVATING' ? 'starting' : 'pending';
  const taskId = task.taskArn ? task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1) : 'unknown';
  const host = ctx.host ?? taskNetwork(task).privateIp;
  // a bridge-mode task (and `skyfleet emulate`'s tasks) reports each port as a network binding on
  // the host's address; an awsvpc task has none and is reached on its own IP at the container port
  const bindings = (task.containers ?? []).flatMap((c) => c.networkBindings ?? []);
  const endpoints: Endpoint[] =
    host && last === 'RUNNING'
      ? ctx.ports.map((p) => {
          const b = bindings.find((x) => x.containerPort === p.containerPort && x.hostPort);
          const bound = b?.bindIP && b.bindIP !== '0.0.0.0' && b.bindIP !== '::' ? b.bindIP : host;
          return {
            host: b ? bound : host,
            port: b?.hostPort ?? p.containerPort,
            containerPort: p.containerPort,
            ...(p.name ? { portName: p.name } : {}),
          };
        })
      : [];
  const reason = task.stoppedReason ?? task.containers?.find((c) => c.reason)?.reason;
  const message =
    reason ??
    (state === 'ready'
      ? undefined
      : `task ${last.toLowerCase()}, health ${health.toLowerCase()}${task.availabilityZone ? ` in ${task.availabilityZone}` : ''}`);
  return { id: task.taskArn ?? taskId, name: taskId, state, ready, ...(message ? { message } : {}), endpoints };
}

/**
 * A service and its tasks as a slice. `replicas` is the service's desiredCount. When fewer tasks
 * are alive than desired, the gap is reported as pending replicas carrying the latest reason ECS
 * gave (a stopped task's stoppedReason or the newest service event), e.g. during a zone outage.
 * The gap is `failed` instead when the tasks keep stopping for a cause (`failing`) or the circuit
 * breaker failed the service's deployment (then alive tasks that are not ready are failed too: ECS
 * launches no more).
 */
export function sliceFromService(
  target: string,
  key: SliceKey,
  service: Service,
  replicas: ObservedReplica[],
  missingReasons: readonly string[] = [],
  failing = false,
): ObservedSlice {
  const desired = service.desiredCount ?? 0;
  const broken = deploymentFailure(service);
  const event = service.events?.[0]?.message;
  const failedWhy = (why: string | undefined) => [broken?.reason, why].filter(Boolean).join(' ');
  // a task still starting while its predecessors keep stopping for a cause will stop the same way
  const alive = replicas
    .filter((r) => r.state !== 'stopped' && r.state !== 'failed')
    .map((r) =>
      (broken || failing) && !r.ready
        ? { ...r, state: 'failed' as const, message: failedWhy(missingReasons[0] ?? r.message) }
        : r,
    );
  const status = [...alive];
  const gap = desired - alive.length;
  for (let i = 0; i < gap; i++) {
    const why = missingReasons[i] ?? missingReasons[0] ?? event ?? 'waiting for ECS to start a task';
    status.push({
      id: `${service.serviceArn ?? service.serviceName}#missing-${i}`,
      name: `missing-${i}`,
      state: broken || failing ? 'failed' : 'pending',
      ready: false,
      message: broken || failing ? failedWhy(why) : why,
      endpoints: [],
    });
  }
  const tags = tagMap(service.tags);
  return {
    key,
    target,
    replicas: desired,
    ready: alive.filter((r) => r.ready).length,
    replicaStatus: status,
    revision: tags[LABELS.revision] ?? key.revision,
  };
}

/** What must stay the same for a cached task view to still be true. */
export function serviceSignature(s: Service): string {
  return canonicalJson({
    d: s.desiredCount,
    r: s.runningCount,
    p: s.pendingCount,
    td: s.taskDefinition,
    deployments: (s.deployments ?? []).map((d) => [
      d.id,
      d.status,
      d.rolloutState,
      d.runningCount,
      d.pendingCount,
      d.failedTasks,
      d.taskDefinition,
    ]),
    event: s.events?.[0]?.id,
  });
}

/** The tasks of one service as last read: its replicas and why tasks are missing. */
interface TaskView {
  signature: string;
  replicas: ObservedReplica[];
  missing: string[];
  /** Recent tasks keep stopping for a cause (image pull, start error, crash loop). */
  failing: boolean;
}

/** What observe read about the tasks of the services it had to look into. */
export interface TasksRead {
  /** RUNNING task ARNs by service name, for every service read. */
  running: ReadonlyMap<string, readonly string[]>;
  /** Recent STOPPED task ARNs by service name, for services short of tasks. */
  stopped: ReadonlyMap<string, readonly string[]>;
  /** The tasks described, by ARN. */
  described: ReadonlyMap<string, Task>;
  /** Public IPs by ENI id (when resolved). */
  publicIps: Readonly<Record<string, string>>;
}

/**
 * Task views by service name, reused while the service's counters, deployments and newest event
 * are unchanged and every task was ready: a steady-state observe reads no task.
 */
export class TaskViews {
  private readonly views = new Map<string, TaskView>();

  /** The services whose tasks must be read again. */
  stale(services: readonly Service[]): Service[] {
    return services.filter((s) => this.views.get(s.serviceName!)?.signature !== serviceSignature(s));
  }

  forget(serviceName: string): void {
    this.views.delete(serviceName);
  }

  /** The slices of `services` (of the fleet, on `target`), from fresh task reads or cached views. */
  slices(target: string, services: readonly { key: SliceKey; service: Service }[], read: TasksRead): ObservedSlice[] {
    const out: ObservedSlice[] = [];
    for (const { key, service: s } of services) {
      const name = s.serviceName!;
      let view = this.views.get(name);
      if (read.running.has(name)) {
        view = this.read(s, read);
        const settled =
          !(s as ReadService).tagsPending &&
          view.replicas.length === (s.desiredCount ?? 0) &&
          view.replicas.every((r) => r.ready);
        if (settled) this.views.set(name, view);
        else this.views.delete(name);
      }
      out.push(sliceFromService(target, key, s, view?.replicas ?? [], view?.missing ?? [], view?.failing ?? false));
    }
    return out.sort((a, b) => sliceOrder(a.key).localeCompare(sliceOrder(b.key)));
  }

  private read(s: Service, read: TasksRead): TaskView {
    const name = s.serviceName!;
    const tags = tagMap(s.tags);
    const hc = tags[ECS_TAGS.healthChecked] === 'true';
    const ports = portsFromTag(tags[ECS_TAGS.ports]);
    const replicas = (read.running.get(name) ?? [])
      .map((arn) => read.described.get(arn))
      .filter((t): t is Task => t !== undefined)
      .map((t) => {
        const eni = taskNetwork(t).eniId;
        const host = eni ? read.publicIps[eni] : undefined;
        const r = replicaFromTask(t, { healthChecked: hc, ports, ...(host ? { host } : {}) });
        // without its tags, whether the task is health-checked and which ports it serves is unknown
        return (s as ReadService).tagsPending && r.ready
          ? {
              ...r,
              state: 'starting' as const,
              ready: false,
              endpoints: [],
              message: 'the service tags do not show yet (ECS is eventually consistent): readiness unknown',
            }
          : r;
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    const stopped = (read.stopped.get(name) ?? [])
      .map((arn) => read.described.get(arn))
      .filter((t): t is Task => t !== undefined)
      .sort((a, b) => Number(b.stoppedAt ?? b.stoppingAt ?? 0) - Number(a.stoppedAt ?? a.stoppingAt ?? 0));
    const missing = stopped.map(
      (t) => `task ${arnName(t.taskArn ?? '')} stopped: ${t.stoppedReason ?? t.stopCode ?? 'unknown reason'}`,
    );
    const current = stopped.filter((t) => !s.taskDefinition || t.taskDefinitionArn === s.taskDefinition);
    return { signature: serviceSignature(s), replicas, missing, failing: keepsStopping(current) };
  }
}

function sliceOrder(k: SliceKey): string {
  return `${k.deployment}|${k.revision}|${k.zone}`;
}

import { parseCpu } from '../../spec/quantity.js';
import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ResourcesDoc, StrategyDoc } from '../skyfleet-types.js';
import { composeBytes, memoryQuantity } from './units.js';

export interface ComposeDeploy {
  replicas?: number;
  resources?: ResourcesDoc;
  strategy?: StrategyDoc;
  annotations?: Record<string, string>;
}

/** `deploy`: replicas, resources, update_config and labels; swarm scheduling is named in warnings. */
export function convertDeploy(scope: Scope, raw: unknown): ComposeDeploy {
  if (!isPlain(raw)) {
    scope.warn(`expected a deploy object, got ${show(raw)}`);
    return {};
  }
  const out: ComposeDeploy = {};
  if (typeof raw.replicas === 'number') out.replicas = raw.replicas;
  else if (raw.replicas !== undefined)
    scope.warn(`expected a number, got ${show(raw.replicas)}: 1 replica`, 'replicas');
  if (raw.resources !== undefined) out.resources = convertResources(scope.at('resources'), raw.resources);
  if (raw.update_config !== undefined) {
    const st = convertUpdateConfig(scope.at('update_config'), raw.update_config);
    if (st) out.strategy = st;
  }
  if (raw.labels !== undefined) out.annotations = labelMap(scope.at('labels'), raw.labels);
  if (raw.mode !== undefined && raw.mode !== 'replicated')
    scope.warn(
      `skyfleet runs a number of replicas (replicated), not ${show(raw.mode)}: it has no nodes to run one on each; deploy.replicas (default 1) is used`,
      'mode',
    );
  if (
    isPlain(raw.restart_policy) &&
    raw.restart_policy.condition !== undefined &&
    raw.restart_policy.condition !== 'any'
  )
    scope.warn(
      `skyfleet restarts a replica whatever way it stops (as condition: any), not only ${show(raw.restart_policy.condition)}`,
      'restart_policy',
      'condition',
    );
  if (isPlain(raw.restart_policy))
    warnUnhandled(
      scope.at('restart_policy'),
      raw.restart_policy,
      ['condition'],
      {},
      'skyfleet restarts stopped replicas at once and without limit: restart delays and attempt limits are not supported',
    );
  warnUnhandled(
    scope,
    raw,
    ['replicas', 'resources', 'update_config', 'labels', 'mode', 'restart_policy'],
    {
      placement:
        'skyfleet has no swarm nodes: choose targets (placement.targets) and spread (placement.spread) instead',
      rollback_config: 'skyfleet rolls back with `skyfleet rollout undo`, or on its own in a Canary analysis',
      endpoint_mode: 'skyfleet balances through its own listener (spec.service)',
    },
    'not supported by skyfleet',
  );
  return out;
}

function convertResources(scope: Scope, raw: unknown): ResourcesDoc {
  if (!isPlain(raw)) {
    scope.warn(`expected { limits, reservations }, got ${show(raw)}`);
    return {};
  }
  const limits = isPlain(raw.limits) ? raw.limits : {};
  const reservations = isPlain(raw.reservations) ? raw.reservations : {};
  const out: Plain = {};
  // the limit is what the container may use: skyfleet's one size per container
  const cpu = limits.cpus ?? reservations.cpus;
  if (cpu !== undefined) {
    const from = limits.cpus !== undefined ? 'limits' : 'reservations';
    if (parseCpu(typeof cpu === 'number' ? cpu : String(cpu)) === undefined)
      scope.warn(`expected a number of cpus like 0.5, got ${show(cpu)}: no cpu size`, from, 'cpus');
    else out.cpu = typeof cpu === 'number' ? cpu : String(cpu);
  }
  const mem = limits.memory ?? reservations.memory;
  if (mem !== undefined) {
    const from = limits.memory !== undefined ? 'limits' : 'reservations';
    const bytes = composeBytes(mem);
    if (bytes === undefined)
      scope.warn(`expected a size like 512M or 1G, got ${show(mem)}: no memory size`, from, 'memory');
    else out.memory = memoryQuantity(bytes);
  }
  for (const r of ['cpus', 'memory'] as const)
    if (limits[r] !== undefined && reservations[r] !== undefined && String(limits[r]) !== String(reservations[r]))
      scope.warn(
        `skyfleet gives each container one size, its limit (${show(limits[r])}): the reservation is not kept separately`,
        'reservations',
        r,
      );
  for (const [where, obj] of [
    ['limits', limits],
    ['reservations', reservations],
  ] as const)
    warnUnhandled(
      scope.at(where),
      obj,
      ['cpus', 'memory'],
      {
        devices:
          'skyfleet places by cpu and memory only: devices (GPUs) are not requested; choose targets that have them',
      },
      'skyfleet sizes containers by cpu and memory only',
    );
  warnUnhandled(scope, raw, ['limits', 'reservations'], {}, 'not a field of deploy.resources');
  return out as ResourcesDoc;
}

/**
 * Swarm's update_config as a rolling update: start-first surges `parallelism` new replicas before
 * old ones go (maxUnavailable 0); stop-first (the default) takes `parallelism` down first (maxSurge 0).
 */
function convertUpdateConfig(scope: Scope, raw: unknown): StrategyDoc | undefined {
  if (!isPlain(raw)) {
    scope.warn(`expected an update_config object, got ${show(raw)}`);
    return undefined;
  }
  const p = raw.parallelism;
  const batch = typeof p === 'number' && p >= 1 ? p : p === 0 ? '100%' : 1;
  if (p !== undefined && typeof p !== 'number')
    scope.warn(`expected a number, got ${show(p)}: 1 is used`, 'parallelism');
  const order = raw.order ?? 'stop-first';
  if (order !== 'stop-first' && order !== 'start-first')
    scope.warn(`expected stop-first or start-first, got ${show(order)}: stop-first is used`, 'order');
  warnUnhandled(
    scope,
    raw,
    ['parallelism', 'order'],
    {
      delay:
        "skyfleet moves to the next batch as soon as the last one is ready: use a Canary strategy's pause steps to wait",
      failure_action:
        'skyfleet stops a rolling update that misses progressDeadlineSeconds; `skyfleet rollout undo` rolls back (a Canary analysis rolls back on its own)',
      monitor: "skyfleet judges a batch by its replicas' readiness: use a Canary analysis to watch for longer",
      max_failure_ratio: 'skyfleet tolerates no failed replica in a rolling update',
    },
    'not a field of update_config',
  );
  return {
    type: 'RollingUpdate',
    rollingUpdate:
      order === 'start-first' ? { maxSurge: batch, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: batch },
  };
}

/** Compose labels (list of "k=v" or a map) as annotations (any key and value). */
export function labelMap(scope: Scope, raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw))
    raw.forEach((l) => {
      const t = String(l);
      const eq = t.indexOf('=');
      out[eq < 0 ? t : t.slice(0, eq)] = eq < 0 ? '' : t.slice(eq + 1);
    });
  else if (isPlain(raw)) for (const [k, v] of Object.entries(raw)) out[k] = v === null ? '' : String(v);
  else scope.warn(`expected a list or map of labels, got ${show(raw)}`);
  return out;
}

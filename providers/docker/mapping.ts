import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { ValidationError, type ValidationIssue } from '../../src/errors/validation-error.js';
import { LABELS, MANAGED_BY } from '../../src/provider/labels.js';
import type { DesiredSlice, Endpoint, ObservedReplica, ReplicaState, SliceKey } from '../../src/provider/provider.js';
import type { Container, Probe } from '../../src/spec/deployment.js';
import { parseCpu, parseMemory } from '../../src/spec/quantity.js';
import { canonicalJson } from '../../src/spec/revision.js';

/** Labels the Docker provider adds beside the common ones in `LABELS`. */
export const DOCKER_LABELS = {
  /** Hash of the container's runtime config (see `fingerprint`), written at create time. */
  configHash: 'skyfleet.dev/config-hash',
  /** `name=port/proto` pairs of the declared ports, so observe can name endpoints. */
  ports: 'skyfleet.dev/ports',
  /** JSON array of the user label keys set at create time (what `labelsHash` covers). */
  labelKeys: 'skyfleet.dev/label-keys',
  /** Hash of the user labels' values at create time: a container relabelled by hand shows up as drift. */
  labelsHash: 'skyfleet.dev/labels-hash',
} as const;

const OWN_LABEL_KEYS = new Set<string>([...Object.values(LABELS), ...Object.values(DOCKER_LABELS)]);

const NS = 1_000_000_000;

/** Where a mapping runs: the target's settings that matter to the container config. */
export interface MappingContext {
  target: string;
  zone: string;
  publishAddress: string;
}

/** One name part within Docker's rules `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, kept readable and unique. */
function namePart(value: string): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(value)) return value;
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '');
  const h = createHash('sha256').update(value).digest('hex').slice(0, 6);
  return `${cleaned || 'x'}-${h}`;
}

/**
 * The deterministic container name of one replica: `sf.<fleet>.<deployment>.<target>.<revision>.<ordinal>`.
 * Names of fleets, deployments and targets may contain "-" but never ".", so the parts never run
 * into each other (`a-b`+`c` and `a`+`b-c` give different names).
 */
export function containerName(key: SliceKey, target: string, ordinal: number): string {
  return [
    'sf',
    namePart(key.fleet),
    namePart(key.deployment),
    namePart(target),
    namePart(key.revision),
    String(ordinal),
  ].join('.');
}

/** The label filters (for list and events) that select one fleet's containers on one target. */
export function selectorFilters(fleet: string, target: string, extra: Record<string, string> = {}): string[] {
  const base: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.fleet]: fleet,
    [LABELS.target]: target,
    ...extra,
  };
  return Object.entries(base).map(([k, v]) => `${k}=${v}`);
}

/** The label filters that select exactly one slice's containers on one target. */
export function sliceFilters(key: SliceKey, target: string): string[] {
  return selectorFilters(key.fleet, target, {
    [LABELS.deployment]: key.deployment,
    [LABELS.revision]: key.revision,
    [LABELS.domain]: key.zone,
  });
}

/** The single container of a template, or a ValidationError: Docker targets run single-container templates. */
export function singleContainer(slice: DesiredSlice): Container {
  const containers = slice.template.containers;
  if (containers.length !== 1 || !containers[0]) {
    throw new ValidationError(
      [
        {
          path: 'spec.template.containers',
          message: `Docker targets run single-container templates; this template has ${containers.length} containers`,
        },
      ],
      `slice ${slice.key.deployment}/${slice.key.revision}`,
    );
  }
  return containers[0];
}

function portKey(containerPort: number, protocol: string): string {
  return `${containerPort}/${protocol.toLowerCase()}`;
}

function resolvePort(c: Container, ref: number | string, path: string, issues: ValidationIssue[]): number {
  if (typeof ref === 'number') return ref;
  const p = c.ports.find((x) => x.name === ref);
  if (!p) {
    issues.push({ path, message: `port "${ref}" is not a declared port name of container "${c.name}"` });
    return 0;
  }
  return p.containerPort;
}

/**
 * A probe as a Docker HEALTHCHECK. Docker runs the test inside the container, so:
 * - httpGet needs `wget` in the image (busybox's will do): `wget -q --spider http://127.0.0.1:PORT/PATH`;
 * - tcpSocket needs `nc` in the image (busybox's will do): `nc -w TIMEOUT 127.0.0.1 PORT`;
 * - exec runs its command as given (`CMD`, no shell).
 * Interval = periodSeconds, Timeout = timeoutSeconds, Retries = failureThreshold,
 * StartPeriod = initialDelaySeconds.
 */
export function toHealthcheck(
  c: Container,
  probe: Probe,
  path: string,
  issues: ValidationIssue[],
): Docker.HealthConfig {
  let test: string[];
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(c, g.port, `${path}.httpGet.port`, issues);
    const scheme = g.scheme === 'HTTPS' ? 'https' : 'http';
    test = ['CMD', 'wget', '-q', '--spider'];
    if (g.scheme === 'HTTPS') test.push('--no-check-certificate');
    for (const h of g.httpHeaders ?? []) test.push('--header', `${h.name}: ${h.value}`);
    test.push(`${scheme}://127.0.0.1:${port}${g.path}`);
  } else if (probe.tcpSocket) {
    const port = resolvePort(c, probe.tcpSocket.port, `${path}.tcpSocket.port`, issues);
    test = ['CMD', 'nc', '-w', String(probe.timeoutSeconds), '127.0.0.1', String(port)];
  } else if (probe.exec) {
    test = ['CMD', ...probe.exec.command];
  } else {
    issues.push({ path, message: 'expected exactly one of httpGet, tcpSocket or exec' });
    test = ['NONE'];
  }
  const hc: Docker.HealthConfig = {
    Test: test,
    Interval: probe.periodSeconds * NS,
    Timeout: probe.timeoutSeconds * NS,
    Retries: probe.failureThreshold,
  };
  if (probe.initialDelaySeconds > 0) hc.StartPeriod = probe.initialDelaySeconds * NS;
  return hc;
}

/** The runtime config a fingerprint covers, read from create options or from `inspect`. */
interface Fingerprint {
  image: string;
  labels: Record<string, string>;
  ports: string[];
  nanoCpus: number;
  memory: number;
  restart: string;
  health: { test: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
}

function identityLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [LABELS.managedBy, LABELS.fleet, LABELS.deployment, LABELS.revision, LABELS.target, LABELS.domain]) {
    const v = labels?.[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function bindingsList(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined,
): string[] {
  const out: string[] = [];
  for (const [k, list] of Object.entries(bindings ?? {})) {
    for (const b of list ?? []) out.push(`${k}@${b.HostIp ?? ''}:${b.HostPort ?? ''}`);
  }
  return out.sort();
}

function healthOf(h: Docker.HealthConfig | undefined): Fingerprint['health'] {
  return {
    test: h?.Test ?? [],
    interval: h?.Interval ?? 0,
    timeout: h?.Timeout ?? 0,
    retries: h?.Retries ?? 0,
    startPeriod: h?.StartPeriod ?? 0,
  };
}

function hashFingerprint(f: Fingerprint): string {
  return createHash('sha256').update(canonicalJson(f)).digest('hex').slice(0, 16);
}

/**
 * The config hash of create options: image, skyfleet identity labels, port bindings, cpu and
 * memory limits, restart policy and health check. These are exactly what `inspect` reports back
 * unchanged, so `inspectConfigHash` of an untouched container equals it; `docker update` of
 * limits or restart policy, or a container made by hand with our labels, shows up as drift.
 * Env and command are not in it (the revision covers them; secret values are never hashed).
 */
export function createConfigHash(opts: Docker.ContainerCreateOptions): string {
  return hashFingerprint({
    image: opts.Image ?? '',
    labels: identityLabels(opts.Labels),
    ports: bindingsList(opts.HostConfig?.PortBindings as never),
    nanoCpus: opts.HostConfig?.NanoCpus ?? 0,
    memory: opts.HostConfig?.Memory ?? 0,
    restart: opts.HostConfig?.RestartPolicy?.Name ?? '',
    health: healthOf(opts.Healthcheck),
  });
}

/** The config hash of a running (or stopped) container as `inspect` reports it. */
export function inspectConfigHash(info: Docker.ContainerInspectInfo): string {
  return hashFingerprint({
    image: info.Config.Image ?? '',
    labels: identityLabels(info.Config.Labels),
    ports: bindingsList(info.HostConfig.PortBindings as never),
    nanoCpus: info.HostConfig.NanoCpus ?? 0,
    memory: info.HostConfig.Memory ?? 0,
    restart: info.HostConfig.RestartPolicy?.Name ?? '',
    health: healthOf(info.Config.Healthcheck),
  });
}

/**
 * The hash of the values of the user labels `keys` (a missing one counts as null). Only these keys:
 * Docker adds the image's labels to a container's, and those are not the container's config.
 */
export function userLabelsHash(labels: Record<string, string> | undefined, keys: readonly string[]): string {
  const pick: Record<string, string | null> = {};
  for (const k of keys) pick[k] = labels?.[k] ?? null;
  return createHash('sha256').update(canonicalJson(pick)).digest('hex').slice(0, 16);
}

/**
 * True when a container's user labels differ from the ones it was created with (a container
 * recreated or relabelled behind skyfleet's back). Containers made before these labels existed
 * (neither label) are not checked; one of the two without the other, or a malformed key list, is drift.
 */
export function userLabelsDrifted(labels: Record<string, string> | undefined): boolean {
  const rawKeys = labels?.[DOCKER_LABELS.labelKeys];
  const hash = labels?.[DOCKER_LABELS.labelsHash];
  if (rawKeys === undefined && hash === undefined) return false;
  if (rawKeys === undefined || hash === undefined) return true;
  let keys: unknown;
  try {
    keys = JSON.parse(rawKeys);
  } catch {
    return true;
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return true;
  return userLabelsHash(labels, keys as string[]) !== hash;
}

/**
 * The create options of one replica of a slice. Throws a ValidationError listing every problem
 * (more than one container, an undeclared port name, an unresolved secret, a bad quantity).
 * Secret values go into `Env` only: never into labels, names or errors.
 */
export function toCreateOptions(
  slice: DesiredSlice,
  ordinal: number,
  ctx: MappingContext,
): Docker.ContainerCreateOptions {
  const c = singleContainer(slice);
  const issues: ValidationIssue[] = [];
  const cpath = 'spec.template.containers[0]';

  const env: string[] = [];
  c.env.forEach((e, i) => {
    if (e.value !== undefined) env.push(`${e.name}=${e.value}`);
    else {
      const v = slice.secrets?.[e.name];
      if (v === undefined) {
        issues.push({ path: `${cpath}.env[${i}].valueFrom`, message: `secret for env ${e.name} was not resolved` });
      } else env.push(`${e.name}=${v}`);
    }
  });

  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const portNames: string[] = [];
  for (const p of c.ports) {
    const k = portKey(p.containerPort, p.protocol);
    exposed[k] = {};
    bindings[k] = [{ HostIp: ctx.publishAddress, HostPort: '' }];
    portNames.push(p.name ? `${p.name}=${k}` : k);
  }

  let nanoCpus: number | undefined;
  let memory: number | undefined;
  if (c.resources.cpu !== undefined) {
    const m = parseCpu(c.resources.cpu);
    if (m === undefined)
      issues.push({ path: `${cpath}.resources.cpu`, message: `not a cpu quantity: ${c.resources.cpu}` });
    else nanoCpus = m * 1_000_000;
  }
  if (c.resources.memory !== undefined) {
    const b = parseMemory(c.resources.memory);
    if (b === undefined)
      issues.push({ path: `${cpath}.resources.memory`, message: `not a memory quantity: ${c.resources.memory}` });
    else memory = b;
  }

  // Readiness decides `ready`; without one, a liveness probe is the best health signal we have.
  const probe = c.readinessProbe ?? c.livenessProbe;
  const probePath = c.readinessProbe ? `${cpath}.readinessProbe` : `${cpath}.livenessProbe`;
  // No probe: switch off any HEALTHCHECK baked into the image, so "running" means ready.
  const healthcheck: Docker.HealthConfig = probe ? toHealthcheck(c, probe, probePath, issues) : { Test: ['NONE'] };

  if (issues.length) throw new ValidationError(issues, `slice ${slice.key.deployment}/${slice.key.revision}`);

  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...slice.template.metadata?.labels, ...slice.labels })) {
    if (!OWN_LABEL_KEYS.has(k)) labels[k] = v;
  }
  const userKeys = Object.keys(labels).sort();
  Object.assign(labels, {
    [DOCKER_LABELS.labelKeys]: JSON.stringify(userKeys),
    [DOCKER_LABELS.labelsHash]: userLabelsHash(labels, userKeys),
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.fleet]: slice.key.fleet,
    [LABELS.deployment]: slice.key.deployment,
    [LABELS.revision]: slice.key.revision,
    [LABELS.target]: ctx.target,
    [LABELS.domain]: slice.key.zone,
    [LABELS.ordinal]: String(ordinal),
    [DOCKER_LABELS.ports]: portNames.join(','),
  });

  const hostConfig: Docker.HostConfig = {
    PortBindings: bindings,
    // unless-stopped: any exit (crash or clean) restarts with Docker's backoff, and so does an
    // engine restart; a deliberate `docker stop`/`kill` is respected and observed as `stopped`.
    RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
  };
  if (nanoCpus !== undefined) hostConfig.NanoCpus = nanoCpus;
  if (memory !== undefined) hostConfig.Memory = memory;

  const opts: Docker.ContainerCreateOptions = {
    name: containerName(slice.key, ctx.target, ordinal),
    Image: c.image,
    Env: env,
    Labels: labels,
    ExposedPorts: exposed,
    Healthcheck: healthcheck,
    HostConfig: hostConfig,
  };
  if (c.command && c.command.length > 0) opts.Entrypoint = c.command;
  if (c.args && c.args.length > 0) opts.Cmd = c.args;
  opts.Labels = { ...labels, [DOCKER_LABELS.configHash]: createConfigHash(opts) };
  return opts;
}

/** The ordinal a container's labels give, or undefined when missing or malformed. */
export function ordinalOf(labels: Record<string, string> | undefined): number | undefined {
  const v = labels?.[LABELS.ordinal];
  if (v === undefined || !/^\d{1,6}$/.test(v)) return undefined;
  return Number(v);
}

function clip(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

function lastHealthMessage(info: Docker.ContainerInspectInfo): string | undefined {
  const log = info.State.Health?.Log;
  const last = log?.[log.length - 1];
  if (!last) return undefined;
  const out = clip(last.Output ?? '');
  if (last.ExitCode === 0) return out ? `health check passed: ${out}` : 'health check passed';
  return out ? `health check failed: ${out}` : `health check failed with exit code ${last.ExitCode}`;
}

function exitMessage(info: Docker.ContainerInspectInfo): string {
  const s = info.State;
  const parts = [`exited with code ${s.ExitCode}`];
  if (s.OOMKilled) parts.push('(out of memory)');
  if (s.Error) parts.push(`: ${clip(s.Error)}`);
  return parts.join(' ').replace(' :', ':');
}

/**
 * The state of one replica, as `inspect` reports it. `firstProbePassed`: skyfleet's own first
 * readiness probe of this start passed (startup-probe.ts) while Docker's health check has not run
 * yet; the replica is ready until Docker's check says `unhealthy`.
 */
export function replicaState(
  info: Docker.ContainerInspectInfo,
  firstProbePassed = false,
): {
  state: ReplicaState;
  ready: boolean;
  message?: string;
} {
  const s = info.State;
  const health = s.Health?.Status;
  switch (s.Status) {
    case 'running': {
      if (s.Paused) return { state: 'unhealthy', ready: false, message: 'paused' };
      // running again after crashes: still ready, but say so (a crash loop flickers between states)
      const again = info.RestartCount > 0 ? `running again after ${info.RestartCount} restarts` : undefined;
      if (!health || health === 'none' || health === 'healthy') {
        return again ? { state: 'ready', ready: true, message: again } : { state: 'ready', ready: true };
      }
      if (health === 'unhealthy') return { state: 'unhealthy', ready: false, message: lastHealthMessage(info) };
      if (firstProbePassed)
        return again ? { state: 'ready', ready: true, message: again } : { state: 'ready', ready: true };
      return {
        state: 'starting',
        ready: false,
        message: lastHealthMessage(info) ?? 'waiting for the first health check',
      };
    }
    case 'paused':
      return { state: 'unhealthy', ready: false, message: 'paused' };
    case 'restarting':
      return {
        state: 'failed',
        ready: false,
        message: `restarting after it ${exitMessage(info)} (${info.RestartCount} restarts)`,
      };
    case 'created':
      return s.Error
        ? { state: 'failed', ready: false, message: `could not start: ${clip(s.Error)}` }
        : // skyfleet creates and starts a container in one apply, and no pass observes its own apply
          // half-done: a container seen created-not-started was left so by an interrupted apply
          // (a crash between create and start). It will not start by itself: report it stopped,
          // so self-healing starts it.
          { state: 'stopped', ready: false, message: 'created but never started (its apply was interrupted)' };
    case 'exited':
      return { state: 'stopped', ready: false, message: exitMessage(info) };
    case 'removing':
      return { state: 'stopped', ready: false, message: 'being removed' };
    default:
      return {
        state: 'failed',
        ready: false,
        message: `container is ${s.Status}${s.Error ? `: ${clip(s.Error)}` : ''}`,
      };
  }
}

/** Published endpoints of a container (only a running container has host ports). */
export function endpointsOf(info: Docker.ContainerInspectInfo, publishAddress: string): Endpoint[] {
  const names = new Map<string, string>();
  for (const part of (info.Config.Labels?.[DOCKER_LABELS.ports] ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) names.set(part.slice(i + 1), part.slice(0, i));
  }
  const out: Endpoint[] = [];
  const ports = info.NetworkSettings?.Ports ?? {};
  for (const key of Object.keys(info.HostConfig.PortBindings ?? {}).sort(
    (a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10),
  )) {
    const bound = ports[key] ?? [];
    const b = bound.find((x) => x.HostIp === publishAddress) ?? bound.find((x) => !x.HostIp.includes(':')) ?? bound[0];
    const port = b ? Number(b.HostPort) : Number.NaN;
    if (!Number.isInteger(port) || port <= 0) continue;
    const ep: Endpoint = { host: publishAddress, port, containerPort: Number.parseInt(key, 10) };
    const name = names.get(key);
    if (name) ep.portName = name;
    out.push(ep);
  }
  return out;
}

/** One observed replica from `inspect` (`firstProbePassed` as in `replicaState`). */
export function toObservedReplica(
  info: Docker.ContainerInspectInfo,
  publishAddress: string,
  firstProbePassed = false,
): ObservedReplica {
  const { state, ready, message } = replicaState(info, firstProbePassed);
  const labels = info.Config.Labels ?? {};
  const stored = labels[DOCKER_LABELS.configHash];
  const r: ObservedReplica = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    state,
    ready,
    restarts: info.RestartCount ?? 0,
    endpoints: endpointsOf(info, publishAddress),
    drifted: stored === undefined || stored !== inspectConfigHash(info) || userLabelsDrifted(labels),
  };
  const ordinal = ordinalOf(labels);
  if (ordinal !== undefined) r.ordinal = ordinal;
  if (message) r.message = message;
  return r;
}

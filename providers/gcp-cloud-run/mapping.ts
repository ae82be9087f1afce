/**
 * Pure mapping from skyfleet's PodTemplate and slice table onto Cloud Run Admin API v2 shapes
 * (/work/shared/reference/gcp-cloud-run-v2/proto: revision_template.proto RevisionTemplate,
 * k8s.min.proto Container/Probe/EnvVar/ResourceRequirements, traffic_target.proto TrafficTarget,
 * vendor_settings.proto ServiceScaling/VpcAccess/IngressTraffic). No SDK here: plain objects with
 * enum names, which the SDK's request encoder accepts.
 */
import { ValidationError, type ValidationIssue } from '../../src/errors/index.js';
import type { SliceAutoscaling } from '../../src/provider/provider.js';
import type { Container, PodTemplate, Probe } from '../../src/spec/deployment.js';
import { MiB, parseCpu, parseMemory } from '../../src/spec/quantity.js';
import { GCP_LABELS, gcpLabel, revisionName } from './names.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

export interface RunProbe {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  httpGet?: { path: string; port?: number; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port?: number };
}

export interface RunEnvVar {
  name: string;
  value?: string;
  valueSource?: { secretKeyRef: { secret: string; version: string } };
}

export interface RunContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: RunEnvVar[];
  resources?: { limits: Record<string, string>; cpuIdle: boolean };
  ports?: Array<{ name: string; containerPort: number }>;
  startupProbe?: RunProbe;
  livenessProbe?: RunProbe;
}

export interface RunRevisionTemplate {
  revision: string;
  labels: Record<string, string>;
  containers: RunContainer[];
  serviceAccount?: string;
  vpcAccess?: { connector: string; egress: 'PRIVATE_RANGES_ONLY' | 'ALL_TRAFFIC' };
  maxInstanceRequestConcurrency?: number;
}

export interface RunTrafficTarget {
  type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
  revision: string;
  percent: number;
}

/** Per-instance bounds of Cloud Run services (docs: "Configure memory limits", "CPU limits"). */
export const LIMITS = {
  maxCpuMillis: 8000,
  maxMemoryMiB: 32 * 1024,
  minMemoryMiB: 128,
  maxContainers: 10,
  /** Whole CPUs allowed at or above 1. */
  wholeCpus: [1, 2, 4, 6, 8],
  /** Fractional CPU (below 1) must be at least 0.08. */
  minFractionalCpuMillis: 80,
  maxStartupProbeSeconds: 240,
} as const;

/** Minimum CPU (millicores) for an amount of memory (docs table "Required minimum CPUs"). */
export function minCpuForMemory(memMiB: number): number {
  if (memMiB > 24 * 1024) return 8000;
  if (memMiB > 16 * 1024) return 6000;
  if (memMiB > 8 * 1024) return 4000;
  if (memMiB > 4 * 1024) return 2000;
  if (memMiB > 1024) return 1000;
  if (memMiB > 512) return 583;
  if (memMiB > 256) return 333;
  if (memMiB > 128) return 167;
  return 83;
}

/** Minimum memory (MiB) for a CPU count: 4 CPU needs 2 GiB, 6 and 8 CPU need 4 GiB. */
export function minMemoryForCpu(cpuMillis: number): number {
  if (cpuMillis >= 6000) return 4096;
  if (cpuMillis >= 4000) return 2048;
  return 0;
}

/** `"1"`, `"2"`, or `"500m"`: the forms Cloud Run's `limits.cpu` takes. */
export function cpuLimit(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Memory in whole MiB (`"512Mi"`), rounded up so a limit is never lowered. */
export function memoryLimit(bytes: number): string {
  return `${Math.ceil(bytes / MiB)}Mi`;
}

interface MapContext {
  service: string;
  revision: string;
  fleet: string;
  deployment: string;
  settings: GcpCloudRunTargetSettings;
  /** Cloud Run scales the service: the deployment's concurrency target per instance, if any. */
  concurrency?: number;
}

/** Every reason this template cannot run on Cloud Run, found before any API call. */
export function templateIssues(template: PodTemplate): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (i: number, rest: string) => `spec.template.containers[${i}]${rest}`;
  if (template.containers.length > LIMITS.maxContainers) {
    issues.push({
      path: 'spec.template.containers',
      message: `Cloud Run runs at most ${LIMITS.maxContainers} containers per instance, got ${template.containers.length}`,
    });
  }
  const ports = template.containers.flatMap((c, i) => c.ports.map((p, j) => ({ p, i, j })));
  if (ports.length > 1) {
    issues.push({
      path: 'spec.template.containers[].ports',
      message: `Cloud Run exposes exactly one container port, got ${ports.length}`,
    });
  }
  if (template.containers.length > 1 && ports.length === 0) {
    issues.push({
      path: 'spec.template.containers[].ports',
      message: 'with several containers, Cloud Run needs exactly one of them to declare the ingress port',
    });
  }
  for (const { p, i, j } of ports) {
    if (p.protocol !== 'TCP')
      issues.push({
        path: at(i, `.ports[${j}].protocol`),
        message: `Cloud Run serves TCP (HTTP) only, got ${p.protocol}`,
      });
  }
  let cpuTotal = 0;
  let memTotal = 0;
  template.containers.forEach((c, i) => {
    const cpu = c.resources.cpu !== undefined ? parseCpu(c.resources.cpu) : undefined;
    const mem = c.resources.memory !== undefined ? parseMemory(c.resources.memory) : undefined;
    if (cpu !== undefined) {
      if (cpu < 1000 && cpu < LIMITS.minFractionalCpuMillis) {
        issues.push({
          path: at(i, '.resources.cpu'),
          message: `Cloud Run needs at least 0.08 cpu, got ${cpuLimit(cpu)}`,
        });
      } else if (cpu >= 1000 && !(LIMITS.wholeCpus as readonly number[]).includes(cpu / 1000)) {
        issues.push({
          path: at(i, '.resources.cpu'),
          message: `Cloud Run takes cpu below 1, or exactly 1, 2, 4, 6 or 8; got ${cpuLimit(cpu)}`,
        });
      }
    }
    if (mem !== undefined && mem < LIMITS.minMemoryMiB * MiB) {
      issues.push({
        path: at(i, '.resources.memory'),
        message: `Cloud Run needs at least ${LIMITS.minMemoryMiB}Mi memory, got ${memoryLimit(mem)}`,
      });
    }
    cpuTotal += cpu ?? (i === 0 ? 1000 : 0);
    memTotal += mem !== undefined ? Math.ceil(mem / MiB) : i === 0 ? 512 : 0;
    issues.push(...containerIssues(c, i));
  });
  if (cpuTotal > LIMITS.maxCpuMillis) {
    issues.push({
      path: 'spec.template.containers[].resources.cpu',
      message: `Cloud Run allows at most 8 cpu per instance, got ${cpuLimit(cpuTotal)}`,
    });
  }
  if (memTotal > LIMITS.maxMemoryMiB) {
    issues.push({
      path: 'spec.template.containers[].resources.memory',
      message: `Cloud Run allows at most 32Gi memory per instance, got ${memTotal}Mi`,
    });
  } else if (cpuTotal < minCpuForMemory(memTotal)) {
    issues.push({
      path: 'spec.template.containers[].resources',
      message: `Cloud Run needs at least ${cpuLimit(minCpuForMemory(memTotal))} cpu for ${memTotal}Mi memory, got ${cpuLimit(cpuTotal)}`,
    });
  }
  if (memTotal < minMemoryForCpu(cpuTotal)) {
    issues.push({
      path: 'spec.template.containers[].resources',
      message: `Cloud Run needs at least ${minMemoryForCpu(cpuTotal)}Mi memory for ${cpuLimit(cpuTotal)} cpu, got ${memTotal}Mi`,
    });
  }
  return issues;
}

function containerIssues(c: Container, i: number): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (rest: string) => `spec.template.containers[${i}]${rest}`;
  c.env.forEach((e, j) => {
    const key = e.valueFrom?.secretKeyRef.key;
    if (key !== undefined && !/^(latest|[1-9]\d*)$/.test(key)) {
      issues.push({
        path: at(`.env[${j}].valueFrom.secretKeyRef.key`),
        message: `on Cloud Run the key is the Secret Manager version ("latest" or a version number), got ${JSON.stringify(key)}`,
      });
    }
  });
  for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const p = c[kind];
    if (!p) continue;
    if (p.exec)
      issues.push({ path: at(`.${kind}.exec`), message: 'Cloud Run runs httpGet and tcpSocket probes only, not exec' });
    // "HTTP, TCP, and gRPC startup probes, along with HTTP and gRPC liveness probes"
    // (https://cloud.google.com/run/docs/configuring/healthchecks)
    if (kind === 'livenessProbe' && p.tcpSocket)
      issues.push({
        path: at(`.${kind}.tcpSocket`),
        message:
          'Cloud Run liveness probes are httpGet (or gRPC) only; use httpGet, or tcpSocket as a startup/readiness probe',
      });
    if (p.httpGet?.scheme === 'HTTPS')
      issues.push({ path: at(`.${kind}.httpGet.scheme`), message: 'Cloud Run probes over HTTP only' });
    if (p.successThreshold !== 1)
      issues.push({
        path: at(`.${kind}.successThreshold`),
        message: 'Cloud Run probes have no success threshold; use 1',
      });
    // Probe.timeout_seconds: "Must be smaller than period_seconds" (k8s.min.proto of Cloud Run v2)
    if (p.timeoutSeconds >= p.periodSeconds) {
      issues.push({
        path: at(`.${kind}.timeoutSeconds`),
        message: `on Cloud Run it must be smaller than periodSeconds (${p.periodSeconds}), got ${p.timeoutSeconds}; lower it or raise periodSeconds`,
      });
    }
    if (kind !== 'livenessProbe') {
      for (const f of ['initialDelaySeconds', 'periodSeconds'] as const) {
        if (p[f] > LIMITS.maxStartupProbeSeconds) {
          issues.push({
            path: at(`.${kind}.${f}`),
            message: `Cloud Run startup probes take at most ${LIMITS.maxStartupProbeSeconds}, got ${p[f]}`,
          });
        }
      }
    }
  }
  return issues;
}

function probePort(c: Container, ref: number | string): number | undefined {
  if (typeof ref === 'number') return ref;
  return c.ports.find((p) => p.name === ref)?.containerPort;
}

function mapProbe(c: Container, p: Probe): RunProbe {
  const out: RunProbe = {
    initialDelaySeconds: p.initialDelaySeconds,
    timeoutSeconds: p.timeoutSeconds,
    periodSeconds: p.periodSeconds,
    failureThreshold: p.failureThreshold,
  };
  if (p.httpGet) {
    const port = probePort(c, p.httpGet.port);
    out.httpGet = {
      path: p.httpGet.path,
      ...(port !== undefined ? { port } : {}),
      ...(p.httpGet.httpHeaders?.length ? { httpHeaders: p.httpGet.httpHeaders.map((h) => ({ ...h })) } : {}),
    };
  } else if (p.tcpSocket) {
    const port = probePort(c, p.tcpSocket.port);
    out.tcpSocket = port !== undefined ? { port } : {};
  }
  return out;
}

function mapContainer(c: Container): RunContainer {
  const out: RunContainer = { name: c.name, image: c.image };
  if (c.command?.length) out.command = [...c.command];
  if (c.args?.length) out.args = [...c.args];
  if (c.env.length) {
    // Secrets stay references to Secret Manager: the value never leaves Google, never reaches a log.
    out.env = c.env.map((e) =>
      e.valueFrom
        ? {
            name: e.name,
            valueSource: {
              secretKeyRef: { secret: e.valueFrom.secretKeyRef.name, version: e.valueFrom.secretKeyRef.key },
            },
          }
        : { name: e.name, value: e.value ?? '' },
    );
  }
  const limits: Record<string, string> = {};
  const cpu = c.resources.cpu !== undefined ? parseCpu(c.resources.cpu) : undefined;
  const mem = c.resources.memory !== undefined ? parseMemory(c.resources.memory) : undefined;
  if (cpu !== undefined) limits.cpu = cpuLimit(cpu);
  if (mem !== undefined) limits.memory = memoryLimit(mem);
  // cpuIdle true keeps Cloud Run's default (CPU only during requests) once resources are set.
  if (Object.keys(limits).length) out.resources = { limits, cpuIdle: true };
  const port = c.ports[0];
  if (port) out.ports = [{ name: port.name === 'h2c' ? 'h2c' : 'http1', containerPort: port.containerPort }];
  // Cloud Run has no readiness gate of its own: readiness maps onto the startup probe, which holds
  // traffic back until it passes. An explicit startupProbe wins over a readinessProbe.
  const startup = c.startupProbe ?? c.readinessProbe;
  if (startup) out.startupProbe = mapProbe(c, startup);
  if (c.livenessProbe) out.livenessProbe = mapProbe(c, c.livenessProbe);
  return out;
}

/** Identity labels of a skyfleet-managed service. */
export function serviceLabels(
  fleet: string,
  target: string,
  deployment: string,
  region: string,
  user: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(user)) {
    const l = gcpLabel(k, v);
    if (l) out[l[0]] = l[1];
  }
  return {
    ...out,
    [GCP_LABELS.managedBy]: 'skyfleet',
    [GCP_LABELS.fleet]: fleet,
    [GCP_LABELS.deployment]: deployment,
    [GCP_LABELS.target]: target,
    [GCP_LABELS.domain]: region,
  };
}

function connectorName(s: GcpCloudRunTargetSettings, c: string): string {
  return c.includes('/') ? c : `projects/${s.project}/locations/${s.region}/connectors/${c}`;
}

/** The RevisionTemplate of one skyfleet revision. Throws ValidationError for what Cloud Run cannot run. */
export function revisionTemplate(template: PodTemplate, ctx: MapContext): RunRevisionTemplate {
  const issues = templateIssues(template);
  if (issues.length) throw new ValidationError(issues, `target ${ctx.settings.name} (gcp-cloud-run)`);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(template.metadata?.labels ?? {})) {
    const l = gcpLabel(k, v);
    if (l) labels[l[0]] = l[1];
  }
  Object.assign(labels, {
    [GCP_LABELS.managedBy]: 'skyfleet',
    [GCP_LABELS.fleet]: ctx.fleet,
    [GCP_LABELS.deployment]: ctx.deployment,
    [GCP_LABELS.revision]: ctx.revision,
  });
  const s = ctx.settings;
  return {
    revision: revisionName(ctx.service, ctx.revision),
    labels,
    containers: template.containers.map(mapContainer),
    ...(s.serviceAccount ? { serviceAccount: s.serviceAccount } : {}),
    ...(s.vpcConnector
      ? {
          vpcAccess: {
            connector: connectorName(s, s.vpcConnector),
            egress: s.vpcEgress === 'all-traffic' ? ('ALL_TRAFFIC' as const) : ('PRIVATE_RANGES_ONLY' as const),
          },
        }
      : {}),
    ...(ctx.concurrency !== undefined ? { maxInstanceRequestConcurrency: maxConcurrencyFor(ctx.concurrency) } : {}),
  };
}

/**
 * Cloud Run's autoscaler keeps each instance at 60% of its maximum concurrent requests (docs:
 * "About instance autoscaling in Cloud Run services": "maintain instance concurrency at 60% of
 * the maximum concurrency over a one minute window"; revision_template.proto
 * `max_instance_request_concurrency`, at most 1000). So a skyfleet target of T in-flight requests
 * per replica is a maximum of ceil(T / 0.6): Cloud Run then aims at T.
 */
export function maxConcurrencyFor(target: number): number {
  return Math.min(1000, Math.max(1, Math.ceil(target / 0.6 - 1e-9)));
}

export const INGRESS = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  none: 'INGRESS_TRAFFIC_NONE',
} as const;

/**
 * Traffic follows replicas, as a Kubernetes Service spreads requests over pods: each slice gets a
 * share of 100 in proportion to its replicas (largest remainder, ties by revision name), every
 * slice with replicas at least 1%. All slices are listed, so a revision with 0 replicas stays
 * known (at 0%). With no replicas at all, the preferred revision (the template's) takes 100%.
 */
export function proportionalTraffic(
  replicas: Record<string, number>,
  service: string,
  preferred: string,
): RunTrafficTarget[] {
  const revs = Object.keys(replicas).sort();
  const total = revs.reduce((n, r) => n + (replicas[r] ?? 0), 0);
  const pct = new Map<string, number>();
  if (total === 0) {
    const lead = revs.includes(preferred) ? preferred : revs[0];
    for (const r of revs) pct.set(r, r === lead ? 100 : 0);
  } else {
    const raw = revs.map((r) => ({ r, exact: ((replicas[r] ?? 0) * 100) / total }));
    for (const { r, exact } of raw) pct.set(r, Math.floor(exact));
    let left = 100 - [...pct.values()].reduce((a, b) => a + b, 0);
    const order = [...raw].sort(
      (a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.r.localeCompare(b.r),
    );
    for (const { r } of order) {
      if (left <= 0) break;
      pct.set(r, (pct.get(r) ?? 0) + 1);
      left--;
    }
    // a slice with replicas always gets some traffic, taken from the largest share
    for (const r of revs) {
      if ((replicas[r] ?? 0) > 0 && pct.get(r) === 0) {
        const top = revs.reduce((a, b) => ((pct.get(b) ?? 0) > (pct.get(a) ?? 0) ? b : a));
        pct.set(top, (pct.get(top) ?? 0) - 1);
        pct.set(r, 1);
      }
    }
  }
  return revs.map((r) => ({
    type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
    revision: revisionName(service, r),
    percent: pct.get(r) ?? 0,
  }));
}

export function totalReplicas(replicas: Record<string, number>): number {
  return Object.values(replicas).reduce((a, b) => a + b, 0);
}

/** The slice table kept in the service's annotation, read leniently (a hand edit is not a crash). */
export function parseReplicas(text: string | undefined): Record<string, number> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[k] = n;
    return out;
  } catch {
    return {};
  }
}

/** The autoscaling annotation, read leniently: anything but a well-formed one is none. */
export function parseAutoscaling(text: string | undefined): SliceAutoscaling | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (!v || !int(v.minReplicas) || !int(v.maxReplicas) || !int(v.deploymentReplicas)) return undefined;
    if (v.concurrency !== undefined && !(typeof v.concurrency === 'number' && v.concurrency > 0)) return undefined;
    return formatAutoscaling(v as unknown as SliceAutoscaling) === text
      ? (v as unknown as SliceAutoscaling)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Stable text for the autoscaling annotation (fixed key order). */
export function formatAutoscaling(a: SliceAutoscaling): string {
  return JSON.stringify({
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    deploymentReplicas: a.deploymentReplicas,
    ...(a.concurrency !== undefined ? { concurrency: a.concurrency } : {}),
  });
}

/** Stable text for the annotation: keys sorted, so an unchanged table compares equal. */
export function formatReplicas(replicas: Record<string, number>): string {
  const out: Record<string, number> = {};
  for (const k of Object.keys(replicas).sort()) out[k] = replicas[k] ?? 0;
  return JSON.stringify(out);
}

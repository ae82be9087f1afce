import { createHash } from 'node:crypto';
import type {
  Container as AciContainer,
  ContainerGroup,
  ContainerProbe,
  EnvironmentVariable,
  ImageRegistryCredential,
} from '@azure/arm-containerinstance';
import { ValidationError, type ValidationIssue } from '../../src/errors/index.js';
import { MANAGED_BY } from '../../src/provider/labels.js';
import type { DesiredSlice } from '../../src/provider/provider.js';
import type { Container, Probe } from '../../src/spec/deployment.js';
import { parseCpu, parseMemory } from '../../src/spec/quantity.js';
import { canonicalJson } from '../../src/spec/revision.js';
import { groupName, TAGS, tagKey } from './names.js';
import type { AzureAciTargetSettings } from './settings.js';

/**
 * Pure mapping from a slice to the container groups that realise it (one per replica ordinal),
 * in the SDK's flattened model (`@azure/arm-containerinstance` 9.1.0, api-version 2023-05-01; the
 * SDK nests it under `properties` on the wire). No I/O here.
 */

/** Used when a container declares no request: the Azure CLI's defaults (1 vCPU, 1.5 GB). */
export const DEFAULT_CPU = 1;
export const DEFAULT_MEMORY_GB = 1.5;
const GiB = 1024 ** 3;

/** One failure domain of a target: the skyfleet zone name and the Azure zone it maps to. */
export interface AciDomain {
  /** `eastus-1`, or the location itself when it has no zones. */
  zone: string;
  /** Azure logical zone (`"1"`), absent for a location without zones. */
  azureZone?: string;
}

export function domainsOf(settings: Pick<AzureAciTargetSettings, 'location' | 'zones'>): AciDomain[] {
  if (settings.zones.length === 0) return [{ zone: settings.location }];
  return settings.zones.map((z) => ({ zone: `${settings.location}-${z}`, azureZone: z }));
}

/** What mapping needs besides the slice: the target's settings and resolved registry passwords. */
export interface MappingContext {
  settings: AzureAciTargetSettings;
  /** Registry passwords by server, resolved from `passwordFrom`. */
  registryPasswords?: Record<string, string>;
}

export interface DesiredGroup {
  name: string;
  ordinal: number;
  group: ContainerGroup;
  /** Hash of the group as sent, secret values excluded (they are never stored, not even hashed). */
  specHash: string;
}

/** cpu cores for ACI: millicores / 1000, rounded up to 0.01. */
export function cpuCores(c: Container): number {
  const m = c.resources.cpu === undefined ? undefined : parseCpu(c.resources.cpu);
  return m === undefined ? DEFAULT_CPU : Math.ceil(m / 10) / 100;
}

/** memoryInGB for ACI (binary GB, as `1Gi` -> 1): bytes rounded up to 0.1 GB. */
export function memoryGB(c: Container): number {
  const b = c.resources.memory === undefined ? undefined : parseMemory(c.resources.memory);
  return b === undefined ? DEFAULT_MEMORY_GB : Math.ceil((b / GiB) * 10 - 1e-9) / 10;
}

function portNumber(c: Container, ref: number | string): number | undefined {
  if (typeof ref === 'number') return ref;
  return c.ports.find((p) => p.name === ref)?.containerPort;
}

/**
 * ACI has liveness and readiness probes with httpGet or exec only (ContainerProbe). A startup
 * probe has no ACI equivalent: its budget (initialDelay + period x failureThreshold) is added to
 * the liveness probe's initial delay so a slow start is not killed.
 */
function mapProbe(c: Container, p: Probe | undefined, extraDelay = 0): ContainerProbe | undefined {
  if (!p) return undefined;
  const timing = {
    initialDelaySeconds: p.initialDelaySeconds + extraDelay,
    periodSeconds: p.periodSeconds,
    failureThreshold: p.failureThreshold,
    successThreshold: p.successThreshold,
    timeoutSeconds: p.timeoutSeconds,
  };
  if (p.httpGet) {
    return {
      httpGet: {
        path: p.httpGet.path,
        port: portNumber(c, p.httpGet.port) ?? 0,
        scheme: p.httpGet.scheme === 'HTTPS' ? 'https' : 'http',
        ...(p.httpGet.httpHeaders?.length
          ? { httpHeaders: p.httpGet.httpHeaders.map((h) => ({ name: h.name, value: h.value })) }
          : {}),
      },
      ...timing,
    };
  }
  if (p.exec) return { exec: { command: [...p.exec.command] }, ...timing };
  return undefined; // tcpSocket: rejected or omitted by validateSlice
}

/** Checks everything ACI would refuse, before any call: limits, probes, ports, secrets, command. */
export function validateSlice(slice: DesiredSlice, settings: AzureAciTargetSettings): void {
  const issues: ValidationIssue[] = [];
  const cs = slice.template.containers;
  const base = 'spec.template.containers';
  let cpu = 0;
  let mem = 0;
  const hostPorts = new Map<string, string>();
  cs.forEach((c, i) => {
    const cc = cpuCores(c);
    const mg = memoryGB(c);
    cpu += cc;
    mem += mg;
    if (c.args?.length && !c.command?.length) {
      issues.push({
        path: `${base}[${i}].args`,
        message: 'ACI can only replace the whole command line (entrypoint included): give command together with args',
      });
    }
    for (const p of c.ports) {
      const k = `${p.containerPort}/${p.protocol}`;
      const other = hostPorts.get(k);
      if (other !== undefined) {
        issues.push({
          path: `${base}[${i}].ports`,
          message: `port ${k} is already exposed by container "${other}"; a container group has one IP and each port once`,
        });
      }
      hostPorts.set(k, c.name);
    }
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const p = c[kind];
      if (p?.tcpSocket && settings.tcpSocketProbes === 'reject') {
        issues.push({
          path: `${base}[${i}].${kind}.tcpSocket`,
          message:
            'ACI runs only httpGet and exec probes; use one of those (or set tcpSocketProbes: omit on the target)',
        });
      }
      if (p?.httpGet && portNumber(c, p.httpGet.port) === undefined) {
        issues.push({
          path: `${base}[${i}].${kind}.httpGet.port`,
          message: `port "${p.httpGet.port}" is not declared`,
        });
      }
    }
    c.env.forEach((e, j) => {
      if (e.valueFrom && slice.secrets?.[e.name] === undefined) {
        issues.push({
          path: `${base}[${i}].env[${j}]`,
          message: `no resolved value for secret env ${e.name} (secretKeyRef ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key})`,
        });
      }
    });
  });
  if (cpu > settings.maxCpu + 1e-9 || mem > settings.maxMemoryGB + 1e-9) {
    issues.push({
      path: `${base}[].resources`,
      message: `a container group in ${settings.location} may request at most ${settings.maxCpu} cpu and ${settings.maxMemoryGB} GB; this template requests ${round(cpu, 2)} cpu and ${round(mem, 1)} GB in total`,
    });
  }
  if (cs.length > 60) issues.push({ path: base, message: 'ACI allows at most 60 containers per container group' });
  if (issues.length) throw new ValidationError(issues, `target ${settings.name}`);
}

function round(n: number, d: number): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

function mapEnv(c: Container, secrets: Record<string, string> | undefined): EnvironmentVariable[] {
  return c.env.map((e) =>
    e.valueFrom ? { name: e.name, secureValue: secrets?.[e.name] ?? '' } : { name: e.name, value: e.value ?? '' },
  );
}

function mapContainer(c: Container, slice: DesiredSlice): AciContainer {
  const startup = c.startupProbe;
  const startupBudget = startup ? startup.initialDelaySeconds + startup.periodSeconds * startup.failureThreshold : 0;
  const keep = (p: Probe | undefined) => (p?.tcpSocket ? undefined : p);
  const liveness = mapProbe(c, keep(c.livenessProbe), startupBudget);
  const readiness = mapProbe(c, keep(c.readinessProbe));
  return {
    name: c.name,
    image: c.image,
    command: [...(c.command ?? []), ...(c.command?.length ? (c.args ?? []) : [])],
    ports: c.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol })),
    environmentVariables: mapEnv(c, slice.secrets),
    resources: { requests: { cpu: cpuCores(c), memoryInGB: memoryGB(c) } },
    ...(liveness ? { livenessProbe: liveness } : {}),
    ...(readiness ? { readinessProbe: readiness } : {}),
  };
}

/** Identity tags plus the deployment's labels (tag names cannot hold `/`, see names.ts). */
export function tagsFor(slice: DesiredSlice, target: string, ordinal: number): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice.labels ?? {})) tags[tagKey(k)] = v;
  Object.assign(tags, {
    [TAGS.managedBy]: MANAGED_BY,
    [TAGS.fleet]: slice.key.fleet,
    [TAGS.deployment]: slice.key.deployment,
    [TAGS.revision]: slice.key.revision,
    [TAGS.target]: target,
    [TAGS.domain]: slice.key.zone,
    [TAGS.ordinal]: String(ordinal),
  });
  const named = slice.template.containers.flatMap((c) =>
    c.ports.filter((p) => p.name).map((p) => `${p.name}=${p.containerPort}`),
  );
  if (named.length) tags[TAGS.ports] = named.join(',');
  return tags;
}

/** The group body with secret values replaced by their names: what the spec hash covers. */
export function withoutSecrets(group: ContainerGroup): ContainerGroup {
  return {
    ...group,
    containers: group.containers.map((c) => ({
      ...c,
      environmentVariables: c.environmentVariables?.map((e) =>
        e.secureValue !== undefined ? { name: e.name, secureValue: '<secret>' } : e,
      ),
    })),
    imageRegistryCredentials: group.imageRegistryCredentials?.map((r) => ({
      server: r.server,
      username: r.username,
      password: '<secret>',
    })),
  };
}

export function specHash(group: ContainerGroup): string {
  const { tags, ...rest } = withoutSecrets(group);
  const t = { ...(tags ?? {}) };
  delete t[TAGS.spec];
  return createHash('sha256')
    .update(canonicalJson({ ...rest, tags: t }))
    .digest('hex')
    .slice(0, 16);
}

/** validateSlice, and the slice's zone is one of the target's: its domain. Throws ValidationError. */
export function checkSlice(
  slice: DesiredSlice,
  settings: AzureAciTargetSettings,
): ReturnType<typeof domainsOf>[number] {
  validateSlice(slice, settings);
  const domain = domainsOf(settings).find((d) => d.zone === slice.key.zone);
  if (!domain) {
    throw new ValidationError([
      {
        path: 'zone',
        message: `target ${settings.name} has no zone "${slice.key.zone}" (zones: ${domainsOf(settings)
          .map((d) => d.zone)
          .join(', ')})`,
      },
    ]);
  }
  return domain;
}

/** The container groups for a slice, ordinals 0..replicas-1. Throws ValidationError first. */
export function desiredGroups(slice: DesiredSlice, ctx: MappingContext): DesiredGroup[] {
  const { settings } = ctx;
  const domain = checkSlice(slice, settings);
  const containers = slice.template.containers.map((c) => mapContainer(c, slice));
  const ports = slice.template.containers.flatMap((c) =>
    c.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol })),
  );
  const credentials: ImageRegistryCredential[] = settings.registryCredentials.map((r) => ({
    server: r.server,
    username: r.username,
    password: ctx.registryPasswords?.[r.server] ?? '',
  }));
  const out: DesiredGroup[] = [];
  for (let ordinal = 0; ordinal < slice.replicas; ordinal++) {
    const name = groupName({ ...slice.key, zone: domain.azureZone ? `z${domain.azureZone}` : '', ordinal });
    const ipAddress: ContainerGroup['ipAddress'] =
      ports.length || settings.ipAddressType === 'Private'
        ? {
            type: settings.ipAddressType,
            ports,
            ...(settings.dnsNameLabel && settings.ipAddressType === 'Public'
              ? { dnsNameLabel: name, autoGeneratedDomainNameLabelScope: settings.dnsNameLabel.scope }
              : {}),
          }
        : undefined;
    const group: ContainerGroup = {
      location: settings.location,
      tags: tagsFor(slice, settings.name, ordinal),
      ...(domain.azureZone ? { zones: [domain.azureZone] } : {}),
      osType: 'Linux',
      restartPolicy: 'Always',
      containers,
      ...(ipAddress ? { ipAddress } : {}),
      ...(settings.subnetIds?.length ? { subnetIds: settings.subnetIds.map((id) => ({ id })) } : {}),
      ...(credentials.length ? { imageRegistryCredentials: credentials } : {}),
    };
    const hash = specHash(group);
    group.tags = { ...group.tags, [TAGS.spec]: hash };
    out.push({ name, ordinal, group, specHash: hash });
  }
  return out;
}

/** Secret values a group body carries (for call-log redaction). */
export function secretValuesOf(group: ContainerGroup): string[] {
  const out: string[] = [];
  for (const c of group.containers)
    for (const e of c.environmentVariables ?? []) if (e.secureValue) out.push(e.secureValue);
  for (const r of group.imageRegistryCredentials ?? []) if (r.password) out.push(r.password);
  return out;
}

/**
 * A comparable view of a group: the fields skyfleet sets, with server defaults filled and secret
 * values dropped, so a desired group and one read back from ARM compare equal when nothing drifted.
 */
export function projection(g: ContainerGroup): unknown {
  const probe = (p: ContainerProbe | undefined) =>
    p && {
      exec: p.exec?.command ? { command: p.exec.command } : undefined,
      httpGet: p.httpGet && {
        path: p.httpGet.path ?? '/',
        port: p.httpGet.port,
        scheme: (p.httpGet.scheme ?? 'http').toLowerCase(),
        httpHeaders: p.httpGet.httpHeaders?.length ? p.httpGet.httpHeaders : undefined,
      },
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      failureThreshold: p.failureThreshold,
      successThreshold: p.successThreshold,
      timeoutSeconds: p.timeoutSeconds,
    };
  return {
    location: normLocation(g.location),
    zones: g.zones?.length ? g.zones : undefined,
    osType: g.osType,
    restartPolicy: g.restartPolicy ?? 'Always',
    containers: g.containers.map((c) => ({
      name: c.name,
      image: c.image,
      command: c.command?.length ? c.command : undefined,
      ports: (c.ports ?? []).map((p) => ({ port: p.port, protocol: (p.protocol ?? 'TCP').toUpperCase() })),
      env: (c.environmentVariables ?? []).map((e) =>
        e.value !== undefined ? { name: e.name, value: e.value } : { name: e.name, secure: true },
      ),
      requests: { cpu: c.resources.requests.cpu, memoryInGB: c.resources.requests.memoryInGB },
      livenessProbe: probe(c.livenessProbe),
      readinessProbe: probe(c.readinessProbe),
    })),
    ipAddress: g.ipAddress && {
      type: g.ipAddress.type,
      ports: g.ipAddress.ports.map((p) => ({ port: p.port, protocol: (p.protocol ?? 'TCP').toUpperCase() })),
      dnsNameLabel: g.ipAddress.dnsNameLabel || undefined,
    },
    subnetIds: g.subnetIds?.length ? g.subnetIds.map((s) => s.id.toLowerCase()) : undefined,
    registries: g.imageRegistryCredentials?.length
      ? g.imageRegistryCredentials.map((r) => ({ server: r.server, username: r.username }))
      : undefined,
  };
}

/** ARM answers `WestUs` or `West US` for `westus`. */
export function normLocation(l: string | undefined): string | undefined {
  return l?.toLowerCase().replace(/\s+/g, '');
}

/** True when `actual` (read from ARM) differs from `desired` in anything skyfleet sets. */
export function differs(desired: DesiredGroup, actual: ContainerGroup): boolean {
  if (actual.tags?.[TAGS.spec] !== desired.specHash) return true;
  return canonicalJson(projection(desired.group)) !== canonicalJson(projection(actual));
}

/**
 * Why an update cannot be done in place, or undefined when it can. ACI refuses an update of the
 * OS type, restart policy, network profile (IP type, subnets), CPU, memory or GPU resources with
 * InvalidContainerGroupUpdate ("...you must delete it first and then create a new one"; the
 * container-instances-update doc, "Properties that require container delete"). Zones and location
 * cannot change on an existing resource; ports and the set of containers are replaced as well,
 * because the group's IP is reallocated for them (conservative: a replacement is always safe).
 */
export function replacementReason(desired: ContainerGroup, actual: ContainerGroup): string | undefined {
  if (normLocation(desired.location) !== normLocation(actual.location))
    return `location ${actual.location} -> ${desired.location}`;
  if (canonicalJson(desired.zones ?? []) !== canonicalJson(actual.zones ?? []))
    return `zones ${JSON.stringify(actual.zones ?? [])} -> ${JSON.stringify(desired.zones ?? [])}`;
  if (desired.osType !== actual.osType) return `osType ${actual.osType} -> ${desired.osType}`;
  if ((desired.restartPolicy ?? 'Always') !== (actual.restartPolicy ?? 'Always'))
    return `restartPolicy ${actual.restartPolicy} -> ${desired.restartPolicy}`;
  if ((desired.ipAddress?.type ?? 'none') !== (actual.ipAddress?.type ?? 'none'))
    return `IP address type ${actual.ipAddress?.type ?? 'none'} -> ${desired.ipAddress?.type ?? 'none'}`;
  const subnets = (g: ContainerGroup) => canonicalJson((g.subnetIds ?? []).map((s) => s.id.toLowerCase()).sort());
  if (subnets(desired) !== subnets(actual)) return 'subnets (network profile) changed';
  const ports = (g: ContainerGroup) =>
    canonicalJson((g.ipAddress?.ports ?? []).map((p) => `${p.port}/${(p.protocol ?? 'TCP').toUpperCase()}`).sort());
  if (ports(desired) !== ports(actual)) return `ports ${ports(actual)} -> ${ports(desired)}`;
  const names = (g: ContainerGroup) => canonicalJson(g.containers.map((c) => c.name).sort());
  if (names(desired) !== names(actual)) return `containers ${names(actual)} -> ${names(desired)}`;
  for (const d of desired.containers) {
    const a = actual.containers.find((c) => c.name === d.name)!;
    const dr = d.resources.requests;
    const ar = a.resources.requests;
    if (
      dr.cpu !== ar.cpu ||
      dr.memoryInGB !== ar.memoryInGB ||
      canonicalJson(dr.gpu ?? null) !== canonicalJson(ar.gpu ?? null)
    ) {
      return `resources of container ${d.name}: ${ar.cpu} cpu/${ar.memoryInGB} GB -> ${dr.cpu} cpu/${dr.memoryInGB} GB`;
    }
  }
  return undefined;
}

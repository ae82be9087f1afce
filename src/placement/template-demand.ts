import type { PodTemplate } from '../spec/deployment.js';
import { MiB, parseCpu, parseMemory } from '../spec/quantity.js';

export type ProbeKind = 'httpGet' | 'tcpSocket' | 'exec';

/** What one replica of a template asks of a domain: summed over its containers. */
export interface TemplateDemand {
  cpuMillis: number;
  memoryMiB: number;
  ports: number;
  containers: number;
  probes: ReadonlySet<ProbeKind>;
  livenessProbes: ReadonlySet<ProbeKind>;
  /** Some probe's timeoutSeconds equals its periodSeconds (allowed unless the target needs it below). */
  probeTimeoutAtPeriod: boolean;
  /** The first TCP container port, over the containers in order. */
  firstTcpPort?: number;
  /** The container port the service sends to, by number or resolved from its name. */
  servicePort?: number | string;
}

export function templateDemand(template: PodTemplate, servicePort?: number | string): TemplateDemand {
  let cpuMillis = 0;
  let memoryBytes = 0;
  let ports = 0;
  const probes = new Set<ProbeKind>();
  const livenessProbes = new Set<ProbeKind>();
  let probeTimeoutAtPeriod = false;
  for (const c of template.containers) {
    if (c.resources?.cpu !== undefined) cpuMillis += parseCpu(c.resources.cpu) ?? 0;
    if (c.resources?.memory !== undefined) memoryBytes += parseMemory(c.resources.memory) ?? 0;
    ports += c.ports?.length ?? 0;
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      if (!p) continue;
      if (p.httpGet) probes.add('httpGet');
      if (p.tcpSocket) probes.add('tcpSocket');
      if (p.exec) probes.add('exec');
      if (p.timeoutSeconds >= p.periodSeconds) probeTimeoutAtPeriod = true;
    }
    const l = c.livenessProbe;
    if (l?.httpGet) livenessProbes.add('httpGet');
    if (l?.tcpSocket) livenessProbes.add('tcpSocket');
    if (l?.exec) livenessProbes.add('exec');
  }
  const all = template.containers.flatMap((c) => c.ports ?? []);
  const firstTcpPort = all.find((p) => (p.protocol ?? 'TCP') === 'TCP')?.containerPort;
  const resolved =
    typeof servicePort === 'string'
      ? (all.find((p) => p.name === servicePort)?.containerPort ?? servicePort)
      : servicePort;
  return {
    cpuMillis,
    memoryMiB: memoryBytes / MiB,
    ports,
    containers: template.containers.length,
    probes,
    livenessProbes,
    probeTimeoutAtPeriod,
    ...(firstTcpPort !== undefined ? { firstTcpPort } : {}),
    ...(resolved !== undefined ? { servicePort: resolved } : {}),
  };
}

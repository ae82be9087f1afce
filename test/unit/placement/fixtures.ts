import type { Capabilities } from '../../../src/provider/provider.js';
import type { Domain, PlacementRequest } from '../../../src/placement/index.js';
import type { PlacementPolicy, PodTemplate } from '../../../src/spec/deployment.js';

export const caps: Capabilities = {
  maxCpuMillis: 4000,
  maxMemoryMiB: 8192,
  maxPorts: 4,
  maxContainers: 4,
  probes: ['httpGet', 'tcpSocket', 'exec'],
  nativeTrafficSplit: false,
  scaleToZero: false,
  nativeAutoscaling: false,
  publicEndpoints: true,
  gpu: false,
};

export const template: PodTemplate = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      env: [],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { cpu: '250m', memory: '128Mi' },
    },
  ],
};

export function domain(target: string, zone: string, extra: Partial<Domain> = {}): Domain {
  return {
    target,
    zone,
    provider: target.split('-')[0]!,
    region: `${target}-r`,
    healthy: true,
    capabilities: caps,
    ...extra,
  };
}

export function policy(p: Partial<PlacementPolicy> = {}): PlacementPolicy {
  return { spread: [], optimize: 'spread', returnAfterSeconds: 60, ...p };
}

export function request(
  domains: Domain[],
  replicas: number,
  p: Partial<PlacementPolicy> = {},
  extra: Partial<PlacementRequest> = {},
): PlacementRequest {
  return { replicas, policy: policy(p), template, domains, ...extra };
}

/** `{ 'aws/a': 2, ... }` of the non-zero assignments. */
export function byKey(result: {
  assignments: { target: string; zone: string; replicas: number }[];
}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of result.assignments) if (a.replicas) out[`${a.target}/${a.zone}`] = a.replicas;
  return out;
}

export function perTarget(result: { assignments: { target: string; replicas: number }[] }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of result.assignments) out[a.target] = (out[a.target] ?? 0) + a.replicas;
  return out;
}

export function currentOf(result: {
  assignments: { target: string; zone: string; replicas: number }[];
}): Map<string, number> {
  return new Map(result.assignments.filter((a) => a.replicas > 0).map((a) => [`${a.target}/${a.zone}`, a.replicas]));
}

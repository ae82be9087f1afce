import type { HealthCheckOptions } from './types.js';

/** The readiness probe fields the router understands (the shape of the spec's `probe`). */
export interface ProbeLike {
  httpGet?: { path?: string; httpHeaders?: Array<{ name: string; value: string }> } | undefined;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/**
 * Active health-check settings from a container's readiness probe (Kubernetes semantics: every
 * `periodSeconds`, fail after `timeoutSeconds`, `successThreshold` passes make it ready,
 * `failureThreshold` failures take it out). Only `httpGet` probes can be checked from the router;
 * for others this returns undefined (endpoints are then ready as soon as they are set, and
 * passive ejection still applies). The probe's port is the container port: the endpoint's
 * `healthPort` (or `port`) is what gets probed.
 */
export function healthCheckFromProbe(probe: ProbeLike | undefined): HealthCheckOptions | undefined {
  if (!probe?.httpGet) return undefined;
  const headers: Record<string, string> = {};
  for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
  return {
    path: probe.httpGet.path ?? '/',
    headers,
    intervalMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    healthyThreshold: probe.successThreshold ?? 1,
    unhealthyThreshold: probe.failureThreshold ?? 3,
  };
}

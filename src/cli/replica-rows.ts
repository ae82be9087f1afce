import type { ObservedSlice } from '../provider/provider.js';

/**
 * The rows of `describe`'s Replicas table (NAME, TARGET/ZONE, REVISION, STATE, ENDPOINTS, MESSAGE):
 * one per replica the platform reported, and one per slice whose platform counts replicas but does
 * not list them (Cloud Run: `observedAs: 'aggregate'`), never made-up replicas shown as observed.
 */
export function replicaRows(slices: readonly ObservedSlice[]): string[][] {
  return slices.flatMap((s) =>
    s.observedAs === 'aggregate'
      ? [aggregateRow(s)]
      : s.replicaStatus.map((r) => [
          r.name,
          `${s.target}/${s.key.zone}`,
          s.key.revision,
          r.state,
          r.endpoints.map((e) => `${e.host}:${e.port}`).join(',') || '-',
          (r.message ?? '').slice(0, 60),
        ]),
  );
}

function aggregateRow(s: ObservedSlice): string[] {
  const states = [...new Set(s.replicaStatus.map((r) => r.state))];
  const endpoints = [...new Set(s.replicaStatus.flatMap((r) => r.endpoints.map((e) => `${e.host}:${e.port}`)))];
  const message = s.replicaStatus.find((r) => r.message)?.message ?? s.detail ?? '';
  return [
    `(${s.ready}/${s.replicas} ready, counted by the platform)`,
    `${s.target}/${s.key.zone}`,
    s.key.revision,
    states.join(',') || '-',
    endpoints.join(',') || '-',
    message.slice(0, 80),
  ];
}

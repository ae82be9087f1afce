import { PlacementError } from '../errors/index.js';
import { type Domain, type DomainAssignment, type DomainExplanation, domainKey, type PlacementRequest, type PlacementResult } from './types.js';

/**
 * Placement v1: weights and min/max per target, then an even spread over each target's zones.
 * Pure and deterministic. (The full filter/score/spread engine replaces this.)
 */
export function place(req: PlacementRequest): PlacementResult {
  const allowed = req.policy.targets;
  const explain: DomainExplanation[] = [];
  const eligible: Domain[] = [];
  const sorted = [...req.domains].sort((a, b) => domainKey(a).localeCompare(domainKey(b)));
  for (const d of sorted) {
    let filteredBy: string | undefined;
    if (allowed && !allowed.some((t) => t.name === d.target)) filteredBy = 'target not in spec.placement.targets';
    else if (!d.healthy) filteredBy = `unhealthy${d.unhealthyReason ? `: ${d.unhealthyReason}` : ''}`;
    explain.push({ target: d.target, zone: d.zone, considered: !filteredBy, ...(filteredBy ? { filteredBy } : {}), replicas: 0 });
    if (!filteredBy) eligible.push(d);
  }
  const targets = [...new Set(eligible.map((d) => d.target))];
  if (targets.length === 0 && req.replicas > 0) {
    throw new PlacementError('unschedulable', 'domains', 'no eligible domain: every target is filtered out or unhealthy');
  }
  const refs = new Map((allowed ?? []).map((t) => [t.name, t]));
  const weight = (t: string) => refs.get(t)?.weight ?? 1;
  const perTarget = new Map<string, number>(targets.map((t) => [t, refs.get(t)?.min ?? 0]));
  let left = req.replicas - [...perTarget.values()].reduce((a, b) => a + b, 0);
  if (left < 0) throw new PlacementError('unresolvable', 'targets[].min', `the targets' min add up to more than ${req.replicas} replicas`);
  const totalWeight = targets.reduce((a, t) => a + weight(t), 0);
  const cap = (t: string) => refs.get(t)?.max ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const room = targets.filter((t) => perTarget.get(t)! < cap(t) && weight(t) > 0);
    if (!room.length) throw new PlacementError('unresolvable', 'targets[].max', `the targets' max allow fewer than ${req.replicas} replicas`);
    // the target furthest below its weighted share gets the next replica
    room.sort((a, b) => perTarget.get(a)! / weight(a) - perTarget.get(b)! / weight(b) || a.localeCompare(b));
    const t = room[0]!;
    perTarget.set(t, perTarget.get(t)! + 1);
    left--;
  }
  void totalWeight;
  const assignments: DomainAssignment[] = [];
  for (const t of targets) {
    const zones = eligible.filter((d) => d.target === t);
    const n = perTarget.get(t)!;
    zones.forEach((d, i) => {
      const replicas = Math.floor(n / zones.length) + (i < n % zones.length ? 1 : 0);
      assignments.push({ target: d.target, provider: d.provider, region: d.region, zone: d.zone, replicas });
      const e = explain.find((x) => x.target === d.target && x.zone === d.zone)!;
      e.replicas = replicas;
    });
  }
  return { assignments, explain };
}

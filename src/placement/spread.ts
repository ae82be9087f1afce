import type { SpreadConstraint } from '../spec/deployment.js';
import type { Domain } from './types.js';

/** The group a domain belongs to under a topology key. Regions and zones are scoped by their parents, so equal names on different clouds stay apart. */
export function groupOf(d: Domain, key: SpreadConstraint['topologyKey']): string {
  switch (key) {
    case 'provider':
      return d.provider;
    case 'region':
      return `${d.provider}/${d.region}`;
    case 'target':
      return d.target;
    case 'zone':
      return `${d.provider}/${d.region}/${d.zone}`;
  }
}

/** Replicas per group of a topology key, over the given (eligible) domains; every domain's group appears, with 0 when empty. */
export function groupCounts(
  domains: readonly Domain[],
  counts: ArrayLike<number>,
  key: SpreadConstraint['topologyKey'],
): Map<string, number> {
  const out = new Map<string, number>();
  domains.forEach((d, i) => {
    const g = groupOf(d, key);
    out.set(g, (out.get(g) ?? 0) + (counts[i] ?? 0));
  });
  return out;
}

/**
 * Kubernetes' global minimum: the smallest count over eligible groups, or 0 while fewer than
 * minDomains groups are eligible (kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints,
 * "minDomains").
 */
export function globalMinimum(groups: ReadonlyMap<string, number>, minDomains?: number): number {
  if (minDomains !== undefined && groups.size < minDomains) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const n of groups.values()) if (n < min) min = n;
  return min === Number.POSITIVE_INFINITY ? 0 : min;
}

/** Skew of an assignment under a constraint: the largest count minus the global minimum. */
export function skewOf(groups: ReadonlyMap<string, number>, minDomains?: number): number {
  let max = 0;
  for (const n of groups.values()) if (n > max) max = n;
  return max - globalMinimum(groups, minDomains);
}

/**
 * Kubernetes' per-pod rule: an incoming replica may go to `group` when
 * `count(group) + 1 - globalMinimum <= maxSkew` (the minimum taken before placing it).
 */
export function skewAdmits(
  groups: ReadonlyMap<string, number>,
  group: string,
  c: Pick<SpreadConstraint, 'maxSkew' | 'minDomains'>,
): boolean {
  const min = globalMinimum(groups, c.minDomains);
  return (groups.get(group) ?? 0) + 1 - min <= c.maxSkew;
}

/** The groups that admit the next replica under every constraint (Kubernetes' filter for one pod). */
export function admissibleGroups(
  domains: readonly Domain[],
  counts: ArrayLike<number>,
  constraints: readonly Pick<SpreadConstraint, 'topologyKey' | 'maxSkew' | 'minDomains'>[],
): string[] {
  const perKey = constraints.map((c) => groupCounts(domains, counts, c.topologyKey));
  const out: string[] = [];
  domains.forEach((d) => {
    if (constraints.every((c, i) => skewAdmits(perKey[i]!, groupOf(d, c.topologyKey), c)))
      out.push(`${d.target}/${d.zone}`);
  });
  return out;
}

import type { PlacementPolicy } from '../spec/deployment.js';
import { groupCounts, groupOf, skewOf } from './spread.js';
import type { Domain } from './types.js';

export interface VerifyOptions {
  /** Target mins actually in force (after the mins-exceed-replicas rule). */
  mins?: ReadonlyMap<string, number>;
}

/**
 * Every hard rule an assignment over eligible domains must keep: the total, domain capacity,
 * target min and max, and every DoNotSchedule spread constraint. Returns the broken rules (empty
 * when all hold). Used by the engine as a guard and by the tests as the oracle.
 */
export function violations(
  domains: readonly Domain[],
  counts: ArrayLike<number>,
  replicas: number,
  policy: PlacementPolicy,
  options: VerifyOptions = {},
): string[] {
  const out: string[] = [];
  let total = 0;
  domains.forEach((d, i) => {
    const n = counts[i] ?? 0;
    total += n;
    if (n < 0 || !Number.isInteger(n)) out.push(`${d.target}/${d.zone}: ${n} is not a replica count`);
    if (d.maxReplicas !== undefined && n > d.maxReplicas)
      out.push(`${d.target}/${d.zone}: ${n} > maxReplicas ${d.maxReplicas}`);
  });
  if (total !== replicas) out.push(`assigned ${total} of ${replicas} replicas`);
  const perTarget = groupCounts(domains, counts, 'target');
  for (const t of policy.targets ?? []) {
    const n = perTarget.get(t.name);
    if (n === undefined) continue;
    const min = options.mins ? (options.mins.get(t.name) ?? 0) : (t.min ?? 0);
    if (n < min) out.push(`targets[${t.name}]: ${n} < min ${min}`);
    if (t.max !== undefined && n > t.max) out.push(`targets[${t.name}]: ${n} > max ${t.max}`);
  }
  policy.spread.forEach((c, i) => {
    if (c.whenUnsatisfiable === 'ScheduleAnyway') return;
    const groups = groupCounts(domains, counts, c.topologyKey);
    const skew = skewOf(groups, c.minDomains);
    if (skew > c.maxSkew) out.push(`spread[${i}] (${c.topologyKey}, maxSkew ${c.maxSkew}): skew ${skew}`);
  });
  return out;
}

export { groupOf };

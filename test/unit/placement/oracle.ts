import { effectiveMins } from '../../../src/placement/effective-mins.js';
import { type Domain, type PlacementRequest, violations } from '../../../src/placement/index.js';

/** The domains the filters let through (test fleets: capabilities always fit). */
export function eligibleOf(req: PlacementRequest): Domain[] {
  const refs = req.policy.targets;
  return req.domains.filter((d) => {
    if (!d.healthy || d.maxReplicas === 0) return false;
    if (!refs) return true;
    const r = refs.find((t) => t.name === d.target);
    return !!r && r.max !== 0 && !(r.weight === 0 && !r.min);
  });
}

/** Brute force: does any assignment of the replicas over the eligible domains keep every hard rule? */
export function someAssignmentHolds(req: PlacementRequest): boolean {
  const ds = eligibleOf(req);
  const { mins } = effectiveMins(req.replicas, req.policy.targets ?? []);
  for (const [t, m] of mins) if (m > 0 && !ds.some((d) => d.target === t)) return false;
  const counts = new Array<number>(ds.length).fill(0);
  const rec = (i: number, left: number): boolean => {
    if (i === ds.length - 1) {
      counts[i] = left;
      return violations(ds, counts, req.replicas, req.policy, { mins }).length === 0;
    }
    for (let k = 0; k <= left; k++) {
      counts[i] = k;
      if (rec(i + 1, left - k)) return true;
    }
    return false;
  };
  return ds.length === 0 ? req.replicas === 0 : rec(0, req.replicas);
}

/**
 * Brute force: the smallest L1 distance (replicas moved, domain by domain) from `ref` of any
 * assignment over the eligible domains that keeps every hard rule; undefined when none does.
 */
export function closestDistance(req: PlacementRequest, ref: ReadonlyMap<string, number>): number | undefined {
  const ds = eligibleOf(req);
  const { mins } = effectiveMins(req.replicas, req.policy.targets ?? []);
  const want = ds.map((d) => ref.get(`${d.target}/${d.zone}`) ?? 0);
  const counts = new Array<number>(ds.length).fill(0);
  let best: number | undefined;
  const rec = (i: number, left: number, dist: number) => {
    if (best !== undefined && dist >= best) return;
    if (i === ds.length - 1) {
      counts[i] = left;
      const d = dist + Math.abs(left - want[i]!);
      if ((best === undefined || d < best) && violations(ds, counts, req.replicas, req.policy, { mins }).length === 0)
        best = d;
      return;
    }
    for (let k = 0; k <= left; k++) {
      counts[i] = k;
      rec(i + 1, left - k, dist + Math.abs(k - want[i]!));
    }
  };
  if (ds.length === 0) return req.replicas === 0 ? 0 : undefined;
  rec(0, req.replicas, 0);
  return best;
}

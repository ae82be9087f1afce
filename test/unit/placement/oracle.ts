import { sumUp } from '../../../src/placement/allocate.js';
import { evaluate, newWorkspace } from '../../../src/placement/bounds.js';
import { distance, newClosestWorkspace } from '../../../src/placement/closest.js';
import { effectiveMins } from '../../../src/placement/effective-mins.js';
import { type Domain, type PlacementRequest, violations } from '../../../src/placement/index.js';
import { hardBands } from '../../../src/placement/solve.js';
import { buildTopology } from '../../../src/placement/topology.js';

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

/** Brute force: the lowest total price of any assignment that keeps every hard rule; undefined when none does. */
export function cheapestHolding(req: PlacementRequest): number | undefined {
  const ds = eligibleOf(req);
  const { mins } = effectiveMins(req.replicas, req.policy.targets ?? []);
  const price = ds.map((d) => d.pricePerReplicaHour ?? 0);
  const counts = new Array<number>(ds.length).fill(0);
  let best: number | undefined;
  const rec = (i: number, left: number, cost: number) => {
    if (i === ds.length - 1) {
      counts[i] = left;
      const c = cost + left * price[i]!;
      if (
        (best === undefined || c < best - 1e-12) &&
        violations(ds, counts, req.replicas, req.policy, { mins }).length === 0
      )
        best = c;
      return;
    }
    for (let k = 0; k <= left; k++) {
      counts[i] = k;
      rec(i + 1, left - k, cost + k * price[i]!);
    }
  };
  if (ds.length === 0) return req.replicas === 0 ? 0 : undefined;
  rec(0, req.replicas, 0);
  return best;
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

/**
 * Exhaustive over the band floors: for every choice of floor L per DoNotSchedule level (each group
 * in [L, L + maxSkew]) the bounds are laminar and the engine's bottom-up pass gives the fewest
 * replicas moved from `ref` exactly (that pass is checked against `closestDistance` on small
 * fleets); the minimum over all floors is the closest any assignment gets. Fleets without
 * minDomains, min/max or shared zone labels; undefined when the floors are too many to try.
 */
export function closestOverAllFloors(
  req: PlacementRequest,
  ref: ReadonlyMap<string, number>,
  limit = 200_000,
): number | undefined {
  const topo = buildTopology(eligibleOf(req));
  const INF = Number.POSITIVE_INFINITY;
  const base = {
    lo: topo.levels.map((l) => new Float64Array(l.count)),
    hi: topo.levels.map((l) => new Float64Array(l.count).fill(INF)),
  };
  topo.leaves.forEach((d, i) => {
    if (d.maxReplicas !== undefined) base.hi[3]![i] = d.maxReplicas;
  });
  const R = req.replicas;
  const { bands: hard } = hardBands(topo, req.policy.spread);
  const want = sumUp(
    topo,
    topo.leaves.map((d) => ref.get(`${d.target}/${d.zone}`) ?? 0),
  );
  const ws = newWorkspace(topo);
  const cw = newClosestWorkspace(topo);
  const exact = new Uint8Array(topo.leaves.length).fill(1);
  const levels = [0, 1, 2, 3].filter((l) => hard[l]);
  const lo = levels.map((l) => Math.max(0, Math.ceil(R / hard[l]!.groups) - hard[l]!.skew));
  const hi = levels.map((l) => Math.floor(R / hard[l]!.groups));
  let size = 1;
  levels.forEach((_, i) => {
    size *= hi[i]! - lo[i]! + 1;
  });
  if (size > limit) return undefined;
  let best = INF;
  const point = [0, 0, 0, 0];
  for (let c = 0; c < size; c++) {
    let rest = c;
    levels.forEach((l, i) => {
      const width = hi[i]! - lo[i]! + 1;
      point[l] = lo[i]! + (rest % width);
      rest = Math.floor(rest / width);
    });
    const bands = hard.map((h, m) => (h ? { lmin: point[m]!, lmax: point[m]!, skew: h.skew } : undefined));
    if (evaluate(topo, base, bands, exact, R, ws).ok) best = Math.min(best, distance(topo, ws, want, R, cw));
  }
  return best;
}

import { type BaseBounds, evaluate, type Workspace } from './bounds.js';
import type { HardBand } from './levels.js';
import { splitByDesire } from './split.js';
import { LEVELS, type Topology } from './topology.js';

/**
 * Weighted placement under spread rules: the assignment closest to the weighted split.
 *
 * The weighted split W (per domain) is what the policy gives without spread rules: targets by
 * weight within their min/max and room, each target's replicas even over its zones within capacity
 * (and the stability bounds of a scale change). Spread rules (DoNotSchedule bands, minDomains caps)
 * bend it only as far as they need: the result minimises the L1 distance sum_i |x_i - W_i|, i.e.
 * the fewest replicas moved away from W, domain by domain. When W keeps every rule it is the result.
 *
 * For fixed band floors L the bounds are laminar (provider > region > target > domain), and on such
 * a tree the L1 distance to W is separable: a subtree's best cost as a function of its total s is
 * c_v + |s - P_v| on [A_v, B_v] (A, B from `evaluate`), where P_v = clamp(sum of its children's P,
 * A_v, B_v) and c_v adds |P_v - sum of children's P|. So one bottom-up pass gives the distance and
 * a top-down pass the assignment: a node's replicas go to each child's P, and an excess (or a
 * deficit) is shared out by weight among children moving the same way (any such sharing moves the
 * same number of replicas; water-filling by weight, then the usual remainder rules, picks one).
 * The floors L themselves are searched (see `closest`): exactly for one band (the distance is
 * convex in L), by descent and then branch and bound for several. Every step is a pass over the
 * domains, never over replicas.
 */

/** Per-level arrays for the L1 passes (preferred totals P). */
export interface ClosestWorkspace {
  P: Float64Array[];
}

export function newClosestWorkspace(topo: Topology): ClosestWorkspace {
  return { P: topo.levels.map((l) => new Float64Array(l.count)) };
}

const clamp = (x: number, a: number, b: number) => Math.max(a, Math.min(x, b));

/**
 * Bottom-up: the fewest replicas that must move away from `ref` (per node per level, the weighted
 * split) within the bounds `ws.A`/`ws.B` just computed by `evaluate`, with `replicas` in all.
 * Fills `cw.P` with each node's preferred total.
 */
export function distance(
  topo: Topology,
  ws: Workspace,
  ref: Float64Array[],
  replicas: number,
  cw: ClosestWorkspace,
): number {
  let cost = 0;
  const leaf = LEVELS - 1;
  {
    const A = ws.A[leaf]!;
    const B = ws.B[leaf]!;
    const W = ref[leaf]!;
    const P = cw.P[leaf]!;
    for (let i = 0; i < P.length; i++) {
      const p = clamp(W[i]!, A[i]!, B[i]!);
      P[i] = p;
      cost += Math.abs(p - W[i]!);
    }
  }
  for (let l = leaf - 1; l >= 0; l--) {
    const nodes = topo.levels[l]!;
    const A = ws.A[l]!;
    const B = ws.B[l]!;
    const P = cw.P[l]!;
    const below = cw.P[l + 1]!;
    for (let v = 0; v < nodes.count; v++) {
      let s = 0;
      for (let c = nodes.childStart[v]!, e = nodes.childEnd[v]!; c < e; c++) s += below[c]!;
      const p = clamp(s, A[v]!, B[v]!);
      P[v] = p;
      cost += Math.abs(p - s);
    }
  }
  let s = 0;
  for (const p of cw.P[0]!) s += p;
  return cost + Math.abs(replicas - s);
}

/**
 * Top-down, after `distance` with the same bounds: every node's replicas go to its children's
 * preferred totals, an excess or deficit shared by desire among the children that can move that way.
 */
export function assignClosest(
  topo: Topology,
  ws: Workspace,
  cw: ClosestWorkspace,
  replicas: number,
  desire: Float64Array[],
  current: Float64Array[],
): Float64Array[] {
  const counts = topo.levels.map((l) => new Float64Array(l.count));
  const split = (level: number, start: number, end: number, n: number) => {
    const P = cw.P[level]!;
    const out = counts[level]!;
    let s = 0;
    for (let c = start; c < end; c++) s += P[c]!;
    if (s === n) {
      for (let c = start; c < end; c++) out[c] = P[c]!;
      return;
    }
    const up = n > s;
    const kids = [];
    for (let c = start; c < end; c++) {
      kids.push({
        lo: up ? P[c]! : ws.A[level]![c]!,
        hi: up ? ws.B[level]![c]! : P[c]!,
        desire: desire[level]![c]!,
        current: current[level]![c]!,
        name: topo.levels[level]!.name[c]!,
      });
    }
    const got = splitByDesire(n, kids);
    for (let c = start; c < end; c++) out[c] = got[c - start]!;
  };
  split(0, 0, topo.levels[0]!.count, replicas);
  for (let l = 0; l < LEVELS - 1; l++) {
    const nodes = topo.levels[l]!;
    for (let v = 0; v < nodes.count; v++) split(l + 1, nodes.childStart[v]!, nodes.childEnd[v]!, counts[l]![v]!);
  }
  return counts;
}

/**
 * Whether per-level counts keep every band (max - min <= skew over the level's groups) and cap:
 * the weighted split needs no bending. Zone groups may span targets, so level 3 is summed by group.
 */
export function keepsSpread(
  topo: Topology,
  counts: Float64Array[],
  hard: ReadonlyArray<HardBand | undefined>,
  caps: readonly number[],
): boolean {
  for (let l = 0; l < LEVELS; l++) {
    const band = hard[l];
    const cap = caps[l]!;
    if (!band && cap === INF) continue;
    const [min, max] = spanOf(topo, counts, l);
    if (max > cap || (band && max - min > band.skew)) return false;
  }
  return true;
}

const MAX_ROUNDS = 32;
const INF = Number.POSITIVE_INFINITY;

export interface ClosestInput {
  topo: Topology;
  /** Base bounds with the minDomains caps. */
  base: BaseBounds;
  /** Whether a minDomains cap is in `base`. */
  capped: boolean;
  /** DoNotSchedule bands per level. */
  hard: ReadonlyArray<HardBand | undefined>;
  exactLeaf: Uint8Array;
  replicas: number;
  /** The weighted split, per node per level. */
  ref: Float64Array[];
  /** Tie rules of the top-down pass: desire (weights) and current replicas per node per level. */
  desire: Float64Array[];
  current: Float64Array[];
  ws: Workspace;
  cw: ClosestWorkspace;
  /** Some band floors that keep every band in `hard` (the engine's usual search), or undefined. */
  feasible: (hard: ReadonlyArray<HardBand | undefined>) => readonly number[] | undefined;
}

/**
 * The assignment (per node per level) closest to the weighted split that keeps every band and
 * bound, or undefined when none does (or the engine's band search finds none).
 *
 * Bands a level cannot break (one group) are dropped, and bands of two levels with the same groups
 * merged. Then subsets of the bands are tried, smallest first (the bands the split breaks before
 * the others): when the closest assignment under a subset keeps the other bands too, it is the
 * closest under all of them (it is feasible, and no assignment keeping more rules is closer). Under
 * one band the floor is found exactly by galloping and binary search on the slope of the (convex)
 * distance. Under several, floors interact (a provider's floor bounds its regions' sums and back),
 * so after a level-by-level descent gives a good point, branch and bound makes it exact: over a
 * box of floors each band widened to [lowest floor, highest floor + skew] keeps the bounds laminar,
 * so the same bottom-up pass gives a lower bound for every point of the box (or shows none holds);
 * boxes that cannot beat the best point are dropped, the others split where the bound rises most.
 */
export function closest(input: ClosestInput): Float64Array[] | undefined {
  const { topo, replicas, ref, ws, cw } = input;
  const hard = [...input.hard];
  const groupsAt = (l: number) => hard[l]!.groups;
  for (let l = 0; l < LEVELS; l++) if (hard[l] && groupsAt(l) <= 1) hard[l] = undefined;
  for (let l = 0; l < LEVELS; l++) {
    if (!hard[l]) continue;
    // the next finer band with as many groups has the same groups (levels nest; shared zone labels aside)
    for (let m = l + 1; m < LEVELS; m++) {
      if (!hard[m] || groupsAt(m) !== groupsAt(l) || (m === LEVELS - 1 && topo.zoneGroupCount < topo.leaves.length))
        continue;
      hard[m] = { ...hard[m]!, skew: Math.min(hard[m]!.skew, hard[l]!.skew) };
      hard[l] = undefined;
      break;
    }
  }
  const levels = [0, 1, 2, 3].filter((l) => hard[l]);
  // No band first (minDomains caps alone may be what the split breaks), then each band alone (those
  // the split breaks first), then all of them. (Pairs and triples seldom help; each costs a search.)
  const kept = (l: number) => (keepsSpread(topo, ref, only(hard, [l]), NO_CAPS) ? 1 : 0);
  const singles = [...levels].sort((a, b) => kept(a) - kept(b) || a - b).map((l) => [l]);
  const subsets = [...(input.capped ? [[]] : []), ...singles, ...(levels.length > 1 ? [levels] : [])];
  const budget = { left: Math.max(MIN_BOUNDS, Math.floor(BOUND_WORK / (topo.leaves.length + 1))) };
  for (const t of subsets) {
    const band = only(hard, t);
    const point = bestFloors(input, band, budget);
    if (!point) return undefined; // even these bands alone cannot hold
    bandCost(input, band, point); // ws/cw at the point
    const counts = assignClosest(topo, ws, cw, replicas, input.desire, input.current);
    if (t.length === levels.length || keepsSpread(topo, counts, hard, NO_CAPS)) return counts;
  }
  return ref; // no band a split can break and no cap: the split itself
}

const NO_CAPS = [INF, INF, INF, INF];

const only = (hard: ReadonlyArray<HardBand | undefined>, levels: readonly number[]) =>
  hard.map((h, l) => (levels.includes(l) ? h : undefined));

function bandCost(input: ClosestInput, hard: ReadonlyArray<HardBand | undefined>, point: readonly number[]): number {
  const { topo, base, exactLeaf, replicas, ref, ws, cw } = input;
  const bands = hard.map((h, m) => (h ? { lmin: point[m]!, lmax: point[m]!, skew: h.skew } : undefined));
  if (!evaluate(topo, base, bands, exactLeaf, replicas, ws).ok) return INF;
  return distance(topo, ws, ref, replicas, cw);
}

/**
 * Branch and bound stops after about this many domain visits (lower bounds times domains, but at
 * least MIN_BOUNDS bounds) and keeps the best point found: ~200 bounds over 10,000 domains.
 */
const BOUND_WORK = 2_000_000;
const MIN_BOUNDS = 64;

/**
 * The band floors (per level; 0 where no band) nearest the weighted split under the given bands,
 * or undefined when none hold. Ties: the point the descent reached first.
 */
function bestFloors(
  input: ClosestInput,
  hard: ReadonlyArray<HardBand | undefined>,
  budget: { left: number },
): number[] | undefined {
  const { topo, base, exactLeaf, replicas, ref, ws, cw } = input;
  const constrained: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const guess: number[] = [];
  for (let l = 0; l < LEVELS; l++) {
    const h = hard[l];
    const n = Math.max(1, h?.groups ?? 1);
    // Every group lies in [L, L + skew], so n * L <= R <= n * (L + skew).
    lo.push(h ? Math.max(0, Math.ceil(replicas / n) - h.skew) : 0);
    hi.push(h ? Math.floor(replicas / n) : 0);
    guess.push(0);
    if (!h) continue;
    constrained.push(l);
    // The split's own groups span [min, max]: its floor where they fit the band, else a floor
    // between min and max - skew (where the fewest replicas move).
    const [min, max] = spanOf(topo, ref, l);
    const want = max - min <= h.skew ? min : Math.round((min + max - h.skew) / 2);
    guess[l] = Math.min(hi[l]!, Math.max(lo[l]!, want));
  }
  const memo = new Map<string, number>();
  const cost = (p: readonly number[]): number => {
    const key = p.join(',');
    let c = memo.get(key);
    if (c === undefined) {
      c = constrained.every((l) => p[l]! >= lo[l]! && p[l]! <= hi[l]!) ? bandCost(input, hard, p) : INF;
      memo.set(key, c);
    }
    return c;
  };

  let point = guess;
  if (cost(point) === INF) {
    const p = input.feasible(hard);
    if (!p) return undefined;
    point = [...p];
  }
  let best = cost(point);
  if (best === INF) return undefined;
  if (constrained.length === 0) return point;

  // Exact minimum along one level with the others fixed: the distance is convex where the rules
  // hold (an interval of floors) and infinite outside it. Moves only when it strictly improves.
  const along = (l: number): boolean => {
    const f = (v: number) => {
      const q = [...point];
      q[l] = v;
      return cost(q);
    };
    const p = point[l]!;
    let m = p;
    if (f(p + 1) < best) {
      // rightwards: the smallest v >= p with f(v) infinite or f(v + 1) >= f(v)
      const past = (v: number) => f(v) === INF || f(v + 1) >= f(v);
      let a = p;
      let step = 1;
      let b = Math.min(p + step, hi[l]!);
      while (!past(b)) {
        a = b;
        step *= 2;
        b = Math.min(p + step, hi[l]!);
      }
      while (a < b) {
        const mid = Math.floor((a + b) / 2);
        if (past(mid)) b = mid;
        else a = mid + 1;
      }
      m = f(a) === INF ? a - 1 : a;
    } else if (f(p - 1) < best) {
      // leftwards: the smallest v <= p with f(v) finite and f(v + 1) > f(v)
      const at = (v: number) => f(v) < INF && f(v + 1) > f(v);
      let b = p - 1;
      let step = 1;
      let a = Math.max(p - 1 - step, lo[l]! - 1);
      while (at(a)) {
        b = a;
        step *= 2;
        a = Math.max(p - 1 - step, lo[l]! - 1);
      }
      while (a + 1 < b) {
        const mid = Math.floor((a + b) / 2);
        if (at(mid)) b = mid;
        else a = mid;
      }
      m = b;
    }
    if (m === p || f(m) >= best) return false;
    point[l] = m;
    best = f(m);
    return true;
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const l of constrained) if (along(l)) changed = true;
    if (!changed) break;
  }
  if (constrained.length === 1) return point;

  // Branch and bound over boxes of floors (see `closest`).
  const lowerBound = (a: readonly number[], b: readonly number[]): number => {
    const widened = hard.map((h, m) => (h ? { lmin: a[m]!, lmax: b[m]!, skew: h.skew } : undefined));
    if (!evaluate(topo, base, widened, exactLeaf, replicas, ws).ok) return INF;
    return distance(topo, ws, ref, replicas, cw);
  };
  interface Box {
    a: number[];
    b: number[];
    bound: number;
  }
  const stack: Box[] = [{ a: [...lo], b: [...hi], bound: lowerBound(lo, hi) }];
  budget.left--;
  while (stack.length > 0 && budget.left > 0) {
    const box = stack.pop()!;
    if (box.bound >= best) continue;
    if (constrained.every((l) => box.a[l] === box.b[l])) {
      point = [...box.a];
      best = box.bound;
      continue;
    }
    // Split the level whose box loosens its bands most (width times groups) in halves; the half
    // holding the best point so far is looked at first (popped last pushed).
    let l = -1;
    for (const m of constrained) {
      const width = (box.b[m]! - box.a[m]!) * hard[m]!.groups;
      if (box.b[m]! > box.a[m]! && (l < 0 || width > (box.b[l]! - box.a[l]!) * hard[l]!.groups)) l = m;
    }
    const mid = Math.floor((box.a[l]! + box.b[l]!) / 2);
    const left = { a: [...box.a], b: [...box.b], bound: 0 };
    const right = { a: [...box.a], b: [...box.b], bound: 0 };
    left.b[l] = mid;
    right.a[l] = mid + 1;
    left.bound = lowerBound(left.a, left.b);
    right.bound = lowerBound(right.a, right.b);
    budget.left -= 2;
    const chosen = point[l]! <= mid ? [right, left] : [left, right];
    for (const c of chosen) if (c.bound < best) stack.push(c);
  }
  return point;
}

/** Smallest and largest group count of per-level counts at level l (zone groups summed across targets). */
function spanOf(topo: Topology, counts: Float64Array[], l: number): [number, number] {
  let values: ArrayLike<number> = counts[l]!;
  if (l === LEVELS - 1 && topo.zoneGroupCount < topo.leaves.length) {
    const g = new Float64Array(topo.zoneGroupCount);
    for (let i = 0; i < topo.leaves.length; i++) g[topo.zoneGroup[i]!]! += counts[l]![i]!;
    values = g;
  }
  let max = 0;
  let min = INF;
  for (let i = 0; i < values.length; i++) {
    max = Math.max(max, values[i]!);
    min = Math.min(min, values[i]!);
  }
  return [min === INF ? 0 : min, max];
}

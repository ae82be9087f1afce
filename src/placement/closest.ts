import { type BaseBounds, evaluate, type LevelBand, type Workspace } from './bounds.js';
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
 * The distance is convex in L (a linear program's value function, integral for integer L), so L
 * is found by exact minimisation per level (binary search on the slope), repeated, with joint moves
 * of several levels at once checked at the end. Each step is a pass over the domains, never over replicas.
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

/**
 * The band floors L (one per constrained level) whose closest assignment is nearest the weighted
 * split `ref`, or undefined when no L keeps every rule. Starts where the split's own groups sit
 * (else at `feasible()`, the engine's usual band search), then minimises level by level (galloping
 * from the current value, then binary search on the slope; ties: the higher floor, i.e. the more
 * even spread), then tries joint moves of several levels. `ws`/`cw` are left holding the bounds and
 * preferred totals of the chosen point.
 */
export function closestLevels(
  topo: Topology,
  base: BaseBounds,
  hard: ReadonlyArray<HardBand | undefined>,
  exactLeaf: Uint8Array,
  replicas: number,
  ref: Float64Array[],
  ws: Workspace,
  cw: ClosestWorkspace,
  feasible: () => readonly number[] | undefined,
): number[] | undefined {
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
    // The split's own groups span [min, max]: a floor between min and max - skew moves the fewest.
    const [min, max] = spanOf(topo, ref, l);
    guess[l] = Math.min(hi[l]!, Math.max(lo[l]!, Math.round((min + max - h.skew) / 2)));
  }
  const bands = (point: readonly number[]): (LevelBand | undefined)[] =>
    hard.map((h, m) => (h ? { lmin: point[m]!, lmax: point[m]!, skew: h.skew } : undefined));
  const memo = new Map<string, number>();
  const cost = (point: readonly number[]): number => {
    const key = point.join(',');
    const known = memo.get(key);
    if (known !== undefined) return known;
    let c = INF;
    if (constrained.every((l) => point[l]! >= lo[l]! && point[l]! <= hi[l]!)) {
      if (evaluate(topo, base, bands(point), exactLeaf, replicas, ws).ok) c = distance(topo, ws, ref, replicas, cw);
    }
    memo.set(key, c);
    return c;
  };

  let point = guess;
  if (cost(point) === INF) {
    const p = feasible();
    if (!p) return undefined;
    point = [...p];
  }
  let best = cost(point);
  if (best === INF) return undefined;

  // Exact minimum along one level with the others fixed: the distance is convex where the rules
  // hold (an interval of L) and infinite outside it.
  const along = (l: number): boolean => {
    const f = (v: number) => {
      const q = [...point];
      q[l] = v;
      return cost(q);
    };
    const p = point[l]!;
    const here = f(p);
    let m = p;
    if (f(p + 1) <= here) {
      // rightwards: the smallest v >= p with f(v) infinite or f(v + 1) > f(v)
      const past = (v: number) => f(v) === INF || f(v + 1) > f(v);
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
    } else if (f(p - 1) < here) {
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
    const c = f(m);
    if (m === p || c > best) return false;
    point[l] = m;
    best = c;
    return true;
  };
  const directions: number[][] = [];
  if (constrained.length > 1) {
    const k = constrained.length;
    for (let code = 0; code < 3 ** k; code++) {
      const d = new Array<number>(LEVELS).fill(0);
      let rest = code;
      let nonzero = 0;
      for (const l of constrained) {
        d[l] = (rest % 3) - 1;
        rest = Math.floor(rest / 3);
        if (d[l] !== 0) nonzero++;
      }
      if (nonzero > 1) directions.push(d);
    }
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const l of constrained) if (along(l)) changed = true;
    if (changed) continue;
    // Joint moves: several levels at once (one level's feasible range depends on the others').
    let bestDir: number[] | undefined;
    let bestCost = best;
    for (const d of directions) {
      const c = cost(point.map((x, l) => x + d[l]!));
      if (c < bestCost) {
        bestCost = c;
        bestDir = d;
      }
    }
    if (!bestDir) break;
    point = point.map((x, l) => x + bestDir[l]!);
    best = bestCost;
  }
  memo.clear();
  cost(point); // leaves ws/cw at the chosen point
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

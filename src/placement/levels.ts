import { type BaseBounds, evaluate, type LevelBand, type Workspace } from './bounds.js';
import { LEVELS, type Topology } from './topology.js';

/** A DoNotSchedule constraint merged per level: the tightest skew, and whether the minimum is pinned to 0 (fewer groups than minDomains). */
export interface HardBand {
  skew: number;
  /** Kubernetes: the global minimum counts as 0 while fewer than minDomains domains are eligible. */
  pinnedToZero: boolean;
  /** Number of groups (eligible domains of that topology key). */
  groups: number;
}

const ENUMERATION_LIMIT = 4096;

/**
 * Chooses L (the floor of every group) for each constrained level so that all bounds hold together,
 * or returns undefined when no choice does. Each level's feasible L is an interval given the others
 * (see `evaluate`); intervals are narrowed by propagation (others at their loosest), then a point is
 * picked: the lowest corner, the highest, a coordinate walk, and, for small boxes, every point.
 * The search is over L values (at most replicas / groups each), never over replicas.
 */
export function findLevels(
  topo: Topology,
  base: BaseBounds,
  hard: ReadonlyArray<HardBand | undefined>,
  exactLeaf: Uint8Array,
  replicas: number,
  ws: Workspace,
  prefer: 'balance' | 'cost' = 'balance',
  score?: (bands: LevelBand[]) => number,
): LevelBand[] | undefined {
  const lo: number[] = [];
  const hi: number[] = [];
  const constrained: number[] = [];
  for (let l = 0; l < LEVELS; l++) {
    const h = hard[l];
    // Every group lies in [L, L + skew], so n * L <= R <= n * (L + skew): L is within skew of R / n.
    const n = Math.max(1, h?.groups ?? 1);
    lo.push(h && !h.pinnedToZero ? Math.max(0, Math.ceil(replicas / n) - h.skew) : 0);
    hi.push(h && !h.pinnedToZero ? Math.floor(replicas / n) : 0);
    if (h) constrained.push(l);
  }
  const bandsFor = (l: number, value?: number): (LevelBand | undefined)[] =>
    hard.map((h, m) =>
      h
        ? {
            lmin: m === l && value !== undefined ? value : lo[m]!,
            lmax: m === l && value !== undefined ? value : hi[m]!,
            skew: h.skew,
          }
        : undefined,
    );
  const exactBands = (point: number[]): (LevelBand | undefined)[] =>
    hard.map((h, m) => (h ? { lmin: point[m]!, lmax: point[m]!, skew: h.skew } : undefined));
  const tryPoint = (point: number[]) => evaluate(topo, base, exactBands(point), exactLeaf, replicas, ws);

  if (constrained.length === 0) return tryPoint(lo).ok ? [] : undefined;
  const preferredPoint = () =>
    lo.map((a, l) => {
      const h = hard[l];
      if (!h) return a;
      const want = prefer === 'cost' ? Math.floor((replicas - h.skew) / Math.max(1, h.groups)) : hi[l]!;
      return Math.min(hi[l]!, Math.max(a, want));
    });
  const asBands = (point: number[]) => exactBands(point) as LevelBand[];
  // Fast path: the preferred point usually holds already (one pass, whatever the replica count).
  // With a score every feasible point of the box is weighed instead (below).
  const first = preferredPoint();
  if (!score && tryPoint(first).ok) return asBands(first);

  // Propagation: each level's interval given the others at their loosest.
  for (let round = 0; round < 8 * constrained.length; round++) {
    let changed = false;
    for (const l of constrained) {
      const probe = (value: number) => evaluate(topo, base, bandsFor(l, value), exactLeaf, replicas, ws);
      let a = lo[l]!;
      let b = hi[l]!;
      // smallest value with no "needs larger L" failure
      if (probe(b).needLarger[l]) return undefined;
      while (a < b) {
        const mid = Math.floor((a + b) / 2);
        if (probe(mid).needLarger[l]) a = mid + 1;
        else b = mid;
      }
      const newLo = a;
      a = newLo;
      b = hi[l]!;
      const atLo = probe(newLo);
      if (atLo.neutral || atLo.needSmaller[l]) return undefined;
      // largest value with no "needs smaller L" failure
      while (a < b) {
        const mid = Math.ceil((a + b) / 2);
        if (probe(mid).needSmaller[l]) b = mid - 1;
        else a = mid;
      }
      if (newLo !== lo[l] || a !== hi[l]) changed = true;
      lo[l] = newLo;
      hi[l] = a;
    }
    if (!changed) break;
  }

  if (score) {
    // ties go to the preferred point, then to the lowest floors
    const best = lowestScore([preferredPoint(), first, lo, hi], lo, hi, constrained, (point) =>
      tryPoint(point).ok ? score(asBands(point)) : undefined,
    );
    if (best) return asBands(best);
  }

  // The preferred point: balance wants the highest floors (groups as even as the bands allow); cost
  // wants room for the cheapest group to reach L + skew, i.e. L = floor((R - skew) / groups).
  const preferred = preferredPoint();
  if (tryPoint(preferred).ok) return asBands(preferred);
  if (tryPoint(lo).ok) return asBands(lo);
  if (tryPoint(hi).ok) return asBands(hi);
  // Coordinate walk from the lowest corner: raise whichever level is asked to grow.
  const point = [...lo];
  for (let step = 0; step < 64; step++) {
    const v = tryPoint(point);
    if (v.ok) return asBands(point);
    if (v.neutral) break;
    const grow = constrained.find((l) => v.needLarger[l] && point[l]! < hi[l]!);
    const shrink = constrained.find((l) => v.needSmaller[l] && point[l]! > lo[l]!);
    if (grow !== undefined) point[grow]!++;
    else if (shrink !== undefined) point[shrink]!--;
    else break;
  }
  // Small boxes: try every point.
  let found: number[] | undefined;
  forEachPoint(lo, hi, constrained, (point) => {
    if (!tryPoint(point).ok) return false;
    found = [...point];
    return true;
  });
  return found && asBands(found);
}

/**
 * Visits every point of the box [lo, hi] over the constrained levels (lowest first) until `visit`
 * returns true; nothing when the box has more than ENUMERATION_LIMIT points.
 */
function forEachPoint(lo: number[], hi: number[], constrained: number[], visit: (point: number[]) => boolean): void {
  let size = 1;
  for (const l of constrained) size *= hi[l]! - lo[l]! + 1;
  if (size > ENUMERATION_LIMIT) return;
  const cur = [...lo];
  for (let k = 0; k < size; k++) {
    let rest = k;
    for (const l of constrained) {
      const width = hi[l]! - lo[l]! + 1;
      cur[l] = lo[l]! + (rest % width);
      rest = Math.floor(rest / width);
    }
    if (visit(cur)) return;
  }
}

/** Boxes up to this many points are scored point by point; larger ones by coordinate descent. */
const SCORE_ENUMERATION_LIMIT = 64;
/** Values of one level tried per pass of the descent; a wider range is searched coarse to fine. */
const SCAN_VALUES = 32;

/**
 * The feasible point with the lowest score: of `first` (in order), then of the box [lo, hi]. A box
 * of up to SCORE_ENUMERATION_LIMIT points is searched whole (lowest floors first on ties); a larger
 * one by coordinate descent from the best so far: each level's range with the others fixed (at most
 * SCAN_VALUES evenly spaced values, then again around the best of them with a finer step, until
 * the step is 1), until no level improves. The price of the cheapest fill is convex in the floors
 * (the optimum of a linear program whose bounds move with them), which the coarse-to-fine scan
 * relies on; the work is a few dozen fills per level and round, whatever the replica count.
 */
function lowestScore(
  first: number[][],
  lo: number[],
  hi: number[],
  constrained: number[],
  scoreOf: (point: number[]) => number | undefined,
): number[] | undefined {
  let best: number[] | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const consider = (point: number[]) => {
    const s = scoreOf(point);
    if (s !== undefined && s < bestScore - 1e-9) {
      best = [...point];
      bestScore = s;
    }
  };
  for (const point of first) consider(point);
  let size = 1;
  for (const l of constrained) size *= hi[l]! - lo[l]! + 1;
  if (size <= SCORE_ENUMERATION_LIMIT) {
    forEachPoint(lo, hi, constrained, (point) => {
      consider(point);
      return false;
    });
    return best;
  }
  if (!best) return undefined;
  for (let improved = true; improved; ) {
    improved = false;
    for (const l of constrained) {
      const from = best[l]!;
      let a = lo[l]!;
      let b = hi[l]!;
      for (;;) {
        const step = Math.max(1, Math.ceil((b - a + 1) / SCAN_VALUES));
        const point = [...best];
        for (let v = a; v <= b; v += step) {
          point[l] = v;
          consider(point);
        }
        point[l] = b;
        consider(point);
        if (step === 1) break;
        const at = best[l]!;
        a = Math.max(lo[l]!, at - step + 1);
        b = Math.min(hi[l]!, at + step - 1);
      }
      if (best[l] !== from) improved = true;
    }
  }
  return best;
}

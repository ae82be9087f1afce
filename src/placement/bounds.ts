import { LEVELS, type Topology } from './topology.js';

/** A spread constraint turned into a band every group of its level must lie in: `[L, L + skew]`. */
export interface LevelBand {
  /** Lowest and highest candidate L (equal once chosen). */
  lmin: number;
  lmax: number;
  skew: number;
}

/** Static per-node bounds: capacity, target min/max. */
export interface BaseBounds {
  lo: Float64Array[];
  hi: Float64Array[];
}

/** Which way each level's L would have to move to fix a failed condition; `neutral` when no L can. */
export interface Verdict {
  ok: boolean;
  neutral: boolean;
  needLarger: boolean[];
  needSmaller: boolean[];
}

export interface Workspace {
  A: Float64Array[];
  B: Float64Array[];
}

export function newWorkspace(topo: Topology): Workspace {
  return {
    A: topo.levels.map((l) => new Float64Array(l.count)),
    B: topo.levels.map((l) => new Float64Array(l.count)),
  };
}

/**
 * Bottom-up interval arithmetic over the laminar tree: A[v]/B[v] are the fewest/most replicas node v
 * can hold with every bound below it kept. The placement is feasible iff A[root] <= R <= B[root] and
 * A <= B everywhere (exact for laminar bounds). Each failed comparison is tagged with the direction
 * each level's L would have to move (bands raise both A and B), which makes every band's feasible L
 * an interval that binary search finds. Cost: one pass over the nodes, never over replicas.
 *
 * `exactLeaf[i] = 0` marks a leaf whose zone group spans several targets: the zone band is then only
 * approximated per leaf (upper bound), and the group sum is checked after allocation.
 */
export function evaluate(
  topo: Topology,
  base: BaseBounds,
  bands: ReadonlyArray<LevelBand | undefined>,
  exactLeaf: Uint8Array,
  replicas: number,
  ws: Workspace,
): Verdict {
  const v: Verdict = {
    ok: true,
    neutral: false,
    needLarger: [false, false, false, false],
    needSmaller: [false, false, false, false],
  };
  const deeper = (l: number, dir: 'larger' | 'smaller') => {
    let any = false;
    for (let m = l + 1; m < LEVELS; m++) {
      if (!bands[m]) continue;
      any = true;
      (dir === 'larger' ? v.needLarger : v.needSmaller)[m] = true;
    }
    if (!any) v.neutral = true;
    v.ok = false;
  };
  const mark = (l: number, dir: 'larger' | 'smaller') => {
    (dir === 'larger' ? v.needLarger : v.needSmaller)[l] = true;
    v.ok = false;
  };
  for (let l = LEVELS - 1; l >= 0; l--) {
    const nodes = topo.levels[l]!;
    const A = ws.A[l]!;
    const B = ws.B[l]!;
    const bl = base.lo[l]!;
    const bh = base.hi[l]!;
    const band = bands[l];
    const leaf = l === LEVELS - 1;
    const cA = leaf ? undefined : ws.A[l + 1]!;
    const cB = leaf ? undefined : ws.B[l + 1]!;
    for (let i = 0; i < nodes.count; i++) {
      let sA = 0;
      let sB = Number.POSITIVE_INFINITY;
      if (!leaf) {
        sB = 0;
        for (let c = nodes.childStart[i]!, e = nodes.childEnd[i]!; c < e; c++) {
          sA += cA![c]!;
          sB += cB![c]!;
        }
      }
      const lo0 = bl[i]!;
      const hi0 = bh[i]!;
      let lo = lo0;
      let hi = hi0;
      if (lo0 > hi0) {
        v.ok = false;
        v.neutral = true;
      }
      if (lo0 > sB) deeper(l, 'larger');
      if (sA > hi0) deeper(l, 'smaller');
      if (band) {
        const top = band.lmax + band.skew;
        if (!leaf || exactLeaf[i]) {
          if (band.lmin > hi0) mark(l, 'smaller');
          if (lo0 > top) mark(l, 'larger');
          if (band.lmin > sB) {
            mark(l, 'smaller');
            deeper(l, 'larger');
          }
          if (sA > top) {
            mark(l, 'larger');
            deeper(l, 'smaller');
          }
          if (band.lmin > lo) lo = band.lmin;
        } else if (lo0 > top) {
          mark(l, 'larger');
        }
        if (top < hi) hi = top;
      }
      A[i] = Math.max(lo, sA);
      B[i] = Math.min(hi, sB);
    }
  }
  let rA = 0;
  let rB = 0;
  const top = topo.levels[0]!;
  for (let i = 0; i < top.count; i++) {
    rA += ws.A[0]![i]!;
    rB += ws.B[0]![i]!;
  }
  if (rA > replicas) {
    v.ok = false;
    for (let l = 0; l < LEVELS; l++) if (bands[l]) v.needSmaller[l] = true;
    if (!bands.some(Boolean)) v.neutral = true;
  }
  if (replicas > rB) {
    v.ok = false;
    for (let l = 0; l < LEVELS; l++) if (bands[l]) v.needLarger[l] = true;
    if (!bands.some(Boolean)) v.neutral = true;
  }
  return v;
}

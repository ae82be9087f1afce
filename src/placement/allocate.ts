import { type PriceCurve, type SplitChild, splitByDesire, splitByPrice } from './split.js';
import { LEVELS, type Topology } from './topology.js';

/** How the children of nodes at a level are chosen between: by desire (balance, weights) or by price. */
export type SplitMode = 'desire' | 'price';

export interface AllocationInput {
  topo: Topology;
  replicas: number;
  /** Final bounds per node (from `evaluate` with the chosen bands). */
  A: Float64Array[];
  B: Float64Array[];
  /** Desire per node per level. */
  desire: Float64Array[];
  /** Price per leaf. */
  price: Float64Array;
  /** Current replicas per node per level. */
  current: Float64Array[];
  /** modes[l]: how nodes of level l are chosen between (l = 0: the root's split into providers). */
  modes: readonly SplitMode[];
}

/** Top-down: the root's replicas are split into providers, each provider's into regions, and so on down to domains. */
export function allocate(input: AllocationInput): Float64Array[] {
  const { topo, A, B, desire, price, current, modes } = input;
  const counts = topo.levels.map((l) => new Float64Array(l.count));
  const curves = modes.includes('price') ? extraCurves(topo, A, B, price) : undefined;
  const splitInto = (level: number, start: number, end: number, n: number) => {
    const nodes = topo.levels[level]!;
    const kids: SplitChild[] = [];
    for (let c = start; c < end; c++) {
      kids.push({
        lo: A[level]![c]!,
        hi: B[level]![c]!,
        desire: desire[level]![c]!,
        current: current[level]![c]!,
        name: nodes.name[c]!,
      });
    }
    const byPrice = modes[level] === 'price';
    const out = byPrice
      ? splitByPrice(
          n,
          kids,
          kids.map((_, k) => curves![level]![start + k]!),
        )
      : splitByDesire(n, kids);
    for (let c = start; c < end; c++) counts[level]![c] = out[c - start]!;
  };
  splitInto(0, 0, topo.levels[0]!.count, input.replicas);
  for (let l = 0; l < LEVELS - 1; l++) {
    const nodes = topo.levels[l]!;
    for (let v = 0; v < nodes.count; v++) splitInto(l + 1, nodes.childStart[v]!, nodes.childEnd[v]!, counts[l]![v]!);
  }
  return counts;
}

/**
 * For every node, the price of each replica it can take beyond its lower bound A, cheapest first:
 * a leaf offers (price, B - A); a node merges its children's offers, the cheapest
 * (A - sum of children's A) of them are already spoken for by its own lower bound, and no more than
 * B - A are offered. Greedy by these curves is how the cheapest assignment within laminar bounds is found.
 */
function extraCurves(topo: Topology, A: Float64Array[], B: Float64Array[], price: Float64Array): PriceCurve[][] {
  const out: PriceCurve[][] = topo.levels.map(() => []);
  const leaves = LEVELS - 1;
  for (let i = 0; i < topo.levels[leaves]!.count; i++) {
    const room = B[leaves]![i]! - A[leaves]![i]!;
    out[leaves]!.push(room > 0 ? [{ price: price[i]!, room }] : []);
  }
  for (let l = leaves - 1; l >= 0; l--) {
    const nodes = topo.levels[l]!;
    for (let v = 0; v < nodes.count; v++) {
      let segs: { price: number; room: number }[] = [];
      let sumA = 0;
      for (let c = nodes.childStart[v]!; c < nodes.childEnd[v]!; c++) {
        sumA += A[l + 1]![c]!;
        for (const s of out[l + 1]![c]!) segs.push({ ...s });
      }
      segs.sort((a, b) => a.price - b.price);
      let skip = A[l]![v]! - sumA;
      let cap = B[l]![v]! - A[l]![v]!;
      const kept: { price: number; room: number }[] = [];
      for (const s of segs) {
        const used = Math.min(skip, s.room);
        skip -= used;
        const room = Math.min(s.room - used, cap);
        if (room > 0) {
          kept.push({ price: s.price, room });
          cap -= room;
        }
      }
      segs = kept;
      out[l]!.push(segs);
    }
  }
  return out;
}

/** Sums a per-leaf array up the tree (leaf level = LEVELS - 1). */
export function sumUp(topo: Topology, leaf: ArrayLike<number>, reduce: 'sum' | 'min' = 'sum'): Float64Array[] {
  const out = topo.levels.map((l) => new Float64Array(l.count));
  out[LEVELS - 1]!.set(Array.from(leaf));
  for (let l = LEVELS - 2; l >= 0; l--) {
    const nodes = topo.levels[l]!;
    const below = out[l + 1]!;
    for (let v = 0; v < nodes.count; v++) {
      let acc = reduce === 'sum' ? 0 : Number.POSITIVE_INFINITY;
      for (let c = nodes.childStart[v]!; c < nodes.childEnd[v]!; c++) {
        acc = reduce === 'sum' ? acc + below[c]! : Math.min(acc, below[c]!);
      }
      out[l]![v] = acc;
    }
  }
  return out;
}

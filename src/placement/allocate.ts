import { type SplitChild, splitByDesire, splitByPrice } from './split.js';
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
  /** Price per node per level (cheapest leaf below it). */
  price: Float64Array[];
  /** Current replicas per node per level. */
  current: Float64Array[];
  /** modes[l]: how nodes of level l are chosen between (l = 0: the root's split into providers). */
  modes: readonly SplitMode[];
}

/** Top-down: the root's replicas are split into providers, each provider's into regions, and so on down to domains. */
export function allocate(input: AllocationInput): Float64Array[] {
  const { topo, A, B, desire, price, current, modes } = input;
  const counts = topo.levels.map((l) => new Float64Array(l.count));
  const splitInto = (level: number, start: number, end: number, n: number) => {
    const kids: SplitChild[] = [];
    const prices: number[] = [];
    for (let c = start; c < end; c++) {
      kids.push({
        lo: A[level]![c]!,
        hi: B[level]![c]!,
        desire: desire[level]![c]!,
        current: current[level]![c]!,
        name: topo.levels[level]!.name[c]!,
      });
      prices.push(price[level]![c]!);
    }
    const out = modes[level] === 'price' ? splitByPrice(n, kids, prices) : splitByDesire(n, kids);
    for (let c = start; c < end; c++) counts[level]![c] = out[c - start]!;
  };
  splitInto(0, 0, topo.levels[0]!.count, input.replicas);
  for (let l = 0; l < LEVELS - 1; l++) {
    const nodes = topo.levels[l]!;
    for (let v = 0; v < nodes.count; v++) splitInto(l + 1, nodes.childStart[v]!, nodes.childEnd[v]!, counts[l]![v]!);
  }
  return counts;
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

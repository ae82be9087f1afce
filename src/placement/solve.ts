import type { PlacementPolicy, SpreadConstraint, TargetRef } from '../spec/deployment.js';
import { allocate, type SplitMode, sumUp } from './allocate.js';
import { type BaseBounds, evaluate, type LevelBand, newWorkspace, type Workspace } from './bounds.js';
import { closest, keepsSpread, newClosestWorkspace } from './closest.js';
import { findLevels, type HardBand } from './levels.js';
import { splitByDesire } from './split.js';
import { groupCounts, skewOf } from './spread.js';
import { buildTopology, LEVEL_OF_KEY, LEVELS, type Topology } from './topology.js';
import type { Domain, PlacementOptions } from './types.js';

export interface SolveInput {
  domains: readonly Domain[];
  replicas: number;
  policy: PlacementPolicy;
  /** Target mins in force (see effectiveMins). */
  mins: ReadonlyMap<string, number>;
  /** Current replicas by domain key. */
  current: ReadonlyMap<string, number>;
  options: PlacementOptions;
  /** Ignore domain capacity (diagnosis: would it hold with room everywhere?). */
  ignoreCapacity?: boolean;
  /**
   * Stability bounds per domain key: on a scale-up every domain keeps at least what it has
   * (`floor`), on a scale-down holds at most what it has (`ceiling`). Dropped by the caller when
   * they make the policy infeasible.
   */
  floor?: ReadonlyMap<string, number>;
  ceiling?: ReadonlyMap<string, number>;
}

export interface Solution {
  topo: Topology;
  /** Replicas per leaf of `topo` (sorted domains). */
  counts: Float64Array;
  /** 0-100 per leaf: how much the policy prefers the domain. */
  scores: Float64Array;
}

const INF = Number.POSITIVE_INFINITY;
const PRICE: readonly SplitMode[] = ['price', 'price', 'price', 'price'];

/**
 * DoNotSchedule constraints per tree level. A constraint whose minDomains exceeds the eligible
 * groups has its minimum pinned at 0 (Kubernetes), which is simply a cap of maxSkew per group;
 * the others become bands [L, L + maxSkew] (the tightest skew per level).
 */
export function hardBands(
  topo: Topology,
  spread: readonly SpreadConstraint[],
): { bands: (HardBand | undefined)[]; caps: number[] } {
  const bands: (HardBand | undefined)[] = [undefined, undefined, undefined, undefined];
  const caps = [INF, INF, INF, INF];
  for (const c of spread) {
    if (c.whenUnsatisfiable === 'ScheduleAnyway') continue;
    const l = LEVEL_OF_KEY[c.topologyKey];
    const groups = l === 3 ? topo.zoneGroupCount : topo.levels[l]!.count;
    if (c.minDomains !== undefined && groups < c.minDomains) {
      caps[l] = Math.min(caps[l]!, c.maxSkew);
      continue;
    }
    bands[l] = { skew: Math.min(bands[l]?.skew ?? INF, c.maxSkew), pinnedToZero: false, groups };
  }
  return { bands, caps };
}

const keyOf = (d: Domain) => `${d.target}/${d.zone}`;

/**
 * Finds the policy's assignment over the given eligible domains, or undefined when the hard rules
 * (capacity, target min/max, DoNotSchedule spread) cannot all hold. Work grows with the number of
 * domains (a few dozen tree passes), not with the number of replicas.
 *
 * With target weights (spread mode) the answer is the assignment closest to the weighted split in
 * L1 (fewest replicas moved from it, domain by domain): the split itself when it keeps every spread
 * rule (see closest.ts). Without weights the bands sit as high as they can (balance); under cost the
 * cheapest domains fill first within the bands.
 */
export function solve(input: SolveInput): Solution | undefined {
  const { policy, replicas, options } = input;
  const topo = buildTopology(input.domains);
  const n = topo.leaves.length;
  if (n === 0) return replicas === 0 ? { topo, counts: new Float64Array(0), scores: new Float64Array(0) } : undefined;
  const refs = new Map((policy.targets ?? []).map((t) => [t.name, t]));

  const base: BaseBounds = {
    lo: topo.levels.map((l) => new Float64Array(l.count)),
    hi: topo.levels.map((l) => new Float64Array(l.count).fill(INF)),
  };
  topo.leaves.forEach((d, i) => {
    if (!input.ignoreCapacity && d.maxReplicas !== undefined) base.hi[3]![i] = d.maxReplicas;
    const k = keyOf(d);
    const floor = input.floor?.get(k);
    if (floor !== undefined) base.lo[3]![i] = Math.min(floor, base.hi[3]![i]!);
    const ceiling = input.ceiling?.get(k);
    if (ceiling !== undefined) base.hi[3]![i] = Math.min(base.hi[3]![i]!, ceiling);
  });
  const targets = topo.levels[2]!;
  for (let t = 0; t < targets.count; t++) {
    const name = topo.leaves[firstLeaf(topo, 2, t)]!.target;
    base.lo[2]![t] = input.mins.get(name) ?? 0;
    const max = refs.get(name)?.max;
    if (max !== undefined) base.hi[2]![t] = max;
  }

  const { bands: hard, caps } = hardBands(topo, policy.spread);
  const sharedZones = topo.zoneGroupCount < n;
  const exactLeaf = new Uint8Array(n).fill(1);
  if (hard[3]) for (let i = 0; i < n; i++) exactLeaf[i] = topo.zoneGroupSize[topo.zoneGroup[i]!]! === 1 ? 1 : 0;
  const ws = newWorkspace(topo);

  const currentLeaf = topo.leaves.map((d) => input.current.get(keyOf(d)) ?? 0);
  const current = sumUp(topo, currentLeaf);
  const priceLeaf = Float64Array.from(topo.leaves, (d) => d.pricePerReplicaHour ?? 0);

  const weighted = options.weighting === 'dynamic' || (policy.targets?.some((t) => t.weight !== undefined) ?? false);
  const cost = policy.optimize === 'cost';
  const zoneSumsHold = (counts: Float64Array) => {
    if (!sharedZones || !(hard[3] || caps[3]! < INF)) return true;
    // Zone groups shared by several targets: the band was only approximated per leaf; check the sums.
    const zc = policy.spread.filter((c) => c.topologyKey === 'zone' && c.whenUnsatisfiable !== 'ScheduleAnyway');
    const groups = groupCounts(topo.leaves, counts, 'zone');
    return !zc.some((c) => skewOf(groups, c.minDomains) > c.maxSkew);
  };

  if (weighted && !cost) {
    // The weighted split without spread rules, then bent only as far as the spread rules need (closest.ts).
    const none = [undefined, undefined, undefined, undefined];
    if (!evaluate(topo, base, none, exactLeaf, replicas, ws).ok) return undefined;
    const desire = weightedDesire(topo, ws, input, refs, current[2]!);
    const modes: SplitMode[] = ['desire', 'desire', 'desire', 'desire'];
    const scores = scoresOf(topo, desire, priceLeaf, modes);
    const split = allocate({ topo, replicas, A: ws.A, B: ws.B, desire, price: priceLeaf, current, modes });
    if (keepsSpread(topo, split, hard, caps)) return { topo, counts: split[3]!, scores };
    const capped = withCaps(base, caps);
    const bent = closest({
      topo,
      base: capped,
      capped: caps.some((c) => c < INF),
      hard,
      exactLeaf,
      replicas,
      ref: split,
      desire,
      current,
      ws,
      cw: newClosestWorkspace(topo),
      feasible: (bands) => {
        const start = findLevels(topo, capped, bands, exactLeaf, replicas, ws, 'balance');
        return start && bands.map((_, l) => start[l]?.lmin ?? 0);
      },
    });
    if (!bent) return undefined;
    const counts = bent[3]!;
    // Shared zone labels: the closest assignment under the per-leaf approximation may break a zone
    // group's band; the balanced assignment below is then tried as before.
    if (zoneSumsHold(counts)) return { topo, counts, scores };
  }

  const capped = withCaps(base, caps);
  const desire = topo.levels.map((l) => new Float64Array(l.count).fill(1));
  // Cost without weights: of every choice of band floors, the one whose cheapest fill costs least.
  const priceOf = (bands: LevelBand[]) => {
    if (!evaluate(topo, capped, bands, exactLeaf, replicas, ws).ok) return INF;
    const counts = allocate({ topo, replicas, A: ws.A, B: ws.B, desire, price: priceLeaf, current, modes: PRICE })[3]!;
    if (!zoneSumsHold(counts)) return INF;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += counts[i]! * priceLeaf[i]!;
    return sum;
  };
  const bands = findLevels(
    topo,
    capped,
    hard,
    exactLeaf,
    replicas,
    ws,
    cost ? 'cost' : 'balance',
    cost && !weighted ? priceOf : undefined,
  );
  if (!bands) return undefined;
  const verdict = evaluate(topo, capped, bands, exactLeaf, replicas, ws);
  if (!verdict.ok) return undefined;

  const modes: SplitMode[] = ['desire', 'desire', 'desire', cost ? 'price' : 'desire'];
  if (weighted) {
    // Cost mode: target totals by weight within their bounds, each target's zones cheapest first.
    const sums = weightedDesire(topo, ws, input, refs, current[2]!);
    for (let l = 0; l < 3; l++) desire[l]!.set(sums[l]!);
  } else if (cost) {
    modes[0] = modes[1] = modes[2] = 'price';
  } else {
    // Balance at the finest level any spread constraint names; evenly per node below it.
    const finest = Math.max(-1, ...policy.spread.map((c) => LEVEL_OF_KEY[c.topologyKey]));
    if (finest >= 0) {
      const ones = sumUp(topo, new Float64Array(n).fill(1));
      const units = finest === 3 ? ones : sumUp(topo, unitsAt(topo, finest));
      for (let l = 0; l <= finest; l++) desire[l]!.set(units[l]!);
    }
  }

  const counts = allocate({ topo, replicas, A: ws.A, B: ws.B, desire, price: priceLeaf, current, modes })[3]!;
  if (!zoneSumsHold(counts)) return undefined;
  return { topo, counts, scores: scoresOf(topo, desire, priceLeaf, modes) };
}

/** The base bounds with the minDomains caps (at most maxSkew per group) applied. */
function withCaps(base: BaseBounds, caps: readonly number[]): BaseBounds {
  if (caps.every((c) => c === INF)) return base;
  return { lo: base.lo, hi: base.hi.map((h, l) => (caps[l]! < INF ? h.map((x) => Math.min(x, caps[l]!)) : h)) };
}

/**
 * Desire per node for a weighted split: target totals by (static or dynamic) weight over all
 * targets at once within their bounds `ws.A`/`ws.B` (just computed by `evaluate`), summed up the
 * tree for providers and regions; 1 per domain (a target's zones share its total evenly).
 */
function weightedDesire(
  topo: Topology,
  ws: Workspace,
  input: SolveInput,
  refs: ReadonlyMap<string, TargetRef>,
  current: Float64Array,
): Float64Array[] {
  const targets = topo.levels[2]!;
  const kids = [];
  for (let t = 0; t < targets.count; t++) {
    const name = topo.leaves[firstLeaf(topo, 2, t)]!.target;
    const room = ws.B[2]![t]!;
    const w =
      input.options.weighting === 'dynamic' ? (Number.isFinite(room) ? room : 1) : (refs.get(name)?.weight ?? 1);
    kids.push({ lo: ws.A[2]![t]!, hi: room, desire: w, current: current[t]!, name });
  }
  const totals = splitByDesire(input.replicas, kids);
  const desire = sumUp(topo, leafSpread(topo, totals));
  desire[LEVELS - 1]!.fill(1);
  return desire;
}

function firstLeaf(topo: Topology, level: number, node: number): number {
  let v = node;
  for (let l = level; l < LEVELS - 1; l++) v = topo.levels[l]!.childStart[v]!;
  return v;
}

/** Puts each target's total on its first leaf so sumUp yields per-node totals above the target level. */
function leafSpread(topo: Topology, perTarget: readonly number[]): Float64Array {
  const out = new Float64Array(topo.leaves.length);
  perTarget.forEach((x, t) => {
    out[firstLeaf(topo, 2, t)] = x;
  });
  return out;
}

/** 1 on the first leaf of every node at `level`: summed up, each node counts the level-`level` groups below it. */
function unitsAt(topo: Topology, level: number): Float64Array {
  const out = new Float64Array(topo.leaves.length);
  for (let v = 0; v < topo.levels[level]!.count; v++) out[firstLeaf(topo, level, v)] = 1;
  return out;
}

/** Score 0-100: by price when a split is by price, else the domain's share of the policy's desire (relative to the most wanted domain). */
function scoresOf(
  topo: Topology,
  desire: Float64Array[],
  price: Float64Array,
  modes: readonly SplitMode[],
): Float64Array {
  const n = topo.leaves.length;
  const scores = new Float64Array(n);
  if (modes[3] === 'price' && modes[0] === 'price') {
    let lo = INF;
    let hi = -INF;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, price[i]!);
      hi = Math.max(hi, price[i]!);
    }
    for (let i = 0; i < n; i++) scores[i] = hi > lo ? (100 * (hi - price[i]!)) / (hi - lo) : 100;
    return scores;
  }
  // share of each node within its parent, multiplied down the path
  const share = topo.levels.map((l) => new Float64Array(l.count));
  const fill = (level: number, start: number, end: number, parentShare: number) => {
    let sum = 0;
    for (let c = start; c < end; c++) sum += desire[level]![c]!;
    for (let c = start; c < end; c++)
      share[level]![c] = parentShare * (sum > 0 ? desire[level]![c]! / sum : 1 / (end - start));
  };
  fill(0, 0, topo.levels[0]!.count, 1);
  for (let l = 0; l < LEVELS - 1; l++) {
    const nodes = topo.levels[l]!;
    for (let v = 0; v < nodes.count; v++) fill(l + 1, nodes.childStart[v]!, nodes.childEnd[v]!, share[l]![v]!);
  }
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, share[3]![i]!);
  for (let i = 0; i < n; i++) scores[i] = max > 0 ? Math.round((1000 * share[3]![i]!) / max) / 10 : 0;
  return scores;
}

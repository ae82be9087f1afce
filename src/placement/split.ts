/** One child in a split: its bounds, how much it is wanted, what it holds now, and a stable name. */
export interface SplitChild {
  lo: number;
  hi: number;
  /** Relative desire (weight); 0 means "only when nothing else has room". */
  desire: number;
  /** Replicas it holds now (stability tie-break). */
  current: number;
  name: string;
}

const clamp = (x: number, a: number, b: number) => Math.min(Math.max(x, a), b);

/** Real-valued water-fill: x_c = clamp(lambda * desire_c, lo_c, hi_c) with sum x = n (bisection on lambda). */
function waterFill(n: number, kids: readonly SplitChild[], desire: readonly number[]): number[] {
  const total = (lambda: number) => {
    let s = 0;
    for (let i = 0; i < kids.length; i++) s += clamp(lambda * desire[i]!, kids[i]!.lo, kids[i]!.hi);
    return s;
  };
  let a = 0;
  let b = 1;
  while (total(b) < n && b < 1e18) b *= 2;
  for (let it = 0; it < 100 && b - a > 1e-12 * b; it++) {
    const m = (a + b) / 2;
    if (total(m) < n) a = m;
    else b = m;
  }
  return kids.map((k, i) => clamp(b * desire[i]!, k.lo, k.hi));
}

/**
 * Divides n replicas among children in proportion to their desire, within [lo, hi], as whole
 * numbers: floor shares, then the remainder one by one (Karmada's static weight division): first to
 * children that already hold more than their floor (so nothing moves that need not), then by desire
 * (weight) descending, then by name. Cost O(children), independent of n.
 * The caller guarantees sum(lo) <= n <= sum(hi).
 */
export function splitByDesire(n: number, kids: readonly SplitChild[]): number[] {
  if (kids.length === 0) return [];
  let desire = kids.map((k) => k.desire);
  if (desire.every((d) => d <= 0)) desire = kids.map(() => 1);
  // When wanted children cannot take everything, unwanted ones take the rest evenly.
  let wantedRoom = 0;
  for (let i = 0; i < kids.length; i++) wantedRoom += desire[i]! > 0 ? kids[i]!.hi : kids[i]!.lo;
  if (wantedRoom < n) desire = desire.map((d) => (d > 0 ? 1e12 * d : 1));
  const real = waterFill(n, kids, desire);
  const out = real.map((x, i) => Math.max(kids[i]!.lo, Math.min(kids[i]!.hi, Math.floor(x + 1e-9))));
  let left = n;
  for (const x of out) left -= x;
  if (left === 0) return out;
  const order = kids
    .map((_, i) => i)
    .filter((i) => (left > 0 ? out[i]! < kids[i]!.hi : out[i]! > kids[i]!.lo))
    .sort((i, j) => {
      const ki = kids[i]!;
      const kj = kids[j]!;
      const hi = ki.current > out[i]! ? 1 : 0;
      const hj = kj.current > out[j]! ? 1 : 0;
      if (left > 0 && hi !== hj) return hj - hi;
      if (left < 0) {
        const li = ki.current < out[i]! ? 1 : 0;
        const lj = kj.current < out[j]! ? 1 : 0;
        if (li !== lj) return lj - li;
      }
      if (desire[i] !== desire[j]) return left > 0 ? desire[j]! - desire[i]! : desire[i]! - desire[j]!;
      return ki.name < kj.name ? -1 : ki.name > kj.name ? 1 : 0;
    });
  // Usually |left| < children; bounds can make it larger, so go round until placed.
  while (left !== 0 && order.length > 0) {
    let progressed = false;
    for (const i of order) {
      if (left === 0) break;
      if (left > 0 && out[i]! < kids[i]!.hi) {
        out[i]!++;
        left--;
        progressed = true;
      } else if (left < 0 && out[i]! > kids[i]!.lo) {
        out[i]!--;
        left++;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  return out;
}

/** A child's room by price: its leaves' (price, room) pairs, cheapest first. */
export type PriceCurve = ReadonlyArray<{ price: number; room: number }>;

/**
 * Cheapest first: every child gets its lo, then the rest goes offer by offer in ascending price over
 * all children's curves (what each can take beyond its lo; ties: the child holding more now, then
 * name), each child up to its hi. Cost O(offers log offers) per split, independent of n.
 */
export function splitByPrice(n: number, kids: readonly SplitChild[], curves: readonly PriceCurve[]): number[] {
  const out = kids.map((k) => k.lo);
  let left = n - out.reduce((a, b) => a + b, 0);
  // At equal price, room a child already fills now goes first (phase 0), so ties never move replicas.
  const offers: { price: number; room: number; kid: number; phase: number }[] = [];
  curves.forEach((curve, kid) => {
    let held = Math.max(0, kids[kid]!.current - kids[kid]!.lo);
    for (const seg of curve) {
      const mine = Math.min(held, seg.room);
      held -= mine;
      if (mine > 0) offers.push({ price: seg.price, room: mine, kid, phase: 0 });
      if (seg.room - mine > 0) offers.push({ price: seg.price, room: seg.room - mine, kid, phase: 1 });
    }
  });
  offers.sort(
    (a, b) =>
      a.price - b.price ||
      a.phase - b.phase ||
      (kids[a.kid]!.name < kids[b.kid]!.name ? -1 : kids[a.kid]!.name > kids[b.kid]!.name ? 1 : 0),
  );
  for (const o of offers) {
    if (left <= 0) break;
    const add = Math.min(left, o.room, kids[o.kid]!.hi - out[o.kid]!);
    out[o.kid]! += add;
    left -= add;
  }
  // Bounds inside children can leave room unused by the curves: fill any child still below hi.
  for (let i = 0; i < kids.length && left > 0; i++) {
    const add = Math.min(left, kids[i]!.hi - out[i]!);
    out[i]! += add;
    left -= add;
  }
  return out;
}

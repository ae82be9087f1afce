/**
 * Lowers the largest values first (water-filling from the top) by `amount` in total: the result
 * is how much to take from each entry. Ties go in index order (domains are sorted), so it is
 * deterministic. O(n log max) – never one step per replica.
 */
export function takeFromLargest(values: ArrayLike<number>, amount: number): Float64Array {
  const n = values.length;
  const take = new Float64Array(n);
  if (amount <= 0) return take;
  const above = (tau: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) if (values[i]! > tau) s += values[i]! - tau;
    return s;
  };
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, values[i]!);
  // smallest level tau with above(tau) <= amount
  let a = 0;
  let b = max;
  while (a < b) {
    const m = Math.floor((a + b) / 2);
    if (above(m) <= amount) b = m;
    else a = m + 1;
  }
  let left = amount;
  for (let i = 0; i < n; i++) {
    if (values[i]! > a) {
      take[i] = values[i]! - a;
      left -= take[i]!;
    }
  }
  for (let i = 0; i < n && left > 0; i++) {
    if (values[i]! >= a && a > 0) {
      take[i]!++;
      left--;
    }
  }
  return take;
}

export interface StepResult {
  next: Float64Array;
  /** Rebalancing moves left for later calls. */
  pending: number;
}

/**
 * One bounded step from `current` toward the policy's `ideal` (both per eligible domain, current
 * already without replicas on ineligible domains). Forced changes always happen in full: replicas
 * that must be added (lost to failed domains, scale-up) or removed (scale-down). Rebalancing moves
 * (a replica removed from one eligible domain and started on another) are capped at `budget`;
 * removals come from the most over-represented domains, additions go to the most under-represented.
 */
export function boundedStep(ideal: ArrayLike<number>, current: ArrayLike<number>, budget: number): StepResult {
  const n = ideal.length;
  const surplus = new Float64Array(n);
  const deficit = new Float64Array(n);
  let removals = 0;
  let additions = 0;
  for (let i = 0; i < n; i++) {
    const d = current[i]! - ideal[i]!;
    if (d > 0) {
      surplus[i] = d;
      removals += d;
    } else if (d < 0) {
      deficit[i] = -d;
      additions -= d;
    }
  }
  const pairs = Math.min(removals, additions);
  if (pairs <= budget) return { next: Float64Array.from(ideal as ArrayLike<number>), pending: 0 };
  const take = takeFromLargest(surplus, removals - (pairs - budget));
  const give = takeFromLargest(deficit, additions - (pairs - budget));
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) next[i] = current[i]! - take[i]! + give[i]!;
  return { next, pending: pairs - budget };
}

import type { Condition } from '../store/store.js';

type Desired = Omit<Condition, 'lastTransitionTime'>;

/** Merges new conditions into old ones, keeping lastTransitionTime unless the status changed. */
export function mergeConditions(old: readonly Condition[], next: readonly Desired[], now: number): Condition[] {
  return next.map((c) => {
    const prev = old.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  });
}

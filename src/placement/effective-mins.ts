import type { TargetRef } from '../spec/deployment.js';

/**
 * Target mins hold first; when they add up to more than the replicas, higher weight wins, then
 * name: mins are granted in that order until the replicas run out. Returns the min each target
 * actually gets, and a note per target whose min is cut.
 */
export function effectiveMins(
  replicas: number,
  refs: readonly TargetRef[],
): { mins: Map<string, number>; notes: string[] } {
  const mins = new Map<string, number>();
  const notes: string[] = [];
  const total = refs.reduce((a, t) => a + (t.min ?? 0), 0);
  if (total <= replicas) {
    for (const t of refs) if (t.min) mins.set(t.name, t.min);
    return { mins, notes };
  }
  let left = replicas;
  const order = [...refs].sort(
    (a, b) => (b.weight ?? 1) - (a.weight ?? 1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  for (const t of order) {
    const want = t.min ?? 0;
    const got = Math.min(want, left);
    left -= got;
    if (got > 0) mins.set(t.name, got);
    if (got < want)
      notes.push(
        `targets[${t.name}].min ${want} cut to ${got}: mins add up to ${total} > ${replicas} replicas (higher weight wins, then name)`,
      );
  }
  return { mins, notes };
}

import { effectiveMins } from './effective-mins.js';
import { splitByDesire } from './split.js';

export interface WeightedTarget {
  name: string;
  weight?: number;
  min?: number;
  max?: number;
  /** Replicas it holds now: the remainder goes to holders first so nothing moves needlessly. */
  current?: number;
}

/**
 * Karmada's static weight division (pkg/util/helper Dispenser.TakeByWeight): each target gets
 * floor(replicas * weight / sum of weights), then the remainder one by one by weight descending,
 * ties by name. skyfleet adds bounds: min and max hold first (a share outside [min, max] is clamped
 * and the rest re-divided by weight among the others); when the mins add up to more than the
 * replicas, higher weight wins, then name. Weight defaults to 1.
 * Throws a RangeError when the maxes leave no room for all replicas.
 */
export function divideByStaticWeight(replicas: number, targets: readonly WeightedTarget[]): Map<string, number> {
  const { mins } = effectiveMins(
    replicas,
    targets.map((t) => ({
      name: t.name,
      ...(t.weight !== undefined ? { weight: t.weight } : {}),
      ...(t.min !== undefined ? { min: t.min } : {}),
    })),
  );
  const kids = targets.map((t) => ({
    lo: mins.get(t.name) ?? 0,
    hi: t.max ?? Number.POSITIVE_INFINITY,
    desire: t.weight ?? 1,
    current: t.current ?? 0,
    name: t.name,
  }));
  const room = kids.reduce((a, k) => a + k.hi, 0);
  if (room < replicas) throw new RangeError(`the targets' max allow ${room} of ${replicas} replicas`);
  const out = splitByDesire(replicas, kids);
  return new Map(targets.map((t, i) => [t.name, out[i]!]));
}

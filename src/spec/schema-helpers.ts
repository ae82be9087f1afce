import { z } from 'zod';

/** An integer in [min, max] whose every failure reads `expected an integer min-max`. */
export function intRange(min: number, max: number) {
  const error = `expected an integer ${min}-${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A Kubernetes IntOrString budget: a count (0+) or a percentage ("25%"). */
const INT_OR_PERCENT = 'expected a count (e.g. 1) or a percentage (e.g. "25%")';
export const intOrPercent = z.union(
  [
    z.number({ error: INT_OR_PERCENT }).int({ error: INT_OR_PERCENT }).min(0, { error: INT_OR_PERCENT }),
    z.string().regex(/^\d{1,3}%$/, { error: INT_OR_PERCENT }),
  ],
  { error: INT_OR_PERCENT },
);
export type IntOrPercent = z.infer<typeof intOrPercent>;

/** Resolves an IntOrString against a total, rounding up (surge) or down (unavailable), as Kubernetes does. */
export function resolveIntOrPercent(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.slice(0, -1));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

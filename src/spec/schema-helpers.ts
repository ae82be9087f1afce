import { z } from 'zod';

/** An integer in [min, max] whose every failure reads `expected an integer min-max`. */
export function intRange(min: number, max: number) {
  const error = `expected an integer ${min}-${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A Kubernetes IntOrString budget: a count (0+) or a percentage ("25%"). */
export const intOrPercent = z.union([intRange(0, 1_000_000), z.string().regex(/^\d{1,3}%$/)], {
  error: 'expected a count (e.g. 1) or a percentage (e.g. "25%")',
});
export type IntOrPercent = z.infer<typeof intOrPercent>;

/** Resolves an IntOrString against a total, rounding up (surge) or down (unavailable), as Kubernetes does. */
export function resolveIntOrPercent(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.slice(0, -1));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

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

/** `host:port` (`[v6]:port` for IPv6): where replica traffic connects instead of a provider's own address. */
export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: 'expected host:port, e.g. 10.0.0.5:443' })
  .refine((v) => {
    const m = /:(\d{1,5})$/.exec(v); // without one, the pattern above says what is wrong
    return !m || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
  }, 'the port must be 1-65535, e.g. 10.0.0.5:443');

/** The host (brackets removed) and port of a `hostPort` value. */
export function parseHostPort(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(value.slice(colon + 1)) };
}

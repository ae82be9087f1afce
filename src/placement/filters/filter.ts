import type { PlacementOptions, Domain, DomainKey } from '../types.js';
import type { PlacementPolicy } from '../../spec/deployment.js';
import type { TemplateDemand } from '../template-demand.js';

/** What every filter sees: the request, pre-digested once. */
export interface FilterContext {
  policy: PlacementPolicy;
  demand: TemplateDemand;
  current: ReadonlyMap<DomainKey, number>;
  now: number | undefined;
  options: PlacementOptions;
  /** PlacementRequest.scaleToZero */
  scaleToZero: boolean;
}

/** `pass`, or the reason the domain cannot take replicas. `hold` keeps the domain out for now without counting it as failed. */
export type FilterVerdict = { pass: true } | { pass: false; reason: string; hold?: boolean };

/** A kube-scheduler style filter plugin: a name and a pure predicate over one domain. */
export interface DomainFilter {
  name: string;
  filter(domain: Domain, ctx: FilterContext): FilterVerdict;
}

export const PASS: FilterVerdict = { pass: true };
export const reject = (reason: string, hold?: boolean): FilterVerdict => ({
  pass: false,
  reason,
  ...(hold ? { hold } : {}),
});

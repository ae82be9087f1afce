import { parseCpu, parseMemory } from '../../spec/quantity.js';
import { type Plain, type Scope, isPlain, show } from '../scope.js';
import type { ResourcesDoc } from '../skyfleet-types.js';

/**
 * `resources.requests` / `limits` as skyfleet's one size per container: the request (what the
 * platform reserves), else the limit. A limit above the request, and resources other than cpu
 * and memory, are named in warnings.
 */
export function convertResources(scope: Scope, raw: unknown): ResourcesDoc {
  if (!isPlain(raw)) {
    scope.warn(`expected { requests, limits }, got ${show(raw)}: no resources`);
    return {};
  }
  const requests: Plain = isPlain(raw.requests) ? raw.requests : {};
  const limits: Plain = isPlain(raw.limits) ? raw.limits : {};
  for (const k of Object.keys(raw))
    if (k !== 'requests' && k !== 'limits')
      scope.warn(
        k === 'claims' ? 'skyfleet has no resource claims (dynamic resource allocation)' : 'not a field of resources',
        k,
      );
  const out: Plain = {};
  for (const r of ['cpu', 'memory'] as const) {
    const parse = r === 'cpu' ? parseCpu : parseMemory;
    const req = requests[r] as string | number | undefined;
    const lim = limits[r] as string | number | undefined;
    if (req !== undefined) {
      out[r] = req;
      if (lim !== undefined && parse(lim) !== parse(req))
        scope.warn(
          `skyfleet gives each container one ${r} size, its request (${show(req)}); the limit ${show(lim)} is not enforced separately`,
          'limits',
          r,
        );
    } else if (lim !== undefined) out[r] = lim;
  }
  for (const [where, obj] of [
    ['requests', requests],
    ['limits', limits],
  ] as const)
    for (const k of Object.keys(obj))
      if (k !== 'cpu' && k !== 'memory')
        scope.warn(
          k.includes('gpu')
            ? `skyfleet places by cpu and memory only: ${k} is not requested, so a replica may land where there is none; choose targets that have it (placement.targets)`
            : `skyfleet sizes containers by cpu and memory only: ${k} is not requested`,
          where,
          k,
        );
  return out as ResourcesDoc;
}

import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { SpreadDoc } from '../skyfleet-types.js';

/** Kubernetes topology keys and the skyfleet domain each one means. */
const KEYS: Record<string, SpreadDoc['topologyKey']> = {
  'topology.kubernetes.io/zone': 'zone',
  'failure-domain.beta.kubernetes.io/zone': 'zone',
  'topology.kubernetes.io/region': 'region',
  'failure-domain.beta.kubernetes.io/region': 'region',
};

/** `topologySpreadConstraints` as `placement.spread` (zones and regions; skyfleet has no nodes). */
export function convertSpread(scope: Scope, raw: unknown): SpreadDoc[] {
  if (!Array.isArray(raw)) {
    scope.warn(`expected a list, got ${show(raw)}: no spread`);
    return [];
  }
  const out: SpreadDoc[] = [];
  raw.forEach((c, i) => {
    const s = scope.at(i);
    if (!isPlain(c)) {
      s.warn('expected a constraint object: left out');
      return;
    }
    const key = typeof c.topologyKey === 'string' ? KEYS[c.topologyKey] : undefined;
    if (!key) {
      s.warn(
        `skyfleet spreads over providers, regions, zones and targets, not ${show(c.topologyKey)} (it has no nodes): this constraint is left out; use topology.kubernetes.io/zone or region`,
        'topologyKey',
      );
      return;
    }
    const d: Plain = { topologyKey: key, maxSkew: c.maxSkew };
    if (c.minDomains !== undefined) d.minDomains = c.minDomains;
    if (c.whenUnsatisfiable !== undefined) d.whenUnsatisfiable = c.whenUnsatisfiable;
    warnUnhandled(
      s,
      c,
      ['topologyKey', 'maxSkew', 'minDomains', 'whenUnsatisfiable', 'labelSelector'],
      {
        matchLabelKeys: "skyfleet spreads each deployment's replicas by themselves: matchLabelKeys does not apply",
        nodeAffinityPolicy: 'skyfleet has no nodes: node policies do not apply',
        nodeTaintsPolicy: 'skyfleet has no nodes: node policies do not apply',
      },
      'not a field of a skyfleet spread constraint',
    );
    out.push(d as SpreadDoc);
  });
  return out;
}

import type { Domain } from '../placement/types.js';
import type { Provider } from '../provider/provider.js';

/** The failure domains of the fleet's targets, from each provider's declared topology. */
export function domainsOf(
  providers: ReadonlyMap<string, Provider>,
  health?: ReadonlyMap<string, { healthy: boolean; reason?: string; since?: number }>,
): Domain[] {
  const out: Domain[] = [];
  for (const p of providers.values()) {
    const d = p.describe();
    for (const zone of d.topology.zones) {
      const h = health?.get(`${d.target}/${zone}`);
      out.push({
        target: d.target,
        provider: d.topology.provider,
        region: d.topology.region,
        zone,
        healthy: h?.healthy ?? true,
        ...(h?.reason ? { unhealthyReason: h.reason } : {}),
        ...(h?.healthy && h.since !== undefined ? { healthySince: h.since } : {}),
        ...(d.maxReplicasPerZone !== undefined ? { maxReplicas: d.maxReplicasPerZone } : {}),
        ...(d.pricePerReplicaHour !== undefined ? { pricePerReplicaHour: d.pricePerReplicaHour } : {}),
        capabilities: d.capabilities,
      });
    }
  }
  return out;
}

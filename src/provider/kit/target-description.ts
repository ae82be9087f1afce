import type { Capabilities, TargetDescription, Topology } from '../provider.js';

/** The settings every target may carry for placement: capacity and cost. */
export interface PlacementSettings {
  maxReplicasPerZone?: number | undefined;
  pricePerReplicaHour?: number | undefined;
}

/**
 * A provider's `describe()`: its topology and capabilities, plus the capacity and price its
 * settings declare (absent fields stay absent, so a description compares equal across providers).
 */
export function targetDescription(
  base: { target: string; kind: string; topology: Topology; capabilities: Capabilities },
  settings: PlacementSettings,
): TargetDescription {
  return {
    ...base,
    ...(settings.maxReplicasPerZone !== undefined ? { maxReplicasPerZone: settings.maxReplicasPerZone } : {}),
    ...(settings.pricePerReplicaHour !== undefined ? { pricePerReplicaHour: settings.pricePerReplicaHour } : {}),
  };
}

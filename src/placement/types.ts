import type { PlacementPolicy, PodTemplate } from '../spec/deployment.js';
import type { Capabilities } from '../provider/provider.js';

/** A failure domain replicas are spread over: one zone of one target. */
export interface Domain {
  target: string;
  provider: string;
  region: string;
  zone: string;
  healthy: boolean;
  /** Why the domain is unhealthy, e.g. `API errors since 12:03`. */
  unhealthyReason?: string;
  /** Epoch ms since when the domain has been healthy again (for the return window). */
  healthySince?: number;
  /** Most replicas this domain may hold (capacity or quota). */
  maxReplicas?: number;
  pricePerReplicaHour?: number;
  capabilities: Capabilities;
}

/** `${target}/${zone}` */
export type DomainKey = string;

export function domainKey(d: { target: string; zone: string }): DomainKey {
  return `${d.target}/${d.zone}`;
}

export interface PlacementRequest {
  replicas: number;
  policy: PlacementPolicy;
  /** The template to place (capability filters: cpu, memory, ports, probes). */
  template: PodTemplate;
  domains: readonly Domain[];
  /** The current assignment, for stability: moves as few replicas as the policy needs. */
  current?: ReadonlyMap<DomainKey, number>;
  /** Epoch ms, for the return window; from the injected clock. */
  now?: number;
}

export interface DomainAssignment {
  target: string;
  provider: string;
  region: string;
  zone: string;
  replicas: number;
}

export interface DomainExplanation {
  target: string;
  zone: string;
  considered: boolean;
  /** Why the domain was filtered out, when it was. */
  filteredBy?: string;
  score?: number;
  replicas: number;
}

export interface PlacementResult {
  /** One entry per eligible domain, in a stable order (target, then zone); replicas may be 0. */
  assignments: DomainAssignment[];
  explain: DomainExplanation[];
}

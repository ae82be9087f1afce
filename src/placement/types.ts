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

/** Engine knobs that are not part of the deployment spec (tests, the reconciler, benchmarks). */
export interface PlacementOptions {
  /**
   * Most replicas moved between eligible domains per call when the assignment is brought back to
   * the policy's (a recovered domain refilled, a weight change). Replicas on filtered or
   * unhealthy domains and scale changes are never held back by it. Default:
   * `max(1, floor(rebalanceFraction * replicas))`.
   */
  maxRebalancePerCall?: number;
  /** Fraction of the replicas that may be rebalanced per call when `maxRebalancePerCall` is absent. Default 0.25. */
  rebalanceFraction?: number;
  /**
   * `static` (default): targets share replicas by `policy.targets[].weight`.
   * `dynamic`: by the room each target has left (sum of its domains' maxReplicas), like Karmada's dynamic weight.
   */
  weighting?: 'static' | 'dynamic';
}

export interface PlacementRequest {
  replicas: number;
  policy: PlacementPolicy;
  /** The template to place (capability filters: cpu, memory, ports, probes). */
  template: PodTemplate;
  /**
   * The deployment may go down to no replica (`autoscaling.minReplicas: 0`): only targets that can
   * hold none and start one on demand (capability `scaleToZero`) take it.
   */
  scaleToZero?: boolean;
  /** The container port (number or name) the deployment's service sends to (`service.targetPort`). */
  servicePort?: number | string;
  domains: readonly Domain[];
  /** The current assignment, for stability: moves as few replicas as the policy needs. */
  current?: ReadonlyMap<DomainKey, number>;
  /** Epoch ms, for the return window; from the injected clock. */
  now?: number;
  options?: PlacementOptions;
}

export interface DomainAssignment {
  target: string;
  provider: string;
  region: string;
  zone: string;
  replicas: number;
}

/**
 * How the engine saw a domain: `eligible` (placed on), `filtered` (a filter rejected it),
 * `returning` (healthy again but inside its return window: holds no new replicas yet).
 */
export type DomainStatus = 'eligible' | 'filtered' | 'returning';

export interface DomainExplanation {
  target: string;
  zone: string;
  considered: boolean;
  /** Why the domain was filtered out, when it was: `<filter>: <reason>`. */
  filteredBy?: string;
  score?: number;
  replicas: number;
  provider?: string;
  region?: string;
  status?: DomainStatus;
  /** The filter that rejected the domain (`target-allow-list`, `domain-health`, `capability-match`, `capacity`, `return-window`). */
  filter?: string;
  /** Why (the filter's words). */
  reason?: string;
  /** Replicas the policy wants here once every bounded step is done (differs from `replicas` mid-return). */
  desired?: number;
  /** Replicas here before this call (from `current`). */
  previous?: number;
}

export interface PlacementResult {
  /** One entry per eligible domain, in a stable order (target, then zone); replicas may be 0. */
  assignments: DomainAssignment[];
  explain: DomainExplanation[];
  /** Replicas moved between domains by this call (a replica removed here and added there counts once). */
  moved?: number;
  /** Rebalancing moves still to come in later calls (bounded steps); 0 when at the policy's assignment. */
  pending?: number;
  /** Notes a reader of `plan` should see: mins not met because mins exceed replicas, domains returned early. */
  notes?: string[];
}

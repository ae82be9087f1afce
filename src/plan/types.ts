/** What one slice looks like now: one revision in one domain. */
export interface SliceState {
  target: string;
  zone: string;
  revision: string;
  replicas: number;
  ready: number;
}

/** Replicas wanted for the current revision in one domain. */
export interface DomainTarget {
  target: string;
  zone: string;
  replicas: number;
}

export interface RolloutBudget {
  /** Most replicas that may exist above `replicas` during a rollout. */
  maxSurge: number;
  /** Most replicas that may be not ready below `replicas` during a rollout. */
  maxUnavailable: number;
}

export interface PlanInput {
  /** spec.replicas */
  replicas: number;
  /** The revision to converge on. */
  revision: string;
  /** Placement of the current revision. */
  desired: readonly DomainTarget[];
  /** Every slice of the deployment that exists, any revision. */
  observed: readonly SliceState[];
  strategy: { type: 'RollingUpdate'; budget: RolloutBudget } | { type: 'Recreate' };
  /** Revisions whose template is not on record: they can only be removed whole. */
  unknownRevisions?: ReadonlySet<string>;
}

/** `repair` keeps the count and lets the provider replace broken replicas (stopped, drifted, or listed in `replace`). */
export type ActionType = 'create' | 'scale' | 'delete' | 'repair';

export interface Action {
  type: ActionType;
  target: string;
  zone: string;
  revision: string;
  from: number;
  to: number;
  reason: string;
  /** Replica ids to replace (unhealthy past their failure threshold). */
  replace?: string[];
  /** Replica ids to remove first when scaling down (drained from the load balancer). */
  remove?: string[];
}

export interface PlanStep {
  actions: Action[];
  /** True when observed state is the desired state: nothing to do, everything ready. */
  done: boolean;
  /** Why no action can be taken now while not done (waiting for readiness). */
  waitingFor?: string;
}

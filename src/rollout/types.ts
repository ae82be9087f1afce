/** Where a BlueGreen or Canary rollout stands; kept in the store, changed only by the controller and `rollout` commands. */
export interface RolloutState {
  strategy: 'BlueGreen' | 'Canary';
  /** The revision that served before this rollout (null for a first deploy). */
  stable: string | null;
  /** The revision being rolled out (the spec's). */
  canary: string;
  /** Canary: index of the current step (steps.length = all steps done). BlueGreen: 0 before promotion, 1 after. */
  step: number;
  stepStartedAt: number;
  phase: 'Progressing' | 'Paused' | 'Completed' | 'Aborted';
  /** Why it is where it is (a failed analysis, a pause waiting for promote...). */
  message: string;
  /** Held by `rollout pause` until `rollout resume`. */
  pausedByUser: boolean;
  /** Set by `rollout promote`: skip the remaining steps (Canary) or switch traffic (BlueGreen). */
  promote: boolean;
  /** Set by `rollout abort`: back to the stable revision. */
  abort: boolean;
  /** BlueGreen: when traffic switched to the new revision. */
  promotedAt?: number;
}

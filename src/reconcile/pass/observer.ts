import type { ObservedSlice } from '../../provider/provider.js';

/** What the observe phase saw: the deployment's slices, and the targets that could not be read. */
export interface Observation {
  slices: ObservedSlice[];
  /** Targets whose API failed this pass: their slices are unknown, so nothing acts on them. */
  failed: ReadonlyMap<string, Error>;
}

/**
 * The observe phase. `apply` and `plan` read one deployment and fail on any target error
 * (`DeploymentObserver`); the controller reads the whole fleet once per target and interval,
 * tolerates a failing target and feeds domain health (`FleetObserver`).
 */
export interface Observer {
  observe(deployment: string, signal?: AbortSignal): Promise<Observation>;
  /** Forgets what was read of `target`: the next observe reads it fresh (after a write). */
  invalidate?(target: string): void;
}

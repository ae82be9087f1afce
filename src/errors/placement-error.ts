import { SkyfleetError } from './skyfleet-error.js';

/**
 * `unschedulable`: cannot be placed now, may succeed when domains recover or capacity frees (retryable).
 * `unresolvable`: the policy itself can never be satisfied with the configured targets (terminal).
 */
export type PlacementErrorKind = 'unschedulable' | 'unresolvable';

export class PlacementError extends SkyfleetError {
  readonly kind: PlacementErrorKind;
  /** The constraint that failed, e.g. `spread[0] (zone, maxSkew 1)` or `targets[aws].min`. */
  readonly constraint: string;

  constructor(kind: PlacementErrorKind, constraint: string, message: string) {
    super(kind === 'unschedulable' ? 'placement_unschedulable' : 'placement_unresolvable', message, {
      retryable: kind === 'unschedulable',
    });
    this.kind = kind;
    this.constraint = constraint;
  }
}

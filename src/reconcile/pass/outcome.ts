/**
 * What one reconcile pass concluded, for its driver to act on (controller-runtime's `Result`):
 * - `done`: everything is as desired; look again at the next resync.
 * - `requeue`: the pass acted; look again after `afterMs` to take the next step.
 * - `waiting`: nothing to do until something happens (replicas becoming ready, a promote, a
 *   timed pause); look again soon, or on a provider event.
 * - `retry`: a retryable error (a provider throttled, a target could not be observed, placement
 *   waits for recovering domains); back off and try again.
 * - `terminal`: an error that repeating will not fix (invalid request, auth, quota, an
 *   unresolvable placement); stop until the spec changes.
 */
export type Outcome =
  | { type: 'done' }
  | { type: 'requeue'; afterMs: number }
  | { type: 'waiting'; reason: string }
  | { type: 'retry'; error: Error; phase: PassPhase; retryAfterMs?: number }
  | { type: 'terminal'; error: Error; phase: PassPhase };

/** The named phases of a pass, in order. */
export type PassPhase = 'observe' | 'health' | 'place' | 'plan' | 'route' | 'act';

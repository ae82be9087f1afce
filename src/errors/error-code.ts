/**
 * Every `SkyfleetError.code`: stable strings callers, scripts and the CLI can switch on. A code
 * is added here before it is used, so a misspelt one fails typecheck.
 */
export type ErrorCode =
  // input (ValidationError: the CLI exits 2, nothing is touched), configuration and lookups
  | 'invalid_input'
  | 'no_fleet'
  | 'not_found'
  | 'unknown_target'
  | 'unknown_revision'
  | 'invalid_provider'
  // providers (ProviderError)
  | 'provider_retryable'
  | 'provider_terminal'
  // autoscaling metric sources (MetricSourceError)
  | 'metrics_retryable'
  | 'metrics_terminal'
  // placement (PlacementError)
  | 'placement_unschedulable'
  | 'placement_unresolvable'
  // converging, rollouts, deletes and leadership
  | 'not_converged'
  | 'rollout_aborted'
  | 'no_rollout'
  | 'delete_incomplete'
  | 'controller_required'
  | 'lease_lost'
  // two writers of one deployment's desired state: the loser is told what won
  | 'conflict'
  | 'controller_gone'
  // the SDK's own lifecycle: a call's signal aborted it, or the fleet was closed
  | 'aborted'
  | 'fleet_closed'
  // the API server and its remote clients
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'gone'
  | 'server_unreachable'
  | 'server_error'
  // the state store
  | 'store_invalid'
  | 'store_unavailable'
  | 'store_conflict'
  | 'store_too_new'
  | 'store_error'
  // continuous deployment from git: a source's head or commit could not be read or applied (retried)
  | 'sync_failed';

import { ValidationError, type ValidationIssue } from '../../errors/validation-error.js';
import { LABELS, MANAGED_BY } from '../labels.js';
import type { SliceKey } from '../provider.js';

/**
 * The label (tag) keys that carry a resource's owner. `LABELS` where the cloud takes skyfleet's keys
 * as they are (Docker labels, ECS tags); a provider whose cloud restricts keys passes its own
 * spelling of the same keys (Cloud Run's `GCP_LABELS`, ACI's `TAGS`).
 */
export interface OwnerKeys {
  managedBy: string;
  fleet: string;
  target: string;
  deployment: string;
}

/** Whose resource to look for: a fleet, and optionally one target and one deployment of it. */
export interface Owner {
  fleet: string;
  /** Only resources labelled with this target; any target when absent. */
  target?: string;
  /** Only this deployment's resources; any deployment of the fleet when absent. */
  deployment?: string;
}

/**
 * True when the labels say skyfleet manages the resource for this fleet (and target, and
 * deployment, when given): the check before observe reports a resource or apply/remove touches it.
 */
export function isOwned(
  labels: Readonly<Record<string, string | undefined>> | undefined,
  owner: Owner,
  keys: OwnerKeys = LABELS,
): boolean {
  const l = labels ?? {};
  return (
    l[keys.managedBy] === MANAGED_BY &&
    l[keys.fleet] === owner.fleet &&
    (owner.target === undefined || l[keys.target] === owner.target) &&
    (owner.deployment === undefined || l[keys.deployment] === owner.deployment)
  );
}

/** The problem with a slice sent to a provider made for another fleet, if it is one. */
export function sliceFleetIssue(key: Pick<SliceKey, 'fleet'>, fleet: string): ValidationIssue | undefined {
  return key.fleet === fleet
    ? undefined
    : { path: 'fleet', message: `slice of fleet "${key.fleet}" sent to a provider of fleet "${fleet}"` };
}

/** Throws a ValidationError (before any call) for a slice of another fleet. */
export function assertSliceFleet(key: Pick<SliceKey, 'fleet'>, fleet: string): void {
  const issue = sliceFleetIssue(key, fleet);
  if (issue) throw new ValidationError([issue]);
}

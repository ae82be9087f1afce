import { ValidationError } from '../errors/index.js';
import { type IntOrPercent, resolveIntOrPercent } from '../spec/schema-helpers.js';
import type { RolloutBudget } from './types.js';

/**
 * Resolves maxSurge (rounded up) and maxUnavailable (rounded down) against the replica count,
 * as Kubernetes' Deployment controller does. Both zero would make progress impossible.
 */
export function rolloutBudget(replicas: number, maxSurge: IntOrPercent, maxUnavailable: IntOrPercent): RolloutBudget {
  const surge = resolveIntOrPercent(maxSurge, replicas, true);
  let unavailable = resolveIntOrPercent(maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) {
    if (typeof maxSurge === 'number' && typeof maxUnavailable === 'number') {
      throw new ValidationError([
        {
          path: 'spec.strategy.rollingUpdate',
          message:
            'maxSurge and maxUnavailable cannot both be 0: set maxSurge to 1 (or more) to roll without losing capacity',
        },
      ]);
    }
    // percentages that round to 0 on a small deployment: Kubernetes then allows one unavailable
    unavailable = 1;
  }
  return { maxSurge: surge, maxUnavailable: unavailable };
}

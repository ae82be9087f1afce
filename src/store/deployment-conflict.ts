import { SkyfleetError } from '../errors/index.js';

/**
 * A compare-and-set of a deployment's desired state that lost: another writer went first. Names
 * what is stored now, so the loser can say which revision won.
 */
export function deploymentConflict(
  name: string,
  expected: number | null,
  stored: { revision: string; generation: number } | undefined,
): SkyfleetError {
  const now = stored ? `revision ${stored.revision} (generation ${stored.generation})` : 'deleted';
  return new SkyfleetError(
    'conflict',
    `deployment ${name} was changed by another writer: expected ${expected === null ? 'no record' : `generation ${expected}`}, it is now ${now}`,
  );
}

import { SkyfleetError } from '../errors/index.js';

/**
 * A compare-and-set of a deployment's desired state that lost: another writer went first. Names
 * what is stored now, so the loser can say which revision won.
 */
export function deploymentConflict(
  name: string,
  expected: number | null,
  stored: { revision: string; generation: number; resourceVersion?: number } | undefined,
  field: 'generation' | 'resourceVersion' = 'generation',
): SkyfleetError {
  const now = stored
    ? `revision ${stored.revision} (generation ${stored.generation}${stored.resourceVersion !== undefined ? `, resourceVersion ${stored.resourceVersion}` : ''})`
    : 'deleted';
  const want =
    expected === null || (field === 'resourceVersion' && expected === 0) ? 'no record' : `${field} ${expected}`;
  return new SkyfleetError(
    'conflict',
    `deployment ${name} was changed by another writer: expected ${want}, it is now ${now}; read it again and retry`,
  );
}

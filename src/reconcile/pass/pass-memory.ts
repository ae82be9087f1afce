import type { PlacementResult } from '../../placement/types.js';
import type { PodTemplate } from '../../spec/deployment.js';
import type { Store } from '../../store/store.js';
import { RevisionTemplates } from '../templates.js';

/**
 * What a driver keeps for one deployment between passes: the last placement (so the next one is
 * stable), since when each replica has been unhealthy (self-healing), and the revision
 * templates read so far. A fresh memory gives the same pass as a restarted controller.
 */
export interface PassMemory {
  /** The spec generation the assignment was placed for. */
  generation?: number;
  assignment?: PlacementResult;
  unhealthySince: Map<string, number>;
  templates?: { revision: string; cache: RevisionTemplates };
}

export function newPassMemory(): PassMemory {
  return { unhealthySince: new Map() };
}

/** The deployment's revision templates, cached in `memory` while its revision stays. */
export function templatesOf(
  memory: PassMemory,
  store: Store,
  name: string,
  current: { revision: string; template: PodTemplate },
): RevisionTemplates {
  if (memory.templates?.revision !== current.revision)
    memory.templates = { revision: current.revision, cache: new RevisionTemplates(store, name, current) };
  return memory.templates.cache;
}

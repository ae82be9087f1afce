import { type DomainFilter, PASS, reject } from './filter.js';

/** A domain with no room at all (maxReplicas 0) is out; otherwise maxReplicas is a per-domain bound the allocator keeps. */
export const capacity: DomainFilter = {
  name: 'capacity',
  filter(d) {
    return d.maxReplicas !== undefined && d.maxReplicas <= 0 ? reject('maxReplicas is 0 (no capacity)') : PASS;
  },
};

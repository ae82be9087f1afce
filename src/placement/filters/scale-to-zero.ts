import { type DomainFilter, PASS, reject } from './filter.js';

/** A deployment that may go down to no replica is placed only where one can be started on demand. */
export const scaleToZero: DomainFilter = {
  name: 'scale-to-zero',
  filter(d, { scaleToZero: needed }) {
    if (needed && !d.capabilities.scaleToZero)
      return reject('cannot hold zero replicas and start one on demand (autoscaling.minReplicas is 0)');
    return PASS;
  },
};

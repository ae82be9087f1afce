import { type DomainFilter, PASS, reject } from './filter.js';

/** Only targets listed in `policy.targets` (when given), and not those that may hold nothing (max 0, or weight 0 without a min). */
export const targetAllowList: DomainFilter = {
  name: 'target-allow-list',
  filter(d, { policy }) {
    const refs = policy.targets;
    if (!refs) return PASS;
    const ref = refs.find((t) => t.name === d.target);
    if (!ref) return reject(`target ${d.target} is not in placement.targets`);
    if (ref.max === 0) return reject(`targets[${d.target}].max is 0`);
    if (ref.weight === 0 && !ref.min) return reject(`targets[${d.target}].weight is 0`);
    return PASS;
  },
};

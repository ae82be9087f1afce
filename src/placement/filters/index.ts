import { capabilityMatch } from './capability-match.js';
import { capacity } from './capacity.js';
import { domainHealth } from './domain-health.js';
import type { DomainFilter } from './filter.js';
import { returnWindow } from './return-window.js';
import { scaleToZero } from './scale-to-zero.js';
import { targetAllowList } from './target-allow-list.js';

export type { DomainFilter, FilterContext, FilterVerdict } from './filter.js';
export { capabilityMatch, capacity, domainHealth, returnWindow, scaleToZero, targetAllowList };

/** The filter chain in order; the first rejection names the domain's filter in explain. */
export const DEFAULT_FILTERS: readonly DomainFilter[] = [
  targetAllowList,
  domainHealth,
  capabilityMatch,
  scaleToZero,
  capacity,
  returnWindow,
];

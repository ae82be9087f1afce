import { type DomainFilter, PASS, reject } from './filter.js';

/** Unhealthy domains get no replicas; the reason is kept for explain and error messages. */
export const domainHealth: DomainFilter = {
  name: 'domain-health',
  filter(d) {
    return d.healthy ? PASS : reject(`unhealthy${d.unhealthyReason ? `: ${d.unhealthyReason}` : ''}`);
  },
};

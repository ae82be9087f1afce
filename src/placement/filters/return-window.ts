import { domainKey } from '../types.js';
import { type DomainFilter, PASS, reject } from './filter.js';

/**
 * Hysteresis for failback: a domain healthy again since `healthySince` takes new replicas only once
 * `now - healthySince >= returnAfterSeconds * 1000`. A domain that still holds replicas is not held
 * back (nothing returns to it; moving its replicas away would be churn). Held-back domains are not
 * failures: when the policy cannot hold without them, the engine uses them early.
 */
export const returnWindow: DomainFilter = {
  name: 'return-window',
  filter(d, { policy, now, current }) {
    if (d.healthySince === undefined || now === undefined) return PASS;
    if ((current.get(domainKey(d)) ?? 0) > 0) return PASS;
    const windowMs = (policy.returnAfterSeconds ?? 60) * 1000;
    const waited = now - d.healthySince;
    if (waited >= windowMs) return PASS;
    const left = Math.ceil((windowMs - waited) / 1000);
    return reject(
      `healthy again for ${Math.floor(waited / 1000)}s; replicas return after ${windowMs / 1000}s (${left}s left)`,
      true,
    );
  },
};

import type { ObservedSlice, SliceAutoscaling } from '../provider/provider.js';
import type { Action } from './types.js';

export interface NativeBoundsInput {
  revision: string;
  observed: readonly ObservedSlice[];
  /** The autoscaling a slice on this target should carry: undefined when skyfleet scales it. */
  want: (target: string) => SliceAutoscaling | undefined;
}

const same = (a: SliceAutoscaling | undefined, b: SliceAutoscaling | undefined): boolean =>
  a === b ||
  (!!a &&
    !!b &&
    a.minReplicas === b.minReplicas &&
    a.maxReplicas === b.maxReplicas &&
    a.deploymentReplicas === b.deploymentReplicas &&
    a.concurrency === b.concurrency);

const describe = (a: SliceAutoscaling | undefined): string =>
  a
    ? `${a.minReplicas}-${a.maxReplicas} of ${a.deploymentReplicas}${a.concurrency !== undefined ? `, concurrency ${a.concurrency}` : ''}`
    : 'none (skyfleet scales it)';

/**
 * A native autoscaler's bounds brought up to date, as a pure function: a slice of the current
 * revision whose target holds other bounds than the deployment now gives it (new bounds, a new
 * count to share them by, or a switch between the target's autoscaler and skyfleet's) gets a
 * `repair` that keeps its count; the apply carries the bounds.
 */
export function nativeBoundsActions(input: NativeBoundsInput): Action[] {
  return input.observed
    .filter((s) => s.key.revision === input.revision && !same(s.autoscaling, input.want(s.target)))
    .map((s) => ({
      type: 'repair' as const,
      target: s.target,
      zone: s.key.zone,
      revision: s.key.revision,
      from: s.replicas,
      to: s.replicas,
      reason: `autoscaling bounds ${describe(s.autoscaling)} -> ${describe(input.want(s.target))}`,
    }));
}

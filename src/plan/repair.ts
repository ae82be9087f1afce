import type { ObservedSlice } from '../provider/provider.js';
import type { Action } from './types.js';

export interface RepairInput {
  revision: string;
  observed: readonly ObservedSlice[];
  /** Epoch ms now. */
  now: number;
  /** When each replica (by id) was first seen unhealthy, if it is unhealthy now. */
  unhealthySince: ReadonlyMap<string, number>;
  /**
   * How long a replica may stay unhealthy before it is replaced (probe period x failure
   * threshold). Absent: unhealthy replicas are not replaced here (`apply` waits for readiness and
   * reports them; the controller, which watches them over time, replaces them).
   */
  unhealthyGraceMs?: number;
}

/**
 * Self-healing, as a pure function: slices of the current revision that hold broken replicas
 * (stopped or failed behind skyfleet's back, drifted from their spec, or unhealthy for longer
 * than their probe allows) get a `repair` action that keeps the count and lets the provider
 * replace them. Old revisions are not repaired: the rollout removes them.
 */
export function repairActions(input: RepairInput): Action[] {
  const out: Action[] = [];
  for (const s of input.observed) {
    if (s.key.revision !== input.revision) continue;
    const broken = s.replicaStatus.filter((r) => r.state === 'stopped' || r.state === 'failed' || r.drifted);
    const overdue = s.replicaStatus.filter((r) => {
      if (r.state !== 'unhealthy' || input.unhealthyGraceMs === undefined) return false;
      const since = input.unhealthySince.get(r.id);
      return since !== undefined && input.now - since >= input.unhealthyGraceMs;
    });
    if (!broken.length && !overdue.length) continue;
    const why = [
      ...broken.map(
        (r) => `${r.name} ${r.drifted ? 'drifted from its spec' : r.state}${r.message ? ` (${r.message})` : ''}`,
      ),
      ...overdue.map(
        (r) =>
          `${r.name} unhealthy for ${Math.round((input.now - input.unhealthySince.get(r.id)!) / 1000)}s${r.message ? ` (${r.message})` : ''}`,
      ),
    ];
    out.push({
      type: 'repair',
      target: s.target,
      zone: s.key.zone,
      revision: s.key.revision,
      from: s.replicas,
      to: s.replicas,
      reason: `replace ${why.join('; ')}`,
      ...(overdue.length ? { replace: overdue.map((r) => r.id) } : {}),
    });
  }
  return out;
}

/** Repairs for slices the step does not already act on (one operation per slice at a time). */
export function mergeRepairs(step: readonly Action[], repairs: readonly Action[]): Action[] {
  const key = (a: Action) => `${a.target}/${a.zone}/${a.revision}`;
  const out = step.map((a) => ({ ...a }));
  const busy = new Map(out.map((a) => [key(a), a]));
  for (const r of repairs) {
    const a = busy.get(key(r));
    if (!a) out.push(r);
    else if (a.to > 0) {
      // the step acts on this slice anyway: it carries the repair (and says so)
      if (r.replace?.length) a.replace = [...(a.replace ?? []), ...r.replace];
      a.reason = `${a.reason}; ${r.reason}`;
    }
  }
  return out;
}

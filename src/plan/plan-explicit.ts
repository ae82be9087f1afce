import type { Action, PlanStep, SliceState } from './types.js';

export interface ExplicitTarget {
  target: string;
  zone: string;
  revision: string;
  replicas: number;
}

export interface ExplicitInput {
  /** Replicas wanted per revision and domain (a BlueGreen or Canary step); absent = 0. */
  desired: readonly ExplicitTarget[];
  observed: readonly SliceState[];
}

const key = (s: { target: string; zone: string; revision: string }) => `${s.target}/${s.zone}/${s.revision}`;

/**
 * The next step toward explicit per-revision counts, make-before-break: every shortfall is
 * created at once (the rollout decided how much runs side by side); replicas that are not wanted
 * go when they are not ready, or once everything wanted is ready. Pure and deterministic.
 */
export function planExplicit(input: ExplicitInput): PlanStep {
  const want = new Map(input.desired.filter((d) => d.replicas > 0).map((d) => [key(d), d]));
  const have = new Map(input.observed.map((s) => [key(s), s]));
  const actions: Action[] = [];
  const sorted = <T extends { target: string; zone: string; revision: string }>(xs: Iterable<T>) =>
    [...xs].sort((a, b) => key(a).localeCompare(key(b)));

  for (const d of sorted(want.values())) {
    const s = have.get(key(d));
    const from = s?.replicas ?? 0;
    if (from < d.replicas) {
      actions.push({
        type: s ? 'scale' : 'create',
        target: d.target,
        zone: d.zone,
        revision: d.revision,
        from,
        to: d.replicas,
        reason: `${d.replicas} of ${d.revision} wanted in ${d.target}/${d.zone}`,
      });
    }
  }
  const allWantedReady = [...want.values()].every((d) => (have.get(key(d))?.ready ?? 0) >= d.replicas);
  for (const s of sorted(have.values())) {
    const wanted = want.get(key(s))?.replicas ?? 0;
    if (s.replicas <= wanted) continue;
    const extra = s.replicas - wanted;
    const unready = s.replicas - s.ready;
    const remove = allWantedReady ? extra : Math.min(extra, unready);
    if (remove <= 0) continue;
    const to = s.replicas - remove;
    actions.push({
      type: to === 0 ? 'delete' : 'scale',
      target: s.target,
      zone: s.zone,
      revision: s.revision,
      from: s.replicas,
      to,
      reason: wanted
        ? `${wanted} of ${s.revision} wanted in ${s.target}/${s.zone}`
        : `${s.revision} no longer wanted in ${s.target}/${s.zone}`,
    });
  }
  const done =
    actions.length === 0 &&
    allWantedReady &&
    [...have.values()].every((s) => (want.get(key(s))?.replicas ?? 0) === s.replicas && s.ready === s.replicas);
  if (done || actions.length) return { actions, done };
  const notReady = [...want.values()].filter((d) => (have.get(key(d))?.ready ?? 0) < d.replicas);
  return {
    actions,
    done: false,
    waitingFor: `readiness: ${notReady.map((d) => `${d.target}/${d.zone} ${d.revision} ${have.get(key(d))?.ready ?? 0}/${d.replicas}`).join(', ') || 'replicas'}`,
  };
}

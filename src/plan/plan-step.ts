import type { Action, DomainTarget, PlanInput, PlanStep, SliceState } from './types.js';

const dk = (s: { target: string; zone: string }) => `${s.target}/${s.zone}`;

/**
 * The next batch of actions that moves observed toward desired, level-based: given only what
 * exists now, it never lets more than replicas+maxSurge replicas exist nor fewer than
 * replicas-maxUnavailable be ready (counted over the whole deployment, every domain), the
 * bounds of a Kubernetes rolling update. Pure and deterministic.
 */
export function planStep(input: PlanInput): PlanStep {
  const { revision } = input;
  const desired = new Map<string, DomainTarget>(input.desired.filter((d) => d.replicas > 0).map((d) => [dk(d), d]));
  const slices = [...input.observed].sort((a, b) => `${dk(a)}/${a.revision}`.localeCompare(`${dk(b)}/${b.revision}`));
  const current = new Map<string, SliceState>(slices.filter((s) => s.revision === revision).map((s) => [dk(s), s]));

  const done =
    slices.every(
      (s) => s.revision === revision && s.replicas === (desired.get(dk(s))?.replicas ?? 0) && s.ready === s.replicas,
    ) && [...desired.values()].every((d) => current.get(dk(d))?.replicas === d.replicas);
  if (done) return { actions: [], done: true };

  if (input.strategy.type === 'Recreate') return recreateStep(input, slices, desired, current);

  const { maxSurge, maxUnavailable } = input.strategy.budget;
  const maxTotal = input.replicas + maxSurge;
  const minReady = input.replicas - maxUnavailable;
  const total = slices.reduce((a, s) => a + s.replicas, 0);
  const ready = slices.reduce((a, s) => a + s.ready, 0);
  const actions: Action[] = [];
  const next = new Map<SliceState, number>(slices.map((s) => [s, s.replicas]));

  // 1. Scale down what is not wanted: old revisions and current-revision excess. Not-ready replicas
  //    go first and cost no availability; ready ones only while ready stays >= replicas - maxUnavailable.
  const downs: Action[] = [];
  let removed = 0;
  let budget = ready - minReady;
  const excess = slices
    .map((s) => ({ s, extra: s.revision === revision ? s.replicas - (desired.get(dk(s))?.replicas ?? 0) : s.replicas }))
    .filter((x) => x.extra > 0);
  const unknown = input.unknownRevisions ?? new Set<string>();
  // most over-represented first; old revisions before current-revision excess
  excess.sort(
    (a, b) =>
      Number(a.s.revision === revision) - Number(b.s.revision === revision) ||
      b.extra - a.extra ||
      dk(a.s).localeCompare(dk(b.s)),
  );
  for (const { s, extra } of excess) {
    const unready = s.replicas - s.ready;
    const freeRemovals = Math.min(extra, unready);
    let remove = freeRemovals;
    const readyRemovals = Math.max(0, Math.min(extra - freeRemovals, budget));
    remove += readyRemovals;
    if (unknown.has(s.revision) && remove < s.replicas) {
      // no template on record: the slice can only be removed whole, when the budget allows it
      if (s.ready <= budget) remove = s.replicas;
      else continue;
    }
    if (remove <= 0) continue;
    budget -= Math.max(0, remove - unready);
    removed += remove;
    const to = s.replicas - remove;
    next.set(s, to);
    const why =
      s.revision === revision
        ? `more than the ${desired.get(dk(s))?.replicas ?? 0} wanted in ${dk(s)}`
        : `replaced by ${revision}`;
    downs.push({
      type: to === 0 ? 'delete' : 'scale',
      target: s.target,
      zone: s.zone,
      revision: s.revision,
      from: s.replicas,
      to,
      reason: `${why}${s.revision !== revision && remove > unready && to > 0 ? ` (maxUnavailable ${maxUnavailable})` : ''}`,
    });
  }

  // 2. Scale the current revision up where it is short, within the surge budget as it is once
  //    this step's removals are done (act removes before it adds); largest deficit first. A
  //    replacement therefore starts in the same step that removes the replica it replaces.
  const ups: Action[] = [];
  let room = maxTotal - (total - removed);
  const deficits = [...desired.values()]
    .map((d) => ({ d, short: d.replicas - (current.get(dk(d))?.replicas ?? 0) }))
    .filter((x) => x.short > 0)
    .sort((a, b) => b.short - a.short || dk(a.d).localeCompare(dk(b.d)));
  const hasOld = slices.some((s) => s.revision !== revision);
  for (const { d, short } of deficits) {
    if (room <= 0) break;
    const add = Math.min(short, room);
    room -= add;
    const s = current.get(dk(d));
    const from = s?.replicas ?? 0;
    ups.push({
      type: s ? 'scale' : 'create',
      target: d.target,
      zone: d.zone,
      revision,
      from,
      to: from + add,
      reason: hasOld
        ? `rolling update: ${add} new replica${add === 1 ? '' : 's'} of ${revision} (surge budget ${maxSurge})`
        : `${from + add} of ${d.replicas} wanted in ${dk(d)}`,
    });
  }

  actions.push(...ups, ...downs);

  // 3. An unknown revision that blocks all progress is removed whole: it cannot be scaled without its template.
  if (actions.length === 0) {
    const blocker = slices.find((s) => unknown.has(s.revision) && s.revision !== revision);
    if (blocker && room <= 0) {
      actions.push({
        type: 'delete',
        target: blocker.target,
        zone: blocker.zone,
        revision: blocker.revision,
        from: blocker.replicas,
        to: 0,
        reason: `revision ${blocker.revision} has no template on record and blocks the rollout: removed whole`,
      });
    }
  }

  if (actions.length) return { actions, done: false };
  const notReady = slices.filter((s) => s.ready < s.replicas);
  return {
    actions: [],
    done: false,
    waitingFor: notReady.length
      ? `readiness: ${notReady.map((s) => `${dk(s)} ${s.revision} ${s.ready}/${s.replicas}`).join(', ')}`
      : 'readiness',
  };
}

function recreateStep(
  input: PlanInput,
  slices: SliceState[],
  desired: Map<string, DomainTarget>,
  current: Map<string, SliceState>,
): PlanStep {
  const old = slices.filter((s) => s.revision !== input.revision);
  if (old.length) {
    return {
      done: false,
      actions: old.map((s) => ({
        type: 'delete' as const,
        target: s.target,
        zone: s.zone,
        revision: s.revision,
        from: s.replicas,
        to: 0,
        reason: `recreate: remove ${s.revision} before ${input.revision} starts`,
      })),
    };
  }
  const actions: Action[] = [];
  for (const d of desired.values()) {
    const s = current.get(dk(d));
    if ((s?.replicas ?? 0) !== d.replicas) {
      actions.push({
        type: s ? 'scale' : 'create',
        target: d.target,
        zone: d.zone,
        revision: input.revision,
        from: s?.replicas ?? 0,
        to: d.replicas,
        reason: `${d.replicas} wanted in ${dk(d)}`,
      });
    }
  }
  for (const s of current.values()) {
    if (!desired.has(dk(s)))
      actions.push({
        type: 'delete',
        target: s.target,
        zone: s.zone,
        revision: s.revision,
        from: s.replicas,
        to: 0,
        reason: `no replicas wanted in ${dk(s)}`,
      });
  }
  return actions.length ? { actions, done: false } : { actions, done: false, waitingFor: 'readiness' };
}

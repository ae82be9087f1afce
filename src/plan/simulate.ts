import { planStep } from './plan-step.js';
import type { Action, PlanInput, SliceState } from './types.js';

/** Applies actions to a state, as a provider would: counts change, new replicas not yet ready. */
export function applyActions(observed: readonly SliceState[], actions: readonly Action[]): SliceState[] {
  const out = observed.map((s) => ({ ...s }));
  for (const a of actions) {
    const i = out.findIndex((s) => s.target === a.target && s.zone === a.zone && s.revision === a.revision);
    if (a.to === 0) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i < 0) out.push({ target: a.target, zone: a.zone, revision: a.revision, replicas: a.to, ready: 0 });
    else {
      const s = out[i]!;
      if (a.to < s.replicas) {
        // providers remove not-ready replicas first
        const removed = s.replicas - a.to;
        const unready = s.replicas - s.ready;
        s.ready -= Math.max(0, removed - unready);
      }
      s.replicas = a.to;
    }
  }
  return out;
}

/**
 * The whole sequence of steps from observed to desired, assuming every replica becomes ready
 * before the next step: what `plan` shows. Bounded, so a policy that cannot progress ends.
 */
export function simulatePlan(input: PlanInput, maxSteps = 1000): { steps: Action[][]; converges: boolean } {
  const steps: Action[][] = [];
  let observed = input.observed.map((s) => ({ ...s }));
  for (let i = 0; i < maxSteps; i++) {
    const step = planStep({ ...input, observed });
    if (step.done) return { steps, converges: true };
    if (step.actions.length === 0) {
      // waiting: in the simulation every replica becomes ready
      if (observed.every((s) => s.ready === s.replicas)) return { steps, converges: false };
      observed = observed.map((s) => ({ ...s, ready: s.replicas }));
      continue;
    }
    steps.push(step.actions);
    observed = applyActions(observed, step.actions);
  }
  return { steps, converges: false };
}

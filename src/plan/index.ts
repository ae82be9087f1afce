export * from './types.js';
export { planStep } from './plan-step.js';
export { simulatePlan, applyActions } from './simulate.js';
export { rolloutBudget } from './budget.js';
export { repairActions, mergeRepairs, type RepairInput } from './repair.js';
export { nativeBoundsActions, type NativeBoundsInput } from './native-bounds.js';
export { planExplicit, type ExplicitInput, type ExplicitTarget } from './plan-explicit.js';

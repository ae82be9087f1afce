export type { RolloutState } from './types.js';
export { rolloutStep, type RolloutDecision, type RolloutInput, type RolloutEvent } from './rollout-step.js';
export { analyse, parseThreshold, type TrafficStats, type Verdict } from './analysis.js';
export { durationMs } from './durations.js';

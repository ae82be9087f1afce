export {
  decideScale,
  formatScaleEvent,
  type DecideInput,
  type Decision,
  type ScaleCause,
  type ScaleDirection,
  type ScaleEvent,
} from './decide.js';
export {
  recommend,
  metricStatus,
  metricText,
  activityOf,
  type Recommendation,
  type RecommendInput,
  type MetricStatus,
  type HeldMetric,
  type HoldReason,
  type Activity,
} from './recommend.js';
export {
  stabilize,
  rateLimit,
  scaleUpLimit,
  scaleDownLimit,
  type Limited,
  type StabilizeInput,
  type RateLimitInput,
} from './behavior.js';
export { panicStep, type PanicInput, type PanicResult } from './panic.js';
export {
  initialAutoscalerState,
  pruneState,
  compactRecommendations,
  stateHorizons,
  type AutoscalerState,
  type TimedRecommendation,
  type ScaleChange,
  type PanicState,
  type LastScale,
} from './autoscaler-state.js';
export { autoscalerOptions, DEFAULT_AUTOSCALER_OPTIONS, type AutoscalerOptions } from './autoscaler-options.js';
export type { MetricSource, MetricSample, MetricSamples, MetricQuery } from './metric-source.js';
export { MemoryMetricSource, type MemoryMetricKey } from './memory-metric-source.js';

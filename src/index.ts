export {
  createFleet,
  type Fleet,
  type FleetOptions,
  type RemoteFleetOptions,
  type PlanResult,
  type DeploymentStatus,
  type DeleteResult,
} from './fleet.js';
export type { RemoteFleet, WatchEvent } from './remote/index.js';
export * from './errors/index.js';
export * from './spec/index.js';
export type * from './provider/provider.js';
export { isWatchable } from './provider/provider.js';
export { LABELS } from './provider/labels.js';
export type {
  ProviderDescriptor,
  ProviderFactory,
  ProviderSpecificationVersion,
  TargetSettings,
  TargetSettingsSchema,
} from './provider/descriptor.js';
export { ProviderRegistry, type TargetSchema } from './provider/registry.js';
export {
  registerProvider,
  createProvider,
  providerRegistry,
  builtinProviders,
  type BuiltinTargetSpec,
  type BuiltinTargetSpecInput,
  type BuiltinTargetKind,
} from './builtin-providers.js';
export {
  place,
  domainKey,
  type Domain,
  type PlacementRequest,
  type PlacementResult,
  type DomainAssignment,
} from './placement/index.js';
export { planStep, simulatePlan, type Action, type PlanStep } from './plan/index.js';
export type { ConvergeOptions, ConvergeResult } from './reconcile/converge.js';
export type { Progress, DomainProgress } from './reconcile/progress.js';
export { secretEnvName, type SecretResolver, type SecretRef } from './reconcile/secrets.js';
export type { Store, DeploymentRecord, RevisionRecord, EventRecord } from './store/store.js';
export { SqliteStore } from './store/sqlite-store.js';
export { type Clock, systemClock, ManualClock } from './util/clock.js';
export type { Logger } from './log/logger.js';
export { FileCallLog, MemoryCallLog, type CallLog, type CallLogEntry } from './calllog/index.js';
export {
  Router,
  nginxUpstreamConfig,
  healthCheckFromProbe,
  type RouteEndpoint,
  type RouterOptions,
  type Balancing,
  type RevisionStats,
} from './traffic/index.js';
export { rolloutStep, type RolloutState, type RolloutDecision } from './rollout/index.js';
export {
  decideScale,
  formatScaleEvent,
  initialAutoscalerState,
  MemoryMetricSource,
  type DecideInput,
  type Decision,
  type ScaleEvent,
  type AutoscalerState,
  type AutoscalerOptions,
  type MetricSource,
  type MetricSample,
  type MetricSamples,
  type MetricQuery,
  type MetricStatus,
  type HeldMetric,
} from './autoscaling/index.js';
export type { RolloutControls, RolloutStatus } from './fleet.js';
export type { ControllerOptions, PassReport } from './reconcile/controller.js';
export { createControllerMetrics, type ControllerMetrics } from './reconcile/metrics.js';
export { PostgresStore } from './store/postgres-store.js';
export type { AutoscalingView } from './operations/autoscaling-status.js';
export type { AutoscalerStatus } from './reconcile/autoscale/autoscaler-record.js';

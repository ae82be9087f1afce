export { Router } from './router.js';
export { nginxUpstreamConfig, nginxUpstreamName, nginxServerWeights, type NginxConfigOptions } from './nginx.js';
export { healthCheckFromProbe } from './probe.js';
export { type RouterTimers, systemTimers, ManualTimers } from './timers.js';
export type {
  RouteEndpoint,
  RouterOptions,
  HealthCheckOptions,
  EjectionOptions,
  RetryOptions,
  EndpointState,
  EndpointHealth,
  RevisionStats,
} from './types.js';

export { type ActivationOptions, Activator, type Holdable } from './activator.js';
export { Router } from './router.js';
export { NginxDataPlane, type NginxDataPlaneOptions, findNginx } from './nginx-data-plane.js';
export {
  nginxUpstreamConfig,
  nginxUpstreamName,
  nginxServerWeights,
  nginxDataPlaneConfig,
  nginxServerAddress,
  NGINX_EXPORT_TLS,
  type NginxConfigOptions,
  type NginxTlsOptions,
} from './nginx.js';
export { healthCheckFromProbe } from './probe.js';
export { type RouterTimers, systemTimers, ManualTimers } from './timers.js';
export type {
  RouteEndpoint,
  RouterOptions,
  Balancing,
  HealthCheckOptions,
  EjectionOptions,
  RetryOptions,
  EndpointState,
  EndpointHealth,
  RevisionStats,
  DataPlane,
  IdentityTokenSource,
} from './types.js';

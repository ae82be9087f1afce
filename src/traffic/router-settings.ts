import type { HealthCheck } from './health-check.js';
import type { ProxySettings } from './proxy-core.js';
import { rawTcpAvailable } from './raw-tcp-socket.js';
import { SPARE_IDLE_MS } from './upstream-conn.js';
import type { Balancing, RouterOptions } from './types.js';

/** RouterOptions with their defaults, checked. */
export interface RouterSettings {
  health: HealthCheck | null;
  /** Consecutive failures that eject (0: never). */
  ejectAfter: number;
  ejectOn5xx: boolean;
  baseEjectionMs: number;
  maxEjectionMs: number;
  drainTimeoutMs: number;
  statsWindowMs: number;
  listen: { host: string; port: number };
  proxy: ProxySettings;
  /** The shortest socket timeout (the idle-timeout sweep runs at an eighth of it). */
  shortestTimeoutMs: number;
  /** Endpoints within a revision by fewest in-flight requests (RouterOptions.balancing). */
  leastRequest: boolean;
}

export function routerSettings(options: RouterOptions): RouterSettings {
  const hc = options.healthCheck;
  const health: HealthCheck | null = hc
    ? {
        path: hc.path ?? '/',
        headers: hc.headers ?? {},
        intervalMs: positive(hc.intervalMs ?? 10_000, 'healthCheck.intervalMs'),
        timeoutMs: positive(hc.timeoutMs ?? 1_000, 'healthCheck.timeoutMs'),
        healthyThreshold: Math.max(1, hc.healthyThreshold ?? 1),
        unhealthyThreshold: Math.max(1, hc.unhealthyThreshold ?? 3),
      }
    : null;
  const ej = options.ejection ?? {};
  const baseEjectionMs = positive(ej.baseEjectionMs ?? 10_000, 'ejection.baseEjectionMs');
  const proxy: ProxySettings = {
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
    clientIdleTimeoutMs: options.clientIdleTimeoutMs ?? 60_000,
    maxIdlePerEndpoint: options.maxIdlePerEndpoint ?? 32,
    upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 30_000,
    retryAttempts: Math.min(1, Math.max(0, options.retry?.attempts ?? 1)),
    preconnect: Math.max(0, options.preconnect ?? 0),
    rawTcp: (options.upstreamTransport ?? 'raw') === 'raw' && rawTcpAvailable(),
    upstreamCa: options.upstreamTls?.ca,
    identityTokens: options.identityTokens,
  };
  const timeouts = [
    proxy.connectTimeoutMs,
    proxy.upstreamTimeoutMs,
    proxy.clientIdleTimeoutMs,
    proxy.upstreamIdleTimeoutMs,
    SPARE_IDLE_MS,
  ].filter((t) => t > 0);
  return {
    health,
    ejectAfter: Math.max(0, ej.consecutiveFailures ?? 5),
    ejectOn5xx: ej.on5xx ?? false,
    baseEjectionMs,
    maxEjectionMs: Math.max(baseEjectionMs, ej.maxEjectionMs ?? 300_000),
    drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    statsWindowMs: options.statsWindowMs ?? 300_000,
    listen: { host: options.listen?.host ?? '127.0.0.1', port: options.listen?.port ?? 0 },
    proxy,
    shortestTimeoutMs: Math.min(...timeouts),
    leastRequest: checkBalancing(options.balancing) === 'least-request',
  };
}

/** RouterOptions.balancing checked, with its default. */
export function checkBalancing(value: unknown): Balancing {
  if (value === undefined || value === 'least-request' || value === 'round-robin') return value ?? 'round-robin';
  throw new TypeError(
    `Router: balancing must be 'least-request' or 'round-robin' (got ${JSON.stringify(value)}); leave it out for round-robin`,
  );
}

function positive(n: number, what: string): number {
  if (!(n > 0 && Number.isFinite(n))) throw new TypeError(`Router: ${what} must be a positive number`);
  return n;
}

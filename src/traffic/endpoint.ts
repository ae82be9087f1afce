import type { Pickable } from './balancer.js';
import type { EndpointCounters, EndpointLabels, LatencySeries } from './metrics.js';
import type { WindowStats } from './stats.js';
import type { EndpointHealth, EndpointState, RouteEndpoint } from './types.js';

/** The status class index (0..4 for 1xx..5xx) of a status code. */
export function codeClass(status: number): number {
  const c = Math.floor(status / 100) - 1;
  return c < 0 ? 0 : Math.min(c, 4);
}

/** Router-internal state of one endpoint; plain fields, bumped on the hot path. */
export class Ep implements Pickable, EndpointCounters {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly healthPort: number;
  /** RouteEndpoint.serverName: TLS as this name, and this Host header; null for plain TCP. */
  readonly serverName: string | null;
  /** RouteEndpoint.identityAudience: requests carry an identity token for it; null for none. */
  readonly identityAudience: string | null;
  readonly revision: string;
  readonly target: string;
  readonly zone: string;
  weight: number;
  readonly labels: EndpointLabels;

  health: EndpointHealth;
  everReady: boolean;
  removed = false;
  inRotation = false;

  ejectedUntil = 0;
  /** Ejections in a row (multiplies the period). */
  ejections = 0;
  ejectionsTotal = 0;
  lastReadmitAt = 0;
  consecutiveFailures = 0;

  inFlight = 0;
  cw = 0;
  requests = 0;
  errors = 0;
  readonly codes = new Float64Array(5);
  readonly errs = new Float64Array(5);

  checksOk = 0;
  checksFailed = 0;
  okInRow = 0;
  failedInRow = 0;
  checking = false;

  hcTimer: unknown = null;
  ejectTimer: unknown = null;
  drainTimer: unknown = null;

  /** Idle keep-alive upstream sockets (objects of the proxy module). */
  readonly idle: unknown[] = [];
  /** Upstream connections serving a request now (for drain timeouts). */
  readonly busy = new Set<{ abort(): void }>();
  readonly drainWaiters: Array<() => void> = [];

  constructor(
    spec: RouteEndpoint,
    deployment: string,
    activeChecks: boolean,
    readonly stats: WindowStats,
    readonly latency: LatencySeries,
  ) {
    this.id = spec.id;
    this.host = spec.host;
    this.port = spec.port;
    this.healthPort = spec.healthPort ?? spec.port;
    this.serverName = spec.serverName ?? null;
    this.identityAudience = spec.identityAudience ?? null;
    this.revision = spec.revision;
    this.target = spec.target;
    this.zone = spec.zone;
    this.weight = spec.weight ?? 1;
    this.labels = { deployment, revision: spec.revision, target: spec.target, zone: spec.zone, endpoint: spec.id };
    this.health = activeChecks ? 'pending' : 'ready';
    this.everReady = !activeChecks;
  }

  /** What a health check reaches: the address, the checked port and the TLS name. */
  static addressKey(ep: Pick<Ep, 'host' | 'healthPort' | 'port' | 'serverName'>): string {
    return `${ep.host}|${ep.port}|${ep.healthPort}|${ep.serverName ?? ''}`;
  }

  /** Same address and identity (a change of any of these replaces the endpoint). */
  sameAs(spec: RouteEndpoint): boolean {
    return (
      this.host === spec.host &&
      this.port === spec.port &&
      this.healthPort === (spec.healthPort ?? spec.port) &&
      this.serverName === (spec.serverName ?? null) &&
      this.identityAudience === (spec.identityAudience ?? null) &&
      this.revision === spec.revision &&
      this.target === spec.target &&
      this.zone === spec.zone
    );
  }

  /** What `Router.endpoints()` reports of it. */
  state(): EndpointState {
    const s: EndpointState = {
      id: this.id,
      host: this.host,
      port: this.port,
      revision: this.revision,
      target: this.target,
      zone: this.zone,
      weight: this.weight,
      health: this.health,
      ejections: this.ejections,
      draining: this.removed,
      inRotation: this.inRotation,
      inFlight: this.inFlight,
      requests: this.requests,
      errors: this.errors,
      consecutiveFailures: this.consecutiveFailures,
      checks: this.checksOk + this.checksFailed,
    };
    if (this.ejectedUntil > 0) s.ejectedUntil = this.ejectedUntil;
    if (this.serverName !== null) s.serverName = this.serverName;
    if (this.identityAudience !== null) s.identityAudience = this.identityAudience;
    return s;
  }
}

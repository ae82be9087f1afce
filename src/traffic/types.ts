import type { ActivationOptions } from './activator.js';
import type { Registry } from 'prom-client';
import type { RouterTimers } from './timers.js';

/** One replica the router may send traffic to. `id` is stable across calls to `setEndpoints`. */
export interface RouteEndpoint {
  id: string;
  host: string;
  port: number;
  /** The deployment revision (template hash) this replica runs. */
  revision: string;
  /** The target (cloud/host) name, a metric label. */
  target: string;
  /** The zone within the target, a metric label. */
  zone: string;
  /**
   * Relative weight within its revision (per-domain weight, e.g. prefer the local host), a
   * positive number; default 1. 0 means "never pick", like an nginx `down` server.
   */
  weight?: number;
  /** Port the active health check probes, when it differs from `port`. */
  healthPort?: number;
  /**
   * Reach it over TLS, as this name (a cloud's HTTPS endpoint, e.g. Cloud Run's
   * `<service>.run.app`): the name is sent as SNI, the certificate must be valid for it (against
   * the system's roots, or `RouterOptions.upstreamTls.ca`), and it replaces the client's Host
   * header, since the platform routes on Host. Plain TCP when absent.
   */
  serverName?: string;
  /**
   * Send `X-Serverless-Authorization: Bearer <token>` with every request and health check, the
   * token for this audience from `RouterOptions.identityTokens` (Cloud Run's invoker check).
   */
  identityAudience?: string;
}

/** The current identity token for an audience, or undefined when there is none (yet). */
export type IdentityTokenSource = (audience: string) => string | undefined;

/** Active health checking (from a readiness probe). */
export interface HealthCheckOptions {
  /** HTTP path to GET; a 2xx or 3xx answer is a success. Default '/'. */
  path?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Time between checks of one endpoint. Default 10 000 ms. */
  intervalMs?: number;
  /** A check that takes longer fails. Default 1 000 ms. */
  timeoutMs?: number;
  /** Consecutive successes that make a (new or unhealthy) endpoint ready. Default 1. */
  healthyThreshold?: number;
  /** Consecutive failures that take a ready endpoint out of rotation. Default 3. */
  unhealthyThreshold?: number;
}

/** Passive ejection (outlier detection) from real traffic. */
export interface EjectionOptions {
  /** Consecutive failures (connect error, reset, timeout; 5xx if `on5xx`) that eject. Default 5; 0 disables. */
  consecutiveFailures?: number;
  /** Count 5xx answers of the upstream as failures. Default false. */
  on5xx?: boolean;
  /** First ejection period; the n-th ejection in a row lasts n times as long. Default 10 000 ms. */
  baseEjectionMs?: number;
  /** Cap of the ejection period. Default 300 000 ms. */
  maxEjectionMs?: number;
}

export interface RetryOptions {
  /** Extra attempts on another endpoint after a connect failure. 0 or 1; default 1. */
  attempts?: number;
}

/** How an endpoint is picked within a revision (RouterOptions.balancing). */
export type Balancing = 'least-request' | 'round-robin';

export interface RouterOptions {
  /** The deployment name (the `deployment` metric label). */
  name: string;
  /** Where to listen. Default 127.0.0.1, port 0 (any free port). */
  listen?: { host?: string; port?: number };
  /** Active health checks; when absent, endpoints are ready as soon as they are set. */
  healthCheck?: HealthCheckOptions;
  /** Passive ejection; defaults apply when absent. `{ consecutiveFailures: 0 }` disables it. */
  ejection?: EjectionOptions;
  retry?: RetryOptions;
  /**
   * TLS to endpoints with a `serverName`: the certificate authorities to trust instead of the
   * system's (PEM), e.g. a test CA. Certificates are always verified.
   */
  upstreamTls?: { ca?: string | Buffer | Array<string | Buffer> };
  /** Identity tokens for endpoints with an `identityAudience` (never logged or reported). */
  identityTokens?: IdentityTokenSource;
  /**
   * Upstream connect timeout. Default 5 000 ms. This and the other socket timeouts below are
   * checked by one interval timer per router: they fire late by at most a quarter of the
   * shortest of them (2 s at most), never early.
   */
  connectTimeoutMs?: number;
  /** Upstream idle timeout while a response is awaited or streams (504 before the head). Default 60 000 ms. */
  upstreamTimeoutMs?: number;
  /** Idle client keep-alive connections are closed after this. Default 60 000 ms. */
  clientIdleTimeoutMs?: number;
  /** Idle keep-alive upstream sockets kept per endpoint. Default 32. */
  maxIdlePerEndpoint?: number;
  /**
   * Spare connections opened ahead of need per endpoint whose upstream closes the connection
   * after every response (HTTP/1.0-style servers such as busybox httpd), so a request does not
   * wait for a TCP handshake (Envoy calls this preconnect). Spares idle for 4 s are closed.
   * Default 0 (off): on a host whose CPU the replicas share, each spare is a forked server process
   * and a docker-proxy dial held in advance, and bench/router measured the p99 about halved
   * without them at the same requests per second.
   */
  preconnect?: number;
  /**
   * How plain-TCP upstream connections are made: `raw` on libuv's TCP handle directly (about half
   * the CPU of a net.Socket per connection; src/traffic/raw-tcp-socket.ts), or `net`
   * (net.Socket). Default `raw` where this Node offers it, else `net`. TLS upstreams, hosts that
   * are names rather than IP addresses, and upgraded (WebSocket) exchanges always use net/tls.
   */
  upstreamTransport?: 'raw' | 'net';
  /**
   * How an endpoint is chosen within a revision (revisions are always split by smooth weighted
   * round robin): `round-robin` (default, as nginx, Envoy and HAProxy do), smooth weighted round
   * robin regardless of in-flight requests, which spreads work evenly; or `least-request`, the
   * fewest in-flight requests relative to weight, ties by weighted round robin, which keeps an
   * overloaded or stalling replica from queueing more. On a host whose CPU the replicas share and
   * that is saturated, least-request sends the most to the replica that happens to run and costs
   * p99, up to 2x (bench/router, nginx's `least_conn` too). The built-in router only: the
   * nginx data plane is always round robin, since its revision split is carried by server
   * weights, which nginx's `least_conn` would bend.
   */
  balancing?: Balancing;
  /** Idle upstream sockets are closed after this. Default 30 000 ms. */
  upstreamIdleTimeoutMs?: number;
  /** After removal, in-flight requests (and WebSocket tunnels) of an endpoint are cut after this. Default 30 000 ms. */
  drainTimeoutMs?: number;
  /** prom-client registry to register the router metrics in (shared by all routers on it). */
  registry?: Registry;
  /** The longest window `stats()` can answer for. Default 300 000 ms. */
  statsWindowMs?: number;
  /** Clock and timers for health checks, ejection, drain timeouts and stats windows. */
  timers?: RouterTimers;
  /**
   * Called after the endpoints in rotation, their weights or the revision weights may have
   * changed (an external data plane, such as nginx, renders its configuration again).
   */
  onRotationChange?: () => void;
}

export type EndpointHealth = 'pending' | 'ready' | 'unhealthy';

export interface EndpointState {
  id: string;
  host: string;
  port: number;
  revision: string;
  target: string;
  zone: string;
  weight: number;
  /** The TLS server name it is reached as (RouteEndpoint.serverName); absent for plain HTTP. */
  serverName?: string;
  /** Whose identity token its requests carry (RouteEndpoint.identityAudience); never the token. */
  identityAudience?: string;
  /** Active health: pending until the first passing check (ready at once without checks). */
  health: EndpointHealth;
  /** Epoch ms until which passive ejection keeps it out of rotation; absent when not ejected. */
  ejectedUntil?: number;
  /** Times ejected in a row (the ejection period grows with it). */
  ejections: number;
  /** Removed by `setEndpoints` and finishing its in-flight requests. */
  draining: boolean;
  /** Receiving new requests now (ready, not ejected, not draining; or chosen in panic mode). */
  inRotation: boolean;
  inFlight: number;
  requests: number;
  errors: number;
  consecutiveFailures: number;
  /** Active health checks done (passed + failed). */
  checks: number;
}

/** Client-visible outcomes per revision over a sliding window: the input of canary analysis. */
export interface RevisionStats {
  revision: string;
  windowMs: number;
  /** Requests answered (or failed) by an endpoint of this revision. */
  requests: number;
  /** Of those: 5xx answers and proxy failures (502/504 made by the router, upstream resets). */
  errors: number;
  /** Attempts on this revision that failed to connect and were retried on another endpoint. */
  retriedAttempts: number;
  /** (requests - errors) / requests; 1 when there were no requests. */
  successRate: number;
  /** Latency percentiles in ms (request head received to response end), reported as the upper bound of a 10%-wide log bucket; 0 when no requests. */
  p50Ms: number;
  p99Ms: number;
  /** Requests per second over the time the window covered so far (all endpoints of the revision). */
  requestsPerSecond: number;
  /** Mean requests in flight over the window (all endpoints of the revision), by Little's law. */
  concurrency: number;
}

/**
 * What the controller drives for a deployment's `service`: the built-in Router, or the nginx
 * data plane (`service.dataPlane`). Same semantics; see Router for each method.
 */
export interface DataPlane {
  start(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
  setEndpoints(endpoints: RouteEndpoint[]): void;
  setRevisionWeights(weights: Record<string, number> | null): void;
  withdraw(ids: Iterable<string>): void;
  drained(endpointId: string): Promise<void>;
  stats(windowMs?: number): RevisionStats[];
  endpoints(): EndpointState[];
  /** Requests held for want of an endpoint (scale to zero); absent where the plane cannot hold. */
  held?(): number;
  /** Hold requests while no endpoint is in rotation (see activator.ts); absent where the plane cannot. */
  setActivation?(options: ActivationOptions | null): void;
  /** Change RouterOptions.balancing for the requests that follow (undefined: the default); absent where the plane has one way. */
  setBalancing?(balancing: Balancing | undefined): void;
}

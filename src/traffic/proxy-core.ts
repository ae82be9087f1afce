import type { ClientConn } from './client-conn.js';
import type { AttemptFailure } from './attempt-failure.js';
import type { Ep } from './endpoint.js';
import type { TimeoutSweeper } from './timeout-sweeper.js';
import type { IdentityTokenSource } from './types.js';

export interface ProxySettings {
  connectTimeoutMs: number;
  upstreamTimeoutMs: number;
  clientIdleTimeoutMs: number;
  maxIdlePerEndpoint: number;
  upstreamIdleTimeoutMs: number;
  retryAttempts: number;
  /** Spare connections kept per endpoint whose upstream closes after every response. */
  preconnect: number;
  /** Plain-TCP upstream connections on the raw TCP handle (RouterOptions.upstreamTransport). */
  rawTcp: boolean;
  /** CAs trusted for TLS upstreams (RouterOptions.upstreamTls.ca); the system's when undefined. */
  upstreamCa: string | Buffer | Array<string | Buffer> | undefined;
  /** Identity tokens for endpoints with an identityAudience (RouterOptions.identityTokens). */
  identityTokens: IdentityTokenSource | undefined;
}

/** What the proxy needs from the router. */
export interface ProxyCore {
  readonly settings: ProxySettings;
  /** Idle timeouts of this router's client and upstream connections. */
  readonly sweeper: TimeoutSweeper;
  pickEndpoint(exclude: Ep | null): Ep | null;
  now(): number;
  /** A response (or router-made error answer) finished on `ep`; `error` for 5xx/proxy failures. */
  recordResponse(ep: Ep, status: number, latencyMs: number, error: boolean): void;
  /** An attempt failed (passive ejection input). */
  attemptFailed(ep: Ep, reason: AttemptFailure): void;
  /** A response head arrived (resets the failure run, or counts a 5xx when configured). */
  attemptAnswered(ep: Ep, status: number): void;
  /** `ep.inFlight` went down: drain bookkeeping. */
  released(ep: Ep): void;
  retried(from: Ep): void;
  unrouted(reason: 'no_endpoint' | 'bad_request'): void;
  /** Holds a request that found no endpoint while activation is on (activator.ts); false: answer 503. */
  hold(conn: ClientConn): boolean;
  connectionClosed(conn: ClientConn): void;
}

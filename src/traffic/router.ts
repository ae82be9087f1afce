import { type ActivationOptions, Activator } from './activator.js';
import net from 'node:net';
import { type Group, pick } from './balancer.js';
import { codeClass, Ep } from './endpoint.js';
import { LatencySeries, type MetricSource, metricSetFor, type MetricSet } from './metrics.js';
import { AttemptFailure, ClientConn, type ProxyCore, type ProxySettings, TimeoutSweeper } from './proxy.js';
import { checkHealth } from './health-check.js';
import { checkBalancing, type RouterSettings, routerSettings } from './router-settings.js';
import { WindowStats } from './stats.js';
import { type RouterTimers, systemTimers } from './timers.js';
import type { Balancing, DataPlane, EndpointState, RevisionStats, RouteEndpoint, RouterOptions } from './types.js';

/**
 * skyfleet's built-in load balancer for one deployment: an HTTP/1.1 reverse proxy (keep-alive
 * on both sides, chunked bodies, WebSocket upgrades) in front of the deployment's endpoints.
 *
 * Choosing an endpoint, per request: a revision by smooth weighted round robin over the revision
 * weights (`setRevisionWeights`), then within the revision the endpoint with the fewest requests
 * in flight relative to its weight, ties broken by (weighted) round robin. Only endpoints "in
 * rotation" are chosen: ready (active health check passed, or no check configured), not
 * passively ejected, not removed.
 *
 * Panic mode (like Envoy's): when no endpoint at all is in rotation, but some were ready once
 * and are now failing checks or ejected, the router ignores health and spreads over those,
 * instead of answering 503 to everything; passive ejection also never ejects the last endpoint
 * in rotation. `skyfleet_router_panic` shows it. Endpoints that never passed a check are never
 * used.
 */
export class Router implements ProxyCore, MetricSource, DataPlane {
  readonly deployment: string;
  readonly settings: ProxySettings;
  readonly sweeper: TimeoutSweeper;
  private readonly timers: RouterTimers;
  /** The router's settings (its options with their defaults). */
  private readonly cfg: RouterSettings;
  private readonly ejectOn5xx: boolean;
  /** Endpoints within a revision by fewest in-flight requests (RouterOptions.balancing). */
  private leastRequest: boolean;

  private readonly eps = new Map<string, Ep>();
  private readonly draining = new Set<Ep>();
  private groups: Group<Ep>[] = [];
  private readonly groupByRevision = new Map<string, Group<Ep>>();
  private weights: Record<string, number> | null = null;
  panic = false;

  private readonly revStats = new Map<string, WindowStats>();
  private readonly latencySeries = new Map<string, LatencySeries>();
  private readonly conns = new Set<ClientConn>();
  private server: net.Server | null = null;
  private address: { host: string; port: number } | null = null;
  private closed = false;
  private readonly metrics: MetricSet | null;

  retriesTotal = 0;
  noEndpointTotal = 0;
  badRequestTotal = 0;

  private readonly onRotationChange: (() => void) | null;
  /** Holds requests while there is no endpoint (scaled to zero); null: 503 at once. */
  private activator: Activator | null = null;

  constructor(options: RouterOptions) {
    if (!options.name) throw new TypeError('Router: options.name (the deployment) is required');
    this.deployment = options.name;
    this.onRotationChange = options.onRotationChange ?? null;
    this.timers = options.timers ?? systemTimers;
    this.cfg = routerSettings(options);
    this.ejectOn5xx = this.cfg.ejectOn5xx;
    this.leastRequest = this.cfg.leastRequest;
    this.settings = this.cfg.proxy;
    this.sweeper = new TimeoutSweeper(this.cfg.shortestTimeoutMs);
    this.metrics = options.registry ? metricSetFor(options.registry) : null;
    this.metrics?.sources.add(this);
  }

  /** Starts listening; resolves with the bound address (the port is the real one when 0 was asked). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.closed) throw new Error('Router: closed');
    if (this.address) return this.address;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.conns.add(new ClientConn(this, socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.cfg.listen.host, port: this.cfg.listen.port, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    this.address = { host: a.address, port: a.port };
    return this.address;
  }

  /** The listening address, once started. */
  get listening(): { host: string; port: number } | null {
    return this.address;
  }

  /**
   * Replaces the endpoint set. Known ids keep their state (a changed weight applies at once; a
   * changed address, revision, target or zone replaces the endpoint). New endpoints join once an
   * active health check passes (at once without checks; the first check starts immediately).
   * Removed endpoints get no new requests, finish their in-flight ones (see `drained`) and
   * are cut after `drainTimeoutMs`.
   */
  setEndpoints(endpoints: RouteEndpoint[]): void {
    const seen = new Set<string>();
    for (const e of endpoints) {
      if (!e.id) throw new TypeError('Router.setEndpoints: an endpoint without id');
      if (seen.has(e.id)) throw new TypeError(`Router.setEndpoints: duplicate endpoint id ${JSON.stringify(e.id)}`);
      seen.add(e.id);
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535)
        throw new TypeError(`Router.setEndpoints: endpoint ${e.id}: bad port ${e.port}`);
      if (e.weight !== undefined && !(e.weight >= 0 && Number.isFinite(e.weight)))
        throw new TypeError(`Router.setEndpoints: endpoint ${e.id}: weight must be a number >= 0`);
    }
    // an address already checked ready is ready under its new id too: a Cloud Run service's one
    // URL serves every revision, so its endpoint for the new revision is the same server
    const readyAt = new Set(
      [...this.eps.values()].filter((ep) => ep.health === 'ready' && !ep.removed).map((ep) => Ep.addressKey(ep)),
    );
    for (const ep of [...this.eps.values()]) {
      const next = endpoints.find((e) => e.id === ep.id);
      if (!next || !ep.sameAs(next)) this.remove(ep);
    }
    const started: Ep[] = [];
    for (const e of endpoints) {
      const existing = this.eps.get(e.id);
      if (existing) {
        existing.weight = e.weight ?? 1;
        continue;
      }
      const ep = new Ep(e, this.deployment, this.cfg.health !== null, this.statsFor(e.revision), this.latencyFor(e));
      if (ep.health === 'pending' && readyAt.has(Ep.addressKey(ep))) {
        ep.health = 'ready';
        ep.everReady = true;
      }
      this.eps.set(e.id, ep);
      started.push(ep);
    }
    this.rebuild();
    this.pruneSeries();
    if (!this.closed) for (const ep of started) if (this.cfg.health) this.check(ep);
  }

  /**
   * Takes the listed endpoints out of rotation and drains them (like `setEndpoints` without
   * them), leaving the others as they are: their health, ejection and connections carry on.
   * Unknown ids are ignored.
   */
  withdraw(ids: Iterable<string>): void {
    let changed = false;
    for (const id of ids) {
      const ep = this.eps.get(id);
      if (!ep) continue;
      this.remove(ep);
      changed = true;
    }
    if (changed) this.pruneSeries();
  }

  /**
   * Traffic share per revision (percent, or any relative numbers). Revisions not listed get
   * none; when no revision with a share has an endpoint in rotation, requests get 503. Until
   * this is called (or after `setRevisionWeights(null)`), all revisions share by endpoint count.
   */
  setRevisionWeights(weights: Record<string, number> | null): void {
    if (weights !== null) {
      for (const [r, w] of Object.entries(weights))
        if (!(w >= 0 && Number.isFinite(w)))
          throw new TypeError(`Router.setRevisionWeights: weight of ${r} must be a number >= 0`);
      this.weights = { ...weights };
    } else {
      this.weights = null;
    }
    this.rebuild();
  }

  /**
   * Resolves when the endpoint `id` has no request in flight after its removal (at once if it
   * is unknown or already drained; an endpoint still set waits for its removal first).
   */
  drained(endpointId: string): Promise<void> {
    const waits: Promise<void>[] = [];
    const active = this.eps.get(endpointId);
    if (active) waits.push(new Promise((r) => active.drainWaiters.push(r)));
    for (const ep of this.draining) if (ep.id === endpointId) waits.push(new Promise((r) => ep.drainWaiters.push(r)));
    return Promise.all(waits).then(() => undefined);
  }

  /** Per revision (those with endpoints, and those with requests in the window): outcomes over the last `windowMs` (default 60 s). */
  stats(windowMs = 60_000): RevisionStats[] {
    const w = Math.min(windowMs, this.cfg.statsWindowMs);
    const now = this.timers.now();
    const out: RevisionStats[] = [];
    for (const [revision, s] of [...this.revStats.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const sum = s.summary(now, w);
      out.push({
        revision,
        windowMs: w,
        requests: sum.requests,
        errors: sum.errors,
        retriedAttempts: sum.retried,
        successRate: sum.successRate,
        p50Ms: sum.p50Ms,
        p99Ms: sum.p99Ms,
        requestsPerSecond: sum.requestsPerSecond,
        concurrency: sum.concurrency,
      });
    }
    return out;
  }

  /** The revision weights set (null: all revisions share by endpoint count). */
  revisionWeights(): Record<string, number> | null {
    return this.weights === null ? null : { ...this.weights };
  }

  /**
   * A response an external data plane (nginx) served from endpoint `id`: counted in the
   * endpoint's metrics and its revision's stats like the router's own. `retriedFrom`: the
   * endpoint of an earlier attempt that failed to connect. False when `id` is unknown.
   */
  record(id: string, status: number, latencyMs: number, retriedFrom?: string): boolean {
    const known = (x: string) => this.eps.get(x) ?? [...this.draining].find((e) => e.id === x);
    const ep = known(id);
    if (!ep) return false;
    const from = retriedFrom === undefined ? undefined : known(retriedFrom);
    if (from) this.retried(from);
    this.recordResponse(ep, status, latencyMs, status >= 500);
    return true;
  }

  /** Every endpoint set or draining, with its health, ejection, in-flight and counts. */
  endpoints(): EndpointState[] {
    return [...this.eps.values(), ...this.draining].map((ep) => ep.state());
  }

  /**
   * Stops listening and cuts every connection at once; stops health checks; unregisters the
   * metrics of this router. For a graceful stop, `setEndpoints([])` and await `drained` first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.setActivation(null);
    const server = this.server;
    const closing = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const c of this.conns) c.destroy();
    for (const ep of [...this.eps.values()]) this.remove(ep);
    for (const ep of this.draining) for (const b of [...ep.busy]) b.abort();
    this.metrics?.sources.delete(this);
    await closing;
    // Let the destroyed sockets' close events settle the drains.
    const deadline = Date.now() + 2_000;
    while (this.draining.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    for (const ep of [...this.draining]) this.finishDrain(ep);
  }

  // ------------------------------------------------------------------ activation (scale to zero)

  /** Hold requests that find no endpoint until one is in rotation (activator.ts); null: 503 at once. */
  setActivation(options: ActivationOptions | null): void {
    if (options === null) {
      this.activator?.release();
      this.activator = null;
    } else if (this.activator) this.activator.update(options);
    else this.activator = new Activator(options, this.timers);
  }

  held(): number {
    return this.activator?.size ?? 0;
  }

  /** RouterOptions.balancing for the requests that follow (checked as the option is; undefined: round robin). */
  setBalancing(balancing: Balancing | undefined): void {
    this.leastRequest = checkBalancing(balancing) === 'least-request';
  }

  hold(conn: ClientConn): boolean {
    return this.activator !== null && !this.closed && this.activator.hold(conn);
  }

  // ------------------------------------------------------------------ ProxyCore (hot path)

  pickEndpoint(exclude: Ep | null): Ep | null {
    return pick(this.groups, exclude, this.leastRequest);
  }

  now(): number {
    return this.timers.now();
  }

  recordResponse(ep: Ep, status: number, latencyMs: number, error: boolean): void {
    ep.requests++;
    if (error) ep.errors++;
    ep.codes[codeClass(status)]!++;
    ep.latency.observe(latencyMs / 1000);
    ep.stats.record(this.timers.now(), latencyMs, error);
  }

  attemptAnswered(ep: Ep, status: number): void {
    if (status >= 500) {
      ep.errs[AttemptFailure.Http5xx]!++;
      if (this.ejectOn5xx) {
        this.failure(ep);
        return;
      }
    }
    ep.consecutiveFailures = 0;
  }

  attemptFailed(ep: Ep, reason: AttemptFailure): void {
    ep.errs[reason]!++;
    this.failure(ep);
  }

  released(ep: Ep): void {
    if (ep.removed && ep.inFlight === 0) this.finishDrain(ep);
  }

  retried(from: Ep): void {
    this.retriesTotal++;
    from.stats.recordRetried(this.timers.now());
  }

  unrouted(reason: 'no_endpoint' | 'bad_request'): void {
    if (reason === 'no_endpoint') this.noEndpointTotal++;
    else this.badRequestTotal++;
  }

  connectionClosed(conn: ClientConn): void {
    this.conns.delete(conn);
    this.activator?.drop(conn);
  }

  // ------------------------------------------------------------------ MetricSource

  metricEndpoints(): Iterable<Ep> {
    return [...this.eps.values(), ...this.draining];
  }

  metricLatency(): Iterable<LatencySeries> {
    return this.latencySeries.values();
  }

  // ------------------------------------------------------------------ rotation

  /** Recomputes which endpoints are in rotation and the revision groups. Not per request. */
  private rebuild(): void {
    let any = false;
    for (const ep of this.eps.values()) {
      ep.inRotation = ep.health === 'ready' && ep.ejectedUntil === 0 && ep.weight > 0;
      if (ep.inRotation) any = true;
    }
    this.panic = false;
    if (!any) {
      for (const ep of this.eps.values()) {
        ep.inRotation = ep.everReady && ep.weight > 0;
        if (ep.inRotation) this.panic = true;
      }
    }
    for (const g of this.groupByRevision.values()) g.eps = [];
    const groupOf = (revision: string): Group<Ep> => {
      let g = this.groupByRevision.get(revision);
      if (!g) {
        g = { revision, weight: 0, cw: 0, eps: [] };
        this.groupByRevision.set(revision, g);
      }
      return g;
    };
    const weights = this.weights;
    for (const ep of this.eps.values()) {
      if (!ep.inRotation) continue;
      groupOf(weights === null ? '' : ep.revision).eps.push(ep);
    }
    const groups: Group<Ep>[] = [];
    for (const [revision, g] of this.groupByRevision) {
      if (g.eps.length === 0) {
        this.groupByRevision.delete(revision);
        continue;
      }
      g.weight = weights === null ? 1 : (weights[revision] ?? 0);
      groups.push(g);
    }
    this.groups = groups;
    if (groups.length > 0 && this.activator !== null) this.activator.flush();
    this.onRotationChange?.();
  }

  private remove(ep: Ep): void {
    ep.removed = true;
    ep.inRotation = false;
    this.eps.delete(ep.id);
    this.timers.clearTimeout(ep.hcTimer);
    this.timers.clearTimeout(ep.ejectTimer);
    ep.hcTimer = null;
    ep.ejectTimer = null;
    for (const u of ep.idle.splice(0)) (u as { sock: net.Socket }).sock.destroy();
    this.rebuild();
    if (ep.inFlight === 0) {
      this.finishDrain(ep);
      return;
    }
    this.draining.add(ep);
    ep.drainTimer = this.timers.setTimeout(() => {
      for (const b of [...ep.busy]) b.abort();
    }, this.cfg.drainTimeoutMs);
  }

  private finishDrain(ep: Ep): void {
    this.timers.clearTimeout(ep.drainTimer);
    ep.drainTimer = null;
    this.draining.delete(ep);
    for (const u of ep.idle.splice(0)) (u as { sock: net.Socket }).sock.destroy();
    for (const w of ep.drainWaiters.splice(0)) w();
    this.pruneSeries();
  }

  // ------------------------------------------------------------------ passive ejection

  private failure(ep: Ep): void {
    if (this.cfg.ejectAfter === 0 || ep.removed) return;
    ep.consecutiveFailures++;
    if (ep.consecutiveFailures < this.cfg.ejectAfter || ep.ejectedUntil > 0) return;
    // Never eject the last endpoint in rotation (nor anything in panic mode).
    if (this.panic) return;
    let others = false;
    for (const e of this.eps.values())
      if (e !== ep && e.health === 'ready' && e.ejectedUntil === 0 && e.weight > 0) {
        others = true;
        break;
      }
    if (!others) return;
    const now = this.timers.now();
    if (now - ep.lastReadmitAt > this.cfg.maxEjectionMs) ep.ejections = 0;
    ep.ejections++;
    ep.ejectionsTotal++;
    const period = Math.min(this.cfg.baseEjectionMs * ep.ejections, this.cfg.maxEjectionMs);
    ep.ejectedUntil = now + period;
    ep.ejectTimer = this.timers.setTimeout(() => this.readmit(ep), period);
    this.rebuild();
  }

  private readmit(ep: Ep): void {
    ep.ejectTimer = null;
    if (ep.removed) return;
    ep.ejectedUntil = 0;
    ep.consecutiveFailures = 0;
    ep.lastReadmitAt = this.timers.now();
    this.rebuild();
  }

  // ------------------------------------------------------------------ active health checks

  private check(ep: Ep): void {
    const hc = this.cfg.health;
    if (!hc || ep.removed || ep.checking || this.closed) return;
    ep.checking = true;
    const secure = ep.serverName === null ? undefined : { serverName: ep.serverName, ca: this.cfg.proxy.upstreamCa };
    const token = ep.identityAudience === null ? undefined : this.cfg.proxy.identityTokens?.(ep.identityAudience);
    checkHealth(
      ep.host,
      ep.healthPort,
      hc,
      this.timers,
      (ok) => {
        ep.checking = false;
        if (ep.removed || this.closed) return;
        this.checked(ep, ok);
        ep.hcTimer = this.timers.setTimeout(() => this.check(ep), hc.intervalMs);
      },
      secure,
      token === undefined ? undefined : { 'x-serverless-authorization': `Bearer ${token}` },
    );
  }

  private checked(ep: Ep, ok: boolean): void {
    const hc = this.cfg.health!;
    if (ok) {
      ep.checksOk++;
      ep.okInRow++;
      ep.failedInRow = 0;
      if (ep.health !== 'ready' && ep.okInRow >= hc.healthyThreshold) {
        ep.health = 'ready';
        ep.everReady = true;
        this.rebuild();
      }
    } else {
      ep.checksFailed++;
      ep.failedInRow++;
      ep.okInRow = 0;
      if (ep.health === 'ready' && ep.failedInRow >= hc.unhealthyThreshold) {
        ep.health = 'unhealthy';
        this.rebuild();
      }
    }
  }

  // ------------------------------------------------------------------ stats and series

  private statsFor(revision: string): WindowStats {
    let s = this.revStats.get(revision);
    if (!s) {
      s = new WindowStats(this.cfg.statsWindowMs);
      this.revStats.set(revision, s);
    }
    return s;
  }

  private latencyFor(e: RouteEndpoint): LatencySeries {
    const key = `${e.revision}\u0000${e.target}\u0000${e.zone}`;
    let s = this.latencySeries.get(key);
    if (!s) {
      s = new LatencySeries({ deployment: this.deployment, revision: e.revision, target: e.target, zone: e.zone });
      this.latencySeries.set(key, s);
    }
    return s;
  }

  /** Drops latency series and revision stats no endpoint (set or draining) refers to any more. */
  private pruneSeries(): void {
    const liveSeries = new Set<LatencySeries>();
    const liveRevisions = new Set<string>();
    for (const ep of this.eps.values()) {
      liveSeries.add(ep.latency);
      liveRevisions.add(ep.revision);
    }
    for (const ep of this.draining) {
      liveSeries.add(ep.latency);
      liveRevisions.add(ep.revision);
    }
    for (const [k, s] of this.latencySeries) if (!liveSeries.has(s)) this.latencySeries.delete(k);
    // Revision stats outlive their endpoints for the stats window (canary analysis after removal).
    const now = this.timers.now();
    for (const [r, s] of this.revStats)
      if (!liveRevisions.has(r) && s.summary(now, this.cfg.statsWindowMs).requests === 0) this.revStats.delete(r);
  }
}

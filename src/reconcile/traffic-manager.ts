import type { Registry } from 'prom-client';
import type { Action } from '../plan/types.js';
import type { ObservedSlice } from '../provider/provider.js';
import type { TrafficStats } from '../rollout/analysis.js';
import type { Deployment } from '../spec/deployment.js';
import type { DataPlane, EndpointState, RevisionStats, RouteEndpoint, RouterOptions } from '../traffic/index.js';
import type { IdentityTokens } from './identity-tokens.js';

interface Served {
  router: DataPlane;
  listen: string;
  kind: 'builtin' | 'nginx';
  preview?: { router: DataPlane; port: number };
  /** The endpoints last set per target: kept for a target that could not be observed. */
  lastByTarget: Map<string, RouteEndpoint[]>;
}

/** Routers this controller serves, per deployment with a `service`; the data plane of rollouts. */
/** What a listener of a deployment scaled to zero calls (the controller's autoscaler). */
export interface ActivationHooks {
  /** A request is held at zero replicas: start one. */
  onDemand(deployment: string): void;
  /** The first held request was sent on this long after it arrived. */
  onColdStart(deployment: string, ms: number): void;
}

export class TrafficManager {
  private readonly served = new Map<string, Served>();
  private readonly drainedIds = new Set<string>();
  private hooks: ActivationHooks | undefined;

  /** Where listeners of deployments that may scale to zero report demand and cold starts. */
  setActivationHooks(hooks: ActivationHooks | undefined): void {
    this.hooks = hooks;
  }

  /**
   * A deployment whose autoscaling may take it to zero has its built-in listener hold requests
   * while no replica is in rotation (activator.ts), for `activationTimeoutSeconds`.
   */
  private activation(d: Deployment, s: Served): void {
    const a = d.spec.autoscaling;
    const name = d.metadata.name;
    const hooks = this.hooks;
    if (!s.router.setActivation) return;
    if (!a || a.minReplicas > 0 || !hooks) {
      s.router.setActivation(null);
      return;
    }
    s.router.setActivation({
      timeoutMs: a.scaleToZero.activationTimeoutSeconds * 1000,
      onDemand: () => hooks.onDemand(name),
      onColdStart: (ms) => hooks.onColdStart(name, ms),
    });
  }

  constructor(
    private readonly registry?: Registry,
    private readonly defaults: Partial<RouterOptions> = {},
    /** Identity tokens for endpoints that need one (Cloud Run's invoker check). */
    private readonly identityTokens?: IdentityTokens,
  ) {}

  /** The container port a service's targetPort names. */
  private static targetPort(d: Deployment): number | undefined {
    const svc = d.spec.service;
    if (!svc) return undefined;
    if (typeof svc.targetPort === 'number') return svc.targetPort;
    for (const c of d.spec.template.containers)
      for (const p of c.ports) if (p.name === svc.targetPort) return p.containerPort;
    return undefined;
  }

  /** The container port the readiness probe checks over HTTP, if it does. */
  private static probePort(d: Deployment): number | undefined {
    for (const c of d.spec.template.containers) {
      const ref = c.readinessProbe?.httpGet?.port;
      if (typeof ref === 'number') return ref;
      if (typeof ref === 'string') return c.ports.find((p) => p.name === ref)?.containerPort;
    }
    return undefined;
  }

  /** Ready replicas as router endpoints (only those reached through the target port). */
  static endpointsOf(d: Deployment, observed: readonly ObservedSlice[], revision?: string): RouteEndpoint[] {
    const port = TrafficManager.targetPort(d);
    const probePort = TrafficManager.probePort(d);
    const out: RouteEndpoint[] = [];
    for (const s of observed) {
      if (revision && s.key.revision !== revision) continue;
      for (const r of s.replicaStatus) {
        if (!r.ready) continue;
        const e =
          r.endpoints.find((x) => x.containerPort === port) ?? (port === undefined ? r.endpoints[0] : undefined);
        // the active health check goes to the published port of the probe's container port
        const health = probePort === undefined ? undefined : r.endpoints.find((x) => x.containerPort === probePort);
        if (e)
          out.push({
            id: r.id,
            host: e.host,
            port: e.port,
            revision: s.key.revision,
            target: s.target,
            zone: s.key.zone,
            ...(health && health.port !== e.port ? { healthPort: health.port } : {}),
            ...(e.serverName ? { serverName: e.serverName } : {}),
            ...(e.identityAudience ? { identityAudience: e.identityAudience } : {}),
          });
      }
    }
    return out;
  }

  private async ensure(d: Deployment): Promise<Served | undefined> {
    const name = d.metadata.name;
    const svc = d.spec.service;
    const existing = this.served.get(name);
    const listen = svc ? `${svc.bindAddress}:${svc.port}` : '';
    if (existing && (existing.listen !== listen || existing.kind !== svc?.dataPlane)) {
      await this.stop(name);
    }
    if (!svc) return undefined;
    let s = this.served.get(name);
    if (!s) {
      const { healthCheckFromProbe } = await import('../traffic/index.js');
      // active checks from the readiness probe, when it is an HTTP one (to its published port)
      const probe = d.spec.template.containers.find((c) => c.readinessProbe?.httpGet)?.readinessProbe;
      const healthCheck = TrafficManager.probePort(d) === undefined ? undefined : healthCheckFromProbe(probe);
      const router = await this.dataPlane(svc.dataPlane, {
        name,
        listen: { host: svc.bindAddress, port: svc.port },
        ...(healthCheck ? { healthCheck } : {}),
        ...(svc.balancing ? { balancing: svc.balancing } : {}),
      });
      s = { router, listen, kind: svc.dataPlane, lastByTarget: new Map() };
      this.served.set(name, s);
    }
    if (svc.previewPort && !s.preview) {
      const router = await this.dataPlane(svc.dataPlane, {
        name: `${name}-preview`,
        listen: { host: svc.bindAddress, port: svc.previewPort },
        ...(svc.balancing ? { balancing: svc.balancing } : {}),
      });
      s.preview = { router, port: svc.previewPort };
    }
    // a changed service.balancing applies to the next request, with no new listener
    s.router.setBalancing?.(svc.balancing);
    s.preview?.router.setBalancing?.(svc.balancing);
    return s;
  }

  /** A started listener of the kind the service asks for. */
  private async dataPlane(kind: 'builtin' | 'nginx', options: RouterOptions): Promise<DataPlane> {
    const traffic = await import('../traffic/index.js');
    const all = {
      ...this.defaults,
      ...options,
      ...(this.registry ? { registry: this.registry } : {}),
      ...(this.identityTokens ? { identityTokens: this.identityTokens.token } : {}),
    };
    const plane = kind === 'nginx' ? new traffic.NginxDataPlane(all) : new traffic.Router(all);
    await plane.start();
    return plane;
  }

  /**
   * Points a deployment's listener at its ready replicas with the rollout's weights (null: by
   * endpoint count), and the preview listener at the preview revision.
   */
  async sync(
    d: Deployment,
    observed: readonly ObservedSlice[],
    weights: Record<string, number> | null,
    preview?: string,
    unobserved: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const s = await this.ensure(d);
    if (!s) return;
    this.activation(d, s);
    const live = new Set(observed.flatMap((o) => o.replicaStatus.map((r) => r.id)));
    for (const id of this.drainedIds) if (!live.has(id) && unobserved.size === 0) this.drainedIds.delete(id);
    // a target whose API failed this pass is unknown, not empty: its replicas stay in rotation
    // (their health checks and ejection still judge them) until it can be read again
    const fresh = TrafficManager.endpointsOf(d, observed);
    // a replica that needs an identity token goes into rotation with one
    const audiences = new Map(fresh.filter((e) => e.identityAudience).map((e) => [e.identityAudience!, e.target]));
    if (this.identityTokens)
      await Promise.all([...audiences].map(([audience, target]) => this.identityTokens!.ensure(target, audience)));
    const byTarget = new Map<string, RouteEndpoint[]>();
    for (const e of fresh) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
    for (const t of unobserved) byTarget.set(t, s.lastByTarget.get(t) ?? []);
    s.lastByTarget = byTarget;
    const eps = [...byTarget.values()].flat().filter((e) => !this.drainedIds.has(e.id));
    s.router.setEndpoints(eps);
    s.router.setRevisionWeights(weights);
    if (s.preview) s.preview.router.setEndpoints(preview ? eps.filter((e) => e.revision === preview) : []);
  }

  /**
   * Before replicas go: picks which ones (not ready first, then the highest ordinals), takes them
   * out of rotation and waits until their in-flight requests finish (or the timeout). Sets
   * `remove` on the actions so the provider removes exactly those.
   */
  async drainFor(
    d: Deployment,
    actions: Action[],
    observed: readonly ObservedSlice[],
    timeoutMs: number,
  ): Promise<void> {
    const s = this.served.get(d.metadata.name);
    const victims: string[] = [];
    for (const a of actions) {
      if (a.to >= a.from) continue;
      const slice = observed.find(
        (o) => o.target === a.target && o.key.zone === a.zone && o.key.revision === a.revision,
      );
      if (!slice) continue;
      const order = [...slice.replicaStatus].sort(
        (x, y) => Number(x.ready) - Number(y.ready) || (y.ordinal ?? 0) - (x.ordinal ?? 0),
      );
      const ids = order.slice(0, a.from - a.to).map((r) => r.id);
      if (a.to > 0) a.remove = ids;
      victims.push(...ids);
    }
    if (!s || !victims.length) return;
    // the replicas that stay must be in rotation before the others leave it (a new replica's
    // first active check runs as soon as it is added)
    const stay = () => s.router.endpoints().filter((e) => !e.draining && !victims.includes(e.id));
    const deadline = Date.now() + Math.min(timeoutMs, 10_000);
    while (stay().some((e) => e.health === 'pending') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const id of victims) this.drainedIds.add(id);
    s.router.withdraw(victims);
    s.preview?.router.withdraw(victims);
    const timeout = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([
      Promise.all(victims.map((id) => Promise.all([s.router.drained(id), s.preview?.router.drained(id)]))),
      timeout,
    ]);
  }

  /** Traffic outcomes of one revision over a window, for canary analysis. */
  stats(name: string, revision: string, windowMs: number): TrafficStats | undefined {
    return this.served
      .get(name)
      ?.router.stats(windowMs)
      .find((x) => x.revision === revision);
  }

  /** Traffic outcomes of every revision a deployment's listener has seen, over a window (autoscaling). */
  allStats(name: string, windowMs: number): RevisionStats[] {
    return this.served.get(name)?.router.stats(windowMs) ?? [];
  }

  /** Requests a deployment's listener holds for want of a replica (scaled to zero, activating). */
  held(name: string): number {
    return this.served.get(name)?.router.held?.() ?? 0;
  }

  /** The listener's view of a deployment's endpoints (health, ejection, in flight). */
  endpoints(name: string): EndpointState[] {
    return this.served.get(name)?.router.endpoints() ?? [];
  }

  has(name: string): boolean {
    return this.served.has(name);
  }

  /** Where a deployment's listener is, once started. */
  address(name: string): string | undefined {
    return this.served.get(name)?.listen;
  }

  async stop(name: string): Promise<void> {
    const s = this.served.get(name);
    this.served.delete(name);
    await s?.router.close();
    await s?.preview?.router.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.served.keys()].map((n) => this.stop(n)));
  }
}

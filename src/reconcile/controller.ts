import { setMaxListeners } from 'node:events';
import { SkyfleetError } from '../errors/index.js';
import { isWatchable } from '../provider/provider.js';
import type { Domain } from '../placement/types.js';
import type { Action } from '../plan/index.js';
import type { Condition } from '../store/store.js';
import { type AutoscaleLoopOptions, runAutoscaler } from './autoscale/autoscale-loop.js';
import { backoff } from './backoff.js';
import { mergeConditions } from './conditions.js';
import type { ReconcileContext } from './context.js';
import { recordEvent } from './context.js';
import { DomainHealth, type DomainHealthOptions } from './domain-health.js';
import { FleetLease, leaseHolder } from './fleet-lease.js';
import { IdentityTokens } from './identity-tokens.js';
import type { ControllerMetrics } from './metrics.js';
import { FleetObserver } from './pass/fleet-observer.js';
import { newPassMemory, type PassMemory } from './pass/pass-memory.js';
import { type PassDriver, reconcilePass } from './pass/reconcile-pass.js';
import type { progressOf } from './progress.js';
import { TrafficManager } from './traffic-manager.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  /** Who this controller is, in the lease: host, pid and a random suffix by default. */
  identity?: string;
  /** Lease time to live; a standby takes over within this after the leader dies. */
  leaseTtlMs?: number;
  /** Full resync of every deployment and the orphan sweep. */
  resyncMs?: number;
  /** Requeue delay while a rollout progresses or replicas become ready. */
  progressRequeueMs?: number;
  /**
   * Least time between two observes of one target (the per-target rate limit for cloud APIs).
   * Default: 2 s for cloud targets, none for local ones (Docker pushes events, memory is free).
   * A provider event or a write of ours makes the next observe of that target fresh.
   */
  minObserveIntervalMs?: number;
  /** Deployment passes run at once. */
  workers?: number;
  domainHealth?: DomainHealthOptions;
  metrics?: ControllerMetrics;
  /**
   * Routers for deployments with a `service`, run by the leader. Created with the metrics
   * registry when absent; `false` serves no traffic.
   */
  traffic?: TrafficManager | false;
  /** CAs the routers trust for TLS endpoints (PEM; the system's when absent): see trustedCas. */
  upstreamCa?: string[];
  /** How long removed replicas may finish in-flight requests before they are stopped. */
  drainTimeoutMs?: number;
  /** The autoscaler's pace, extra metric sources and tunables (defaults: a decision a second). */
  autoscaling?: Pick<AutoscaleLoopOptions, 'intervalMs' | 'sources' | 'tunables'>;
  /** Called after each pass (tests, UIs). */
  onPass?: (p: PassReport) => void;
}

export interface PassReport {
  deployment: string;
  result: 'done' | 'progressing' | 'retry' | 'terminal' | 'parked' | 'deleted';
  actions: number;
  /** The actions the pass planned (step and repairs). */
  planned?: Action[];
  message?: string;
}

interface KeyState {
  attempts: number;
  /** Generation a terminal error parked the deployment at: skip until the spec changes. */
  parkedAt?: number;
  memory: PassMemory;
}

const FLEET_KEY = '\u0000fleet';

/**
 * The controller driver of the reconcile pass (controller-runtime's shape): keeps every
 * deployment of the fleet's store converged for as long as it runs. One work queue of
 * deployment names, at most one pass per key at a time; the pass's outcome decides what
 * happens to the key: done -> the next resync, requeue/waiting -> soon, retry -> per-key
 * exponential backoff with jitter, terminal -> parked with a Degraded condition until the spec
 * changes. Provider events trigger a pass at once; clouds are polled. Only the holder of the
 * fleet's lease acts, and every mutation is fenced by its token.
 */
export class Controller {
  readonly identity: string;
  private readonly queue: WorkQueue;
  private readonly health: DomainHealth;
  private readonly observer: FleetObserver;
  private readonly lease: FleetLease;
  private readonly state = new Map<string, KeyState>();
  private traffic: TrafficManager | undefined;
  private readonly resyncMs: number;
  private readonly progressMs: number;

  constructor(
    private readonly ctx: ReconcileContext,
    private readonly options: ControllerOptions = {},
  ) {
    this.identity = options.identity ?? leaseHolder('controller');
    this.queue = new WorkQueue(ctx.clock);
    this.health = new DomainHealth(ctx.clock, options.domainHealth);
    this.observer = new FleetObserver(ctx.providers, ctx.fleet, ctx.clock, this.health, {
      ...(options.minObserveIntervalMs !== undefined ? { minObserveIntervalMs: options.minObserveIntervalMs } : {}),
    });
    this.lease = new FleetLease(ctx.store, ctx.clock, ctx.fleet, this.identity, options.leaseTtlMs ?? 15_000);
    this.resyncMs = options.resyncMs ?? 30_000;
    this.progressMs = options.progressRequeueMs ?? 500;
  }

  get leaseName(): string {
    return this.lease.name;
  }

  /** True while this controller holds the lease. */
  get leading(): boolean {
    return this.lease.held !== undefined;
  }

  /**
   * Runs until `signal` aborts: waits for the lease, then reconciles; if the lease is lost it
   * stops acting and waits again. On abort it finishes the passes in flight (their provider
   * calls see the signal) and releases the lease so a standby takes over at once.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.ctx;
    try {
      while (!signal.aborted) {
        if (!(await this.lease.acquire())) {
          await clock.sleep(Math.max(50, this.lease.ttlMs / 5), signal).catch(() => undefined);
          continue;
        }
        this.options.metrics?.leader.set(1);
        await recordEvent(
          this.ctx,
          null,
          'Normal',
          'LeaderElected',
          `${this.identity} leads fleet ${this.ctx.fleet} (token ${this.lease.held})`,
        );
        const lost = new AbortController();
        const both = AbortSignal.any([signal, lost.signal]);
        // every provider request in flight listens on it (16 inspects per observe, several
        // passes at once): more than Node's default of 10 is normal here, not a leak
        setMaxListeners(256, both);
        const renew = this.lease.renew(
          both,
          async () => {
            await recordEvent(
              this.ctx,
              null,
              'Warning',
              'LeaseLost',
              `${this.identity} lost the lease of fleet ${this.ctx.fleet}`,
            );
            lost.abort();
          },
          (e) => this.ctx.logger.warn({ err: e.message }, 'lease renewal failed'),
        );
        try {
          await this.lead(both);
        } finally {
          lost.abort();
          await renew;
          this.options.metrics?.leader.set(0);
        }
      }
    } finally {
      await this.lease.release();
    }
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const unwatch = [...this.ctx.providers.values()].filter(isWatchable).map((p) =>
      p.watch({ fleet: this.ctx.fleet }, (change) => {
        this.observer.invalidate(p.target);
        if (change.deployment) this.queue.add(change.deployment);
        else this.queue.add(FLEET_KEY);
      }),
    );
    if (this.options.traffic !== false)
      this.traffic =
        this.options.traffic ??
        new TrafficManager(
          this.options.metrics?.registry,
          this.options.upstreamCa ? { upstreamTls: { ca: this.options.upstreamCa } } : {},
          new IdentityTokens(this.ctx.providers, this.ctx.clock, {
            onError: (target, audience, err) =>
              this.ctx.logger.warn(
                { target, audience, err: err.message },
                'no identity token: requests to these replicas go without one (the platform refuses them)',
              ),
          }),
        );
    const resync = this.resyncLoop(signal);
    const autoscaler = runAutoscaler(
      this.ctx,
      {
        traffic: () => this.traffic,
        onScaled: (name) => this.queue.add(name),
        metrics: this.options.metrics,
        ...(this.options.autoscaling ?? {}),
      },
      signal,
    );
    const workers = Array.from({ length: this.options.workers ?? 4 }, () => this.worker(signal));
    try {
      await Promise.all([resync, autoscaler, ...workers]);
    } finally {
      for (const u of unwatch) u();
      // the listeners stop with leadership: the next leader serves them
      await this.traffic?.close();
      this.traffic = undefined;
    }
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    let lastGenerations = new Map<string, number>();
    let lastFull = Number.NEGATIVE_INFINITY;
    while (!signal.aborted) {
      try {
        const now = this.ctx.clock.now();
        const list = await this.ctx.store.listDeployments();
        const gens = new Map(list.map((d) => [d.name, d.generation]));
        const full = now - lastFull >= this.resyncMs;
        for (const d of list) if (full || lastGenerations.get(d.name) !== d.generation) this.queue.add(d.name);
        for (const name of lastGenerations.keys()) if (!gens.has(name)) this.queue.add(name);
        if (full) {
          this.queue.add(FLEET_KEY);
          lastFull = now;
        }
        lastGenerations = gens;
        this.options.metrics?.queueDepth.set(this.queue.length);
      } catch (e) {
        this.ctx.logger.warn({ err: (e as Error).message }, 'resync failed');
      }
      // the store is polled for new specs; a second is the latency of `apply` with a controller running
      await this.ctx.clock.sleep(1000, signal).catch(() => undefined);
    }
    this.queue.close();
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.next(signal);
      if (key === undefined) return;
      try {
        if (key === FLEET_KEY) await this.sweepOrphans(signal);
        else await this.pass(key, signal);
      } catch (e) {
        this.ctx.logger.error({ deployment: key, err: (e as Error).message }, 'reconcile pass failed');
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** One pass for one deployment, and what its outcome means for the queue. */
  private async pass(name: string, signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const started = ctx.clock.now();
    const st = this.state.get(name) ?? { attempts: 0, memory: newPassMemory() };
    this.state.set(name, st);
    const report = (r: PassReport) => {
      this.options.metrics?.reconciles.inc({ deployment: name, result: r.result });
      this.options.metrics?.reconcileSeconds.observe({ deployment: name }, (ctx.clock.now() - started) / 1000);
      this.options.onPass?.(r);
    };

    const rec = await ctx.store.getDeployment(name);
    if (!rec) {
      this.state.delete(name);
      await this.traffic?.stop(name);
      this.queue.add(FLEET_KEY); // whatever it left behind is an orphan now
      return report({ deployment: name, result: 'deleted', actions: 0 });
    }
    if (st.parkedAt !== undefined && st.parkedAt === rec.generation) {
      this.queue.addAfter(name, this.resyncMs);
      return report({ deployment: name, result: 'parked', actions: 0 });
    }
    st.parkedAt = undefined;
    const { spec } = rec.spec;
    const driver: PassDriver = {
      observer: this.observer,
      health: this.health,
      rollouts: true,
      replaceUnhealthy: true,
      ...(this.traffic ? { traffic: this.traffic } : {}),
      drainTimeoutMs: this.options.drainTimeoutMs ?? 30_000,
      requeueAfterMs: this.progressMs,
    };
    const r = await reconcilePass({ ...ctx, fence: this.lease.fence }, driver, {
      deployment: rec.spec,
      revision: rec.revision,
      generation: rec.generation,
      memory: st.memory,
      act: true,
      signal,
    });
    for (const d of r.domains)
      this.options.metrics?.domainHealthy.set({ target: d.target, zone: d.zone }, d.healthy ? 1 : 0);
    const planned = { actions: r.actions.length, planned: r.actions };
    const outcome = r.outcome;
    if (outcome.type === 'retry' || outcome.type === 'terminal') {
      const e = outcome.error;
      if (e instanceof SkyfleetError && e.code === 'lease_lost') {
        report({ deployment: name, result: 'retry', actions: 0, message: e.message });
        throw e;
      }
      this.options.metrics?.errors.inc({ deployment: name, retryable: String(outcome.type === 'retry') });
      if (outcome.type === 'retry') {
        st.attempts += 1;
        // capped at 10 s: a level-based pass is cheap, and the domain-health breaker (not backoff)
        // is what keeps a failing cloud from being hammered
        const delay = backoff(st.attempts, outcome.retryAfterMs, 10_000);
        await recordEvent(
          ctx,
          name,
          'Warning',
          'ReconcileRetry',
          `attempt ${st.attempts}, retrying in ${Math.round(delay)} ms: ${e.message}`,
        );
        await this.setConditions(name, spec.replicas, undefined, false, [], {
          reason: 'RetryableError',
          message: e.message,
        });
        this.queue.addAfter(name, delay);
        report({ deployment: name, result: 'retry', actions: 0, planned: r.actions, message: e.message });
      } else {
        st.parkedAt = rec.generation;
        await recordEvent(ctx, name, 'Warning', 'ReconcileFailed', `parked until the spec changes: ${e.message}`);
        await this.setConditions(name, spec.replicas, undefined, false, [], {
          reason: 'TerminalError',
          message: e.message,
        });
        this.queue.addAfter(name, this.resyncMs);
        report({ deployment: name, result: 'terminal', actions: 0, planned: r.actions, message: e.message });
      }
      return;
    }
    for (const d of r.progress!.domains) {
      this.options.metrics?.desired.set({ deployment: name, target: d.target, zone: d.zone }, d.desired);
      this.options.metrics?.ready.set({ deployment: name, target: d.target, zone: d.zone }, d.ready);
    }
    st.attempts = 0;
    const done = outcome.type === 'done';
    await this.setConditions(
      name,
      spec.replicas,
      r.progress,
      done,
      r.domains.filter((d) => !d.healthy).map((d) => `${d.target}/${d.zone}: ${d.unhealthyReason}`),
    );
    const nextPass =
      outcome.type === 'requeue'
        ? outcome.afterMs
        : done
          ? untilTimedChange(
              ctx.clock.now(),
              this.resyncMs,
              this.health.nextRetryAt(),
              r.domains,
              (spec.placement.returnAfterSeconds ?? 60) * 1000,
            )
          : this.progressMs;
    this.queue.addAfter(name, nextPass);
    report({
      deployment: name,
      result: done ? 'done' : 'progressing',
      ...planned,
      ...(r.writes ? { message: `${r.writes} writes` } : {}),
    });
  }

  private async setConditions(
    name: string,
    replicas: number,
    progress: ReturnType<typeof progressOf> | undefined,
    done: boolean,
    unhealthy: string[],
    error?: { reason: string; message: string },
  ): Promise<void> {
    const old = await this.ctx.store.getConditions(name);
    const next: Array<Omit<Condition, 'lastTransitionTime'>> = [];
    if (progress) {
      next.push({
        type: 'Available',
        status: progress.ready >= replicas ? 'True' : 'False',
        reason: progress.ready >= replicas ? 'MinimumReplicasAvailable' : 'ReplicasUnavailable',
        message: `${progress.ready}/${replicas} ready`,
      });
      next.push({
        type: 'Progressing',
        status: done ? 'False' : 'True',
        reason: done ? 'Converged' : 'Reconciling',
        message: done ? `revision ${progress.revision} complete` : progress.phase,
      });
    } else {
      next.push(...old.filter((c) => c.type !== 'Degraded').map(({ lastTransitionTime: _, ...c }) => c));
    }
    const degraded =
      error ?? (unhealthy.length ? { reason: 'DomainsUnhealthy', message: unhealthy.join('; ') } : undefined);
    next.push(
      degraded
        ? { type: 'Degraded', status: 'True', ...degraded }
        : { type: 'Degraded', status: 'False', reason: 'Healthy', message: '' },
    );
    await this.ctx.store.putConditions(name, mergeConditions(old, next, this.ctx.clock.now()));
  }

  /** Removes resources that carry the fleet's labels but belong to no deployment in the store. */
  private async sweepOrphans(signal: AbortSignal): Promise<void> {
    const names = new Set((await this.ctx.store.listDeployments()).map((d) => d.name));
    const { slices } = await this.observer.observeFleet(signal);
    for (const s of slices) {
      if (names.has(s.key.deployment)) continue;
      await this.lease.fence();
      await this.ctx.providers.get(s.target)!.remove(s.key, { signal, reason: 'orphan' });
      await recordEvent(
        this.ctx,
        s.key.deployment,
        'Normal',
        'OrphanRemoved',
        `${s.target}/${s.key.zone} ${s.key.revision}: ${s.replicas} replicas of a deployment not in the store`,
      );
    }
  }
}

/**
 * How long a converged deployment may wait for its next pass: the resync interval, or less when
 * a domain changes by time alone before then: a failed domain's cooldown ends (it goes on
 * probation) or a domain on probation reaches the deployment's return window (replicas may move
 * back). Without this, a failback waited for up to two whole resyncs after those moments.
 */
export function untilTimedChange(
  now: number,
  resyncMs: number,
  retryAt: number | undefined,
  domains: ReadonlyArray<Pick<Domain, 'healthySince'>>,
  returnAfterMs: number,
): number {
  // a timer may fire a little early; a pass that comes too soon would see nothing change yet
  const SLACK_MS = 20;
  let next = now + resyncMs;
  const consider = (at: number | undefined) => {
    if (at !== undefined && at > now && at + SLACK_MS < next) next = at + SLACK_MS;
  };
  consider(retryAt);
  for (const d of domains) if (d.healthySince !== undefined) consider(d.healthySince + returnAfterMs);
  return next - now;
}

import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { isRetryable, PlacementError, SkyfleetError } from '../errors/index.js';
import { place } from '../placement/index.js';
import type { PlacementResult } from '../placement/types.js';
import { type ExplicitTarget, mergeRepairs, planExplicit, planStep, repairActions } from '../plan/index.js';
import { rolloutStep } from '../rollout/rollout-step.js';
import { isWatchable, type ObservedSlice, type Provider, splitsTraffic } from '../provider/provider.js';
import type { Deployment } from '../spec/deployment.js';
import type { Condition } from '../store/store.js';
import { act } from './act.js';
import { backoff } from './backoff.js';
import { mergeConditions } from './conditions.js';
import type { ReconcileContext } from './context.js';
import { recordEvent } from './context.js';
import { planInputOf, toSliceStates } from './converge.js';
import { DomainHealth, type DomainHealthOptions } from './domain-health.js';
import { domainsOf } from './domains.js';
import type { ControllerMetrics } from './metrics.js';
import { progressOf } from './progress.js';
import { resolveSecrets } from './secrets.js';
import { RevisionTemplates } from './templates.js';
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
  /** How long removed replicas may finish in-flight requests before they are stopped. */
  drainTimeoutMs?: number;
  /** Called after each pass (tests, UIs). */
  onPass?: (p: PassReport) => void;
}

export interface PassReport {
  deployment: string;
  result: 'done' | 'progressing' | 'retry' | 'terminal' | 'parked' | 'deleted';
  actions: number;
  message?: string;
}

interface KeyState {
  attempts: number;
  /** Generation a terminal error parked the deployment at: skip until the spec changes. */
  parkedAt?: number;
  generation?: number;
  assignment?: PlacementResult;
  unhealthySince: Map<string, number>;
}

const FLEET_KEY = '\u0000fleet';

/**
 * Keeps every deployment of the fleet's store converged for as long as it runs: a level-based
 * reconciler (controller-runtime's shape). One work queue of deployment names, at most one pass
 * per key at a time, per-key exponential backoff with jitter for retryable errors, terminal
 * errors parked with a Degraded condition until the spec changes, requeue-after while a rollout
 * progresses. Provider events trigger a pass at once; clouds are polled. Only the holder of the
 * fleet's lease acts, and every mutation is fenced by its token.
 */
export class Controller {
  readonly identity: string;
  private readonly queue: WorkQueue;
  private readonly health: DomainHealth;
  private readonly state = new Map<string, KeyState>();
  private readonly lastObserve = new Map<string, { at: number; slices: ObservedSlice[] }>();
  private token: number | undefined;
  private traffic: TrafficManager | undefined;
  private readonly ttl: number;
  private readonly resyncMs: number;
  private readonly progressMs: number;

  constructor(
    private readonly ctx: ReconcileContext,
    private readonly options: ControllerOptions = {},
  ) {
    this.identity = options.identity ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.queue = new WorkQueue(ctx.clock);
    this.health = new DomainHealth(ctx.clock, options.domainHealth);
    this.ttl = options.leaseTtlMs ?? 15_000;
    this.resyncMs = options.resyncMs ?? 30_000;
    this.progressMs = options.progressRequeueMs ?? 500;
  }

  get leaseName(): string {
    return `fleet/${this.ctx.fleet}`;
  }

  /** True while this controller holds the lease. */
  get leading(): boolean {
    return this.token !== undefined;
  }

  /**
   * Runs until `signal` aborts: waits for the lease, then reconciles; if the lease is lost it
   * stops acting and waits again. On abort it finishes the passes in flight (their provider
   * calls see the signal) and releases the lease so a standby takes over at once.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, store } = this.ctx;
    try {
      while (!signal.aborted) {
        const lease = await store.acquireLease(this.leaseName, this.identity, this.ttl, clock.now());
        if (!lease) {
          await clock.sleep(Math.max(50, this.ttl / 5), signal).catch(() => undefined);
          continue;
        }
        this.token = lease.token;
        this.options.metrics?.leader.set(1);
        await recordEvent(
          this.ctx,
          null,
          'Normal',
          'LeaderElected',
          `${this.identity} leads fleet ${this.ctx.fleet} (token ${lease.token})`,
        );
        const lost = new AbortController();
        const both = AbortSignal.any([signal, lost.signal]);
        // every provider request in flight listens on it (16 inspects per observe, several
        // passes at once): more than Node's default of 10 is normal here, not a leak
        setMaxListeners(256, both);
        const renew = this.renewLoop(both, lost);
        try {
          await this.lead(both);
        } finally {
          lost.abort();
          await renew;
          this.token = undefined;
          this.options.metrics?.leader.set(0);
        }
      }
    } finally {
      await store.releaseLease(this.leaseName, this.identity).catch(() => undefined);
    }
  }

  private async renewLoop(signal: AbortSignal, lost: AbortController): Promise<void> {
    const { clock, store } = this.ctx;
    while (!signal.aborted) {
      await clock.sleep(this.ttl / 3, signal).catch(() => undefined);
      if (signal.aborted) return;
      try {
        const lease = await store.acquireLease(this.leaseName, this.identity, this.ttl, clock.now());
        if (!lease || lease.token !== this.token) {
          await recordEvent(
            this.ctx,
            null,
            'Warning',
            'LeaseLost',
            `${this.identity} lost the lease of fleet ${this.ctx.fleet}`,
          );
          lost.abort();
          return;
        }
      } catch (e) {
        this.ctx.logger.warn({ err: (e as Error).message }, 'lease renewal failed');
      }
    }
  }

  /** The fence: refuses a mutation unless this controller still holds the lease with its token. */
  private readonly fence = async (): Promise<void> => {
    const token = this.token;
    if (
      token === undefined ||
      !(await this.ctx.store.checkLease(this.leaseName, this.identity, token, this.ctx.clock.now()))
    ) {
      throw new SkyfleetError(
        'lease_lost',
        `controller ${this.identity} no longer holds the lease of fleet ${this.ctx.fleet}: not acting`,
      );
    }
  };

  private async lead(signal: AbortSignal): Promise<void> {
    const unwatch = [...this.ctx.providers.values()].filter(isWatchable).map((p) =>
      p.watch({ fleet: this.ctx.fleet }, (change) => {
        this.lastObserve.delete(p.target);
        if (change.deployment) this.queue.add(change.deployment);
        else this.queue.add(FLEET_KEY);
      }),
    );
    if (this.options.traffic !== false)
      this.traffic = this.options.traffic ?? new TrafficManager(this.options.metrics?.registry);
    const resync = this.resyncLoop(signal);
    const workers = Array.from({ length: this.options.workers ?? 4 }, () => this.worker(signal));
    try {
      await Promise.all([resync, ...workers]);
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

  /** Observes one target, at most once per `minObserveIntervalMs` (the per-target rate limit). */
  private async observeTarget(p: Provider, signal: AbortSignal): Promise<ObservedSlice[]> {
    const now = this.ctx.clock.now();
    const min = this.options.minObserveIntervalMs ?? (p.kind === 'docker' || p.kind === 'memory' ? 0 : 2_000);
    const cached = this.lastObserve.get(p.target);
    if (cached && min > 0 && now - cached.at < min) return cached.slices;
    const slices = await p.observe({ fleet: this.ctx.fleet }, { signal, reason: 'observe' });
    this.lastObserve.set(p.target, { at: now, slices });
    return slices;
  }

  /** Observes every target on its own: a target that fails marks its domains, the rest go on. */
  private async observe(signal: AbortSignal): Promise<{ slices: ObservedSlice[]; failed: Map<string, Error> }> {
    const failed = new Map<string, Error>();
    const results = await Promise.all(
      [...this.ctx.providers.values()].map(async (p) => {
        const zones = p.describe().topology.zones;
        try {
          if (p.health) {
            for (const z of await p.health({ signal }))
              this.health.report(`${p.target}/${z.zone}`, z.healthy, z.reason);
          }
          const slices = await this.observeTarget(p, signal);
          for (const z of zones) this.health.success(`${p.target}/${z}`, 'api');
          return slices;
        } catch (e) {
          const msg = `API errors: ${(e as Error).message}`;
          failed.set(p.target, e as Error);
          for (const z of zones) this.health.failure(`${p.target}/${z}`, 'api', msg);
          return [];
        }
      }),
    );
    return { slices: results.flat(), failed };
  }

  private async pass(name: string, signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const started = ctx.clock.now();
    const st = this.state.get(name) ?? { attempts: 0, unhealthySince: new Map<string, number>() };
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
    const deployment: Deployment = rec.spec;
    const { spec } = deployment;
    const revision = rec.revision;
    const fenced: ReconcileContext = { ...ctx, fence: this.fence };

    try {
      const { slices: all, failed } = await this.observe(signal);
      const observed = all.filter((s) => s.key.deployment === name);
      const domains = domainsOf(
        ctx.providers,
        this.health.snapshot(domainsOf(ctx.providers).map((d) => `${d.target}/${d.zone}`)),
      );
      for (const d of domains)
        this.options.metrics?.domainHealthy.set({ target: d.target, zone: d.zone }, d.healthy ? 1 : 0);

      // placement, every pass: from the last assignment (stable: the engine moves only what the
      // policy needs), or from what exists on the first pass and after a spec change
      const current = new Map<string, number>();
      if (st.assignment && st.generation === rec.generation)
        for (const a of st.assignment.assignments) current.set(`${a.target}/${a.zone}`, a.replicas);
      else
        for (const s of observed)
          current.set(`${s.target}/${s.key.zone}`, (current.get(`${s.target}/${s.key.zone}`) ?? 0) + s.replicas);
      const prev = st.generation === rec.generation ? st.assignment : undefined;
      st.assignment = place({
        replicas: spec.replicas,
        policy: spec.placement,
        template: spec.template,
        domains,
        current,
        now: ctx.clock.now(),
      });
      st.generation = rec.generation;
      const summary = (p: PlacementResult) =>
        p.assignments
          .filter((a) => a.replicas > 0)
          .map((a) => `${a.target}/${a.zone}=${a.replicas}`)
          .join(', ');
      if (prev && summary(prev) !== summary(st.assignment)) {
        const unhealthy = domains
          .filter((d) => !d.healthy)
          .map((d) => `${d.target}/${d.zone}: ${d.unhealthyReason ?? 'unhealthy'}`);
        await recordEvent(
          ctx,
          name,
          'Normal',
          'Replaced',
          `placement ${summary(prev)} -> ${summary(st.assignment)}${unhealthy.length ? ` (${unhealthy.join('; ')})` : ''}`,
        );
      }
      const desired = st.assignment.assignments;

      // self-healing bookkeeping: since when each replica has been unhealthy
      const now = ctx.clock.now();
      const seen = new Set<string>();
      for (const s of observed) {
        for (const r of s.replicaStatus) {
          if (r.state === 'unhealthy') {
            seen.add(r.id);
            if (!st.unhealthySince.has(r.id)) st.unhealthySince.set(r.id, now);
          }
        }
      }
      for (const id of st.unhealthySince.keys()) if (!seen.has(id)) st.unhealthySince.delete(id);
      const probe = spec.template.containers[0]?.livenessProbe ?? spec.template.containers[0]?.readinessProbe;
      // 'unhealthy' already means the platform saw failureThreshold failed probes in a row (Docker's
      // health status); one more period confirms it is not about to recover
      const grace = probe ? probe.periodSeconds * 1000 : 30_000;

      const readyElsewhere = (x: ObservedSlice) =>
        observed.some((o) => o !== x && o.key.revision === revision && o.ready > 0);
      // replicas of a domain that all failed count against its health
      for (const s of observed) {
        if (s.key.revision !== revision || s.replicas === 0) continue;
        const key = `${s.target}/${s.key.zone}`;
        if (s.replicaStatus.every((r) => r.state === 'failed'))
          this.health.failure(
            key,
            'replicas',
            `replicas cannot become ready: ${s.replicaStatus[0]?.message ?? 'failed'}`,
          );
        else if (s.ready > 0) this.health.success(key, 'replicas');
        // none ready here while the deployment is ready elsewhere: the domain, not the template
        if (s.ready === 0 && readyElsewhere(s)) {
          const why = s.replicaStatus.find((r) => r.message)?.message ?? s.replicaStatus[0]?.state ?? 'not ready';
          this.health.failure(key, 'unready', `replicas not becoming ready: ${why}`);
        } else this.health.success(key, 'unready');
      }

      const templates = new RevisionTemplates(ctx.store, name, { revision, template: spec.template });
      const unknown = await templates.unknown(new Set(observed.map((s) => s.key.revision)));
      // slices on targets we could not observe are left alone (we cannot see them)
      const input = planInputOf(deployment, revision, desired, observed, unknown);
      let step = planStep(input);
      let weights: Record<string, number> | null = null;
      let preview: string | undefined;
      let rolloutDone = true;
      let rolloutMessage: string | undefined;
      if (spec.strategy.type === 'BlueGreen' || spec.strategy.type === 'Canary') {
        // a progressive rollout: the rollout step decides counts per revision and the traffic split
        const prior = await ctx.store.getRollout(name);
        const readyBy = new Map<string, number>();
        for (const s of observed) readyBy.set(s.key.revision, (readyBy.get(s.key.revision) ?? 0) + s.ready);
        // with no rollout on record, it starts from whatever serves most now
        const serving = [...readyBy]
          .filter(([r, n]) => r !== revision && n > 0)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
        const decision = rolloutStep({
          ...(serving ? { serving } : {}),
          strategy: spec.strategy,
          replicas: spec.replicas,
          revision,
          state: prior,
          ready: readyBy,
          stats: (rev, windowMs) => this.traffic?.stats(name, rev, windowMs),
          weighted: (!!spec.service && !!this.traffic) || [...ctx.providers.values()].some(splitsTraffic),
          now,
        });
        if (JSON.stringify(decision.state) !== JSON.stringify(prior)) await ctx.store.putRollout(name, decision.state);
        for (const e of decision.events) await recordEvent(ctx, name, e.type, e.reason, e.message);
        weights = decision.weights;
        preview = decision.preview;
        rolloutDone = decision.state.phase === 'Completed' || decision.state.phase === 'Aborted';
        rolloutMessage = `${decision.state.phase}: ${decision.state.message}`;
        const explicit: ExplicitTarget[] = [];
        for (const [rev, n] of decision.replicas) {
          const assignments =
            rev === revision && n === spec.replicas
              ? desired
              : place({
                  replicas: n,
                  policy: spec.placement,
                  template: (await templates.get(rev)) ?? spec.template,
                  domains,
                  current: new Map(
                    observed
                      .filter((o) => o.key.revision === rev)
                      .map((o) => [`${o.target}/${o.key.zone}`, o.replicas]),
                  ),
                  now,
                }).assignments;
          for (const a of assignments)
            explicit.push({ target: a.target, zone: a.zone, revision: rev, replicas: a.replicas });
        }
        step = planExplicit({ desired: explicit, observed: toSliceStates(observed) });
      }
      const repairs = repairActions({
        revision,
        observed,
        now,
        unhealthySince: st.unhealthySince,
        unhealthyGraceMs: grace,
      });
      const actions = mergeRepairs(step.actions, repairs).filter((a) => !failed.has(a.target));
      const progress = progressOf(
        name,
        revision,
        spec.replicas,
        input.desired,
        observed,
        rolloutMessage ?? (step.done ? 'ready' : 'updating'),
      );
      if (this.traffic) {
        await this.traffic.sync(deployment, observed, weights, preview);
        if (spec.service)
          await this.traffic.drainFor(deployment, actions, observed, this.options.drainTimeoutMs ?? 30_000);
      }
      for (const d of progress.domains) {
        this.options.metrics?.desired.set({ deployment: name, target: d.target, zone: d.zone }, d.desired);
        this.options.metrics?.ready.set({ deployment: name, target: d.target, zone: d.zone }, d.ready);
      }

      let writes = 0;
      if (actions.length) {
        const secrets = await resolveSecrets(spec.template, ctx.secrets);
        const res = await act(fenced, deployment, actions, templates, secrets, signal);
        writes = res.writes;
        for (const a of actions) this.lastObserve.delete(a.target);
        for (const a of actions) {
          const f = res.failures.find((x) => x.action === a);
          if (!f) this.health.success(`${a.target}/${a.zone}`, 'apply');
          else if (isRetryable(f.error))
            this.health.failure(`${a.target}/${a.zone}`, 'apply', (f.error as Error).message);
        }
        const lease = res.failures.find((f) => f.error instanceof SkyfleetError && f.error.code === 'lease_lost');
        if (lease) throw lease.error;
        const terminal = res.failures.find((f) => !isRetryable(f.error));
        if (terminal) throw terminal.error;
        if (res.failures.length) throw res.failures[0]!.error;
      }
      // targets that split traffic natively (Cloud Run) get the rollout's split themselves
      if (weights && !actions.length) await this.splitNatively(name, observed, weights, signal);
      // a target we could not observe: the others were reconciled; retry it with backoff
      if (failed.size) throw [...failed.values()][0];

      st.attempts = 0;
      const done = step.done && rolloutDone && actions.length === 0 && failed.size === 0;
      await this.setConditions(
        name,
        spec.replicas,
        progress,
        done,
        failed,
        domains.filter((d) => !d.healthy).map((d) => `${d.target}/${d.zone}: ${d.unhealthyReason}`),
      );
      if (done) {
        this.queue.addAfter(name, this.resyncMs);
        await ctx.store.pruneRevisions(name, 10, new Set([revision]));
      } else this.queue.addAfter(name, this.progressMs);
      report({
        deployment: name,
        result: done ? 'done' : 'progressing',
        actions: actions.length,
        ...(writes ? { message: `${writes} writes` } : {}),
      });
    } catch (e) {
      if (e instanceof SkyfleetError && e.code === 'lease_lost') {
        report({ deployment: name, result: 'retry', actions: 0, message: e.message });
        throw e;
      }
      const retryable = isRetryable(e) || (e instanceof PlacementError && e.kind === 'unschedulable');
      this.options.metrics?.errors.inc({ deployment: name, retryable: String(retryable) });
      const message = (e as Error).message;
      if (retryable) {
        st.attempts += 1;
        // capped at 10 s: a level-based pass is cheap, and the domain-health breaker (not backoff)
        // is what keeps a failing cloud from being hammered
        const delay = backoff(st.attempts, (e as SkyfleetError).retryAfterMs, 10_000);
        await recordEvent(
          ctx,
          name,
          'Warning',
          'ReconcileRetry',
          `attempt ${st.attempts}, retrying in ${Math.round(delay)} ms: ${message}`,
        );
        await this.setConditions(name, spec.replicas, undefined, false, new Map(), [], {
          reason: 'RetryableError',
          message,
        });
        this.queue.addAfter(name, delay);
        report({ deployment: name, result: 'retry', actions: 0, message });
      } else {
        st.parkedAt = rec.generation;
        await recordEvent(ctx, name, 'Warning', 'ReconcileFailed', `parked until the spec changes: ${message}`);
        await this.setConditions(name, spec.replicas, undefined, false, new Map(), [], {
          reason: 'TerminalError',
          message,
        });
        this.queue.addAfter(name, this.resyncMs);
        report({ deployment: name, result: 'terminal', actions: 0, message });
      }
    }
  }

  private async setConditions(
    name: string,
    replicas: number,
    progress: ReturnType<typeof progressOf> | undefined,
    done: boolean,
    failed: ReadonlyMap<string, Error>,
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
      error ??
      (failed.size || unhealthy.length
        ? {
            reason: 'DomainsUnhealthy',
            message: [...[...failed].map(([t, e]) => `${t}: ${e.message}`), ...unhealthy].join('; '),
          }
        : undefined);
    next.push(
      degraded
        ? { type: 'Degraded', status: 'True', ...degraded }
        : { type: 'Degraded', status: 'False', reason: 'Healthy', message: '' },
    );
    await this.ctx.store.putConditions(name, mergeConditions(old, next, this.ctx.clock.now()));
  }

  private async splitNatively(
    name: string,
    observed: readonly ObservedSlice[],
    weights: Record<string, number>,
    signal: AbortSignal,
  ): Promise<void> {
    for (const p of this.ctx.providers.values()) {
      if (!splitsTraffic(p)) continue;
      const here = new Set(observed.filter((o) => o.target === p.target).map((o) => o.key.revision));
      const revs = [...here].filter((r) => (weights[r] ?? 0) > 0);
      if (!revs.length) continue;
      const total = revs.reduce((a, r) => a + weights[r]!, 0);
      const splits = revs.map((r) => ({ revision: r, percent: Math.floor((weights[r]! * 100) / total) }));
      splits[0]!.percent += 100 - splits.reduce((a, x) => a + x.percent, 0);
      for (const r of here) if (!revs.includes(r)) splits.push({ revision: r, percent: 0 });
      await this.fence();
      const res = await p.setTraffic(name, splits, {
        signal,
        reason: `traffic ${splits.map((x) => `${x.revision}=${x.percent}%`).join(' ')}`,
      });
      if (res.changed)
        await recordEvent(
          this.ctx,
          name,
          'Normal',
          'TrafficShifted',
          `${p.target}: ${splits.map((x) => `${x.revision} ${x.percent}%`).join(', ')}`,
        );
    }
  }

  /** Removes resources that carry the fleet's labels but belong to no deployment in the store. */
  private async sweepOrphans(signal: AbortSignal): Promise<void> {
    const names = new Set((await this.ctx.store.listDeployments()).map((d) => d.name));
    const { slices } = await this.observe(signal);
    for (const s of slices) {
      if (names.has(s.key.deployment)) continue;
      await this.fence();
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

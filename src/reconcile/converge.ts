import { ConvergeError, isRetryable, type NotReadyReplica, SkyfleetError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { place } from '../placement/index.js';
import type { PlacementResult } from '../placement/types.js';
import { type Action, planStep, rolloutBudget, type PlanInput, type SliceState } from '../plan/index.js';
import { isWatchable, type ObservedSlice, type Provider } from '../provider/provider.js';
import type { Deployment, PodTemplate } from '../spec/deployment.js';
import { revisionOf } from '../spec/revision.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { mapPool } from '../util/pool.js';
import { domainsOf } from './domains.js';
import { observeAll } from './observe-all.js';
import { type Progress, progressOf } from './progress.js';
import { resolveSecrets, type SecretResolver } from './secrets.js';

export interface ReconcileContext {
  fleet: string;
  providers: ReadonlyMap<string, Provider>;
  store: Store;
  clock: Clock;
  logger: Logger;
  secrets: SecretResolver;
}

export interface ConvergeOptions {
  /** Give up (ConvergeError) after this long; defaults to spec.progressDeadlineSeconds. */
  timeoutMs?: number;
  /** How often to re-observe while waiting; provider events wake it sooner. */
  pollIntervalMs?: number;
  /** Wait until every replica is ready (default) or return after the first step. */
  wait?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ConvergeResult {
  revision: string;
  placement: PlacementResult;
  /** Provider write calls made. */
  writes: number;
  actions: Action[];
  progress: Progress;
}

/** The per-slice state the planner sees, from what providers report. */
export function toSliceStates(observed: readonly ObservedSlice[]): SliceState[] {
  return observed.map((s) => ({
    target: s.target,
    zone: s.key.zone,
    revision: s.key.revision,
    replicas: s.replicas,
    ready: s.ready,
  }));
}

/** Replicas per domain over every revision: the current assignment placement keeps stable. */
function currentAssignment(observed: readonly ObservedSlice[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of observed) m.set(`${s.target}/${s.key.zone}`, (m.get(`${s.target}/${s.key.zone}`) ?? 0) + s.replicas);
  return m;
}

export function planInputOf(
  deployment: Deployment,
  revision: string,
  placement: PlacementResult,
  observed: readonly ObservedSlice[],
  unknown: ReadonlySet<string>,
): PlanInput {
  const { spec } = deployment;
  return {
    replicas: spec.replicas,
    revision,
    desired: placement.assignments.map((a) => ({ target: a.target, zone: a.zone, replicas: a.replicas })),
    observed: toSliceStates(observed),
    strategy:
      spec.strategy.type === 'Recreate'
        ? { type: 'Recreate' }
        : {
            type: 'RollingUpdate',
            budget: rolloutBudget(
              spec.replicas,
              spec.strategy.rollingUpdate.maxSurge,
              spec.strategy.rollingUpdate.maxUnavailable,
            ),
          },
    unknownRevisions: unknown,
  };
}

/**
 * Drives one deployment to its desired state: record it, place it, then observe -> plan a step
 * -> act -> wait, until every replica of the current revision is ready and nothing else is
 * left, or the deadline passes. Retryable provider errors are retried with backoff until the
 * deadline; terminal ones end the run at once with the provider's message.
 */
export async function converge(
  ctx: ReconcileContext,
  deployment: Deployment,
  options: ConvergeOptions = {},
): Promise<ConvergeResult> {
  const name = deployment.metadata.name;
  const { spec } = deployment;
  const clock = ctx.clock;
  const start = clock.now();
  const deadline = start + (options.timeoutMs ?? spec.progressDeadlineSeconds * 1000);
  const pollMs = options.pollIntervalMs ?? 250;
  const revision = revisionOf(spec.template);
  const secrets = await resolveSecrets(spec.template, ctx.secrets);

  const prior = await ctx.store.getDeployment(name);
  await ctx.store.putRevision(name, revision, spec.template, start);
  await ctx.store.putDeployment({ name, spec: deployment, revision, updatedAt: start });
  if (!prior || prior.revision !== revision) {
    await event(
      ctx,
      name,
      'Normal',
      prior ? 'RevisionChanged' : 'Created',
      prior ? `revision ${prior.revision} -> ${revision}` : `revision ${revision}`,
    );
  }

  const observeWithRetry = async (): Promise<ObservedSlice[]> => {
    let attempt = 0;
    for (;;) {
      try {
        return await observeAll(ctx.providers, ctx.fleet, name, options.signal);
      } catch (e) {
        attempt++;
        if (!isRetryable(e) || clock.now() + backoff(attempt) > deadline) throw e;
        await event(ctx, name, 'Warning', 'ObserveFailed', (e as Error).message);
        await clock.sleep(backoff(attempt, (e as SkyfleetError).retryAfterMs), options.signal);
      }
    }
  };

  let observed = await observeWithRetry();
  const domains = domainsOf(ctx.providers);
  const placement = place({
    replicas: spec.replicas,
    policy: spec.placement,
    template: spec.template,
    domains,
    current: currentAssignment(observed),
    now: start,
  });
  const templates = new Map<string, PodTemplate>([[revision, spec.template]]);
  const unknown = new Set<string>();
  const templateOf = async (rev: string): Promise<PodTemplate | undefined> => {
    if (templates.has(rev)) return templates.get(rev);
    const r = await ctx.store.getRevision(name, rev);
    if (r) templates.set(rev, r.template);
    return r?.template;
  };

  // wake early on provider events (Docker's event stream) instead of waiting a whole poll
  let wake: (() => void) | undefined;
  const unwatch = [...ctx.providers.values()]
    .filter(isWatchable)
    .map((p) => p.watch({ fleet: ctx.fleet, deployment: name }, () => wake?.()));

  let writes = 0;
  const done: Action[] = [];
  let attempt = 0;
  let lastKey = '';
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      for (const s of observed) if (!(await templateOf(s.key.revision))) unknown.add(s.key.revision);
      const input = planInputOf(deployment, revision, placement, observed, unknown);
      const step = planStep(input);
      const progress = progressOf(
        name,
        revision,
        spec.replicas,
        input.desired,
        observed,
        step.done ? 'ready' : step.actions.length ? 'updating' : `waiting for ${step.waitingFor ?? 'readiness'}`,
      );
      const key = JSON.stringify(progress);
      if (key !== lastKey) options.onProgress?.(progress);
      lastKey = key;
      if (step.done) {
        await ctx.store.pruneRevisions(name, 10, new Set([revision]));
        if (done.length)
          await event(
            ctx,
            name,
            'Normal',
            'Converged',
            `${spec.replicas} replica${spec.replicas === 1 ? '' : 's'} of ${revision} ready`,
          );
        return { revision, placement, writes, actions: done, progress };
      }
      if (clock.now() > deadline) throw notConverged(name, spec.replicas, progress, observed, revision);
      if (step.actions.length) {
        try {
          writes += await act(ctx, name, step.actions, templateOf, secrets, deployment, options.signal);
          done.push(...step.actions);
          attempt = 0;
        } catch (e) {
          if (!isRetryable(e)) throw e;
          attempt++;
          await event(ctx, name, 'Warning', 'ProviderRetry', (e as Error).message);
          await clock.sleep(
            Math.min(backoff(attempt, (e as SkyfleetError).retryAfterMs), Math.max(0, deadline - clock.now())),
            options.signal,
          );
        }
        if (options.wait === false) {
          return { revision, placement, writes, actions: done, progress };
        }
      } else {
        if (options.wait === false) return { revision, placement, writes, actions: done, progress };
        await new Promise<void>((resolve) => {
          wake = resolve;
          clock.sleep(pollMs, options.signal).then(resolve, resolve);
        });
        wake = undefined;
      }
      observed = await observeWithRetry();
    }
  } finally {
    for (const u of unwatch) u();
  }
}

async function act(
  ctx: ReconcileContext,
  name: string,
  actions: readonly Action[],
  templateOf: (rev: string) => Promise<PodTemplate | undefined>,
  secrets: Record<string, string>,
  deployment: Deployment,
  signal?: AbortSignal,
): Promise<number> {
  let writes = 0;
  await mapPool(actions, 16, async (a) => {
    const provider = ctx.providers.get(a.target);
    if (!provider)
      throw new SkyfleetError('unknown_target', `target ${a.target} is not configured in fleet ${ctx.fleet}`);
    const key = { fleet: ctx.fleet, deployment: name, revision: a.revision, zone: a.zone };
    const reason = `${a.type} ${a.target}/${a.zone} ${a.revision} ${a.from}->${a.to}`;
    ctx.logger.info(
      {
        deployment: name,
        action: a.type,
        target: a.target,
        zone: a.zone,
        revision: a.revision,
        from: a.from,
        to: a.to,
      },
      a.reason,
    );
    if (a.to === 0) {
      writes += (await provider.remove(key, { signal, reason })).writes;
    } else {
      const template = await templateOf(a.revision);
      if (!template)
        throw new SkyfleetError('unknown_revision', `revision ${a.revision} of ${name} has no template on record`);
      const res = await provider.apply(
        { key, replicas: a.to, template, secrets, labels: deployment.metadata.labels ?? {} },
        { signal, reason },
      );
      writes += res.writes;
    }
    await event(
      ctx,
      name,
      'Normal',
      a.type === 'create' ? 'SliceCreated' : a.type === 'delete' ? 'SliceRemoved' : 'SliceScaled',
      `${a.target}/${a.zone} ${a.revision}: ${a.from} -> ${a.to} (${a.reason})`,
    );
  });
  return writes;
}

function notConverged(
  name: string,
  replicas: number,
  progress: Progress,
  observed: readonly ObservedSlice[],
  revision: string,
): ConvergeError {
  const notReady: NotReadyReplica[] = [];
  for (const s of observed) {
    for (const r of s.replicaStatus) {
      if (!r.ready)
        notReady.push({
          target: s.target,
          zone: s.key.zone,
          replica: r.name,
          state: r.state,
          ...(r.message ? { message: r.message } : {}),
        });
    }
  }
  const old = progress.domains.reduce((a, d) => a + d.old, 0);
  const summary = `${progress.ready}/${replicas} replicas of revision ${revision} ready${old ? `, ${old} of older revisions still running` : ''}`;
  return new ConvergeError(name, summary, notReady);
}

async function event(
  ctx: ReconcileContext,
  deployment: string,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  ctx.logger[type === 'Warning' ? 'warn' : 'info']({ deployment, reason }, message);
  await ctx.store.addEvent({ time: ctx.clock.now(), deployment, type, reason, message });
}

/** Exponential backoff with full jitter, 200 ms doubling to 10 s, or the provider's Retry-After. */
export function backoff(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = Math.min(10_000, 200 * 2 ** Math.min(attempt, 10));
  return cap / 2 + Math.random() * (cap / 2);
}

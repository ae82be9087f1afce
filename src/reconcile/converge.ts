import { ConvergeError, isRetryable, type NotReadyReplica, SkyfleetError } from '../errors/index.js';
import { place } from '../placement/index.js';
import type { PlacementResult } from '../placement/types.js';
import {
  type Action,
  mergeRepairs,
  type PlanInput,
  planStep,
  repairActions,
  rolloutBudget,
  type SliceState,
} from '../plan/index.js';
import { isWatchable, type ObservedSlice } from '../provider/provider.js';
import type { Deployment } from '../spec/deployment.js';
import { revisionOf } from '../spec/revision.js';
import { act } from './act.js';
import { backoff } from './backoff.js';
import { type ReconcileContext, recordEvent } from './context.js';
import { domainsOf } from './domains.js';
import { observeAll } from './observe-all.js';
import { type Progress, progressOf } from './progress.js';
import { resolveSecrets } from './secrets.js';
import { RevisionTemplates } from './templates.js';

export type { ReconcileContext } from './context.js';
export { backoff } from './backoff.js';

export interface ConvergeOptions {
  /** Give up (ConvergeError) after this long; defaults to spec.progressDeadlineSeconds. */
  timeoutMs?: number;
  /** How often to re-observe while waiting; provider events wake it sooner. */
  pollIntervalMs?: number;
  /** Wait until every replica is ready (default) or return after the first step. */
  wait?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /**
   * Record desired state and wait, without acting: a running controller holds the fleet's lease
   * and converges it.
   */
  observeOnly?: boolean;
}

export interface ConvergeResult {
  revision: string;
  placement: PlacementResult;
  /** Provider write calls made. */
  writes: number;
  actions: Action[];
  progress: Progress;
  /** True when a running controller held the lease and did the work (apply only recorded and watched). */
  byController?: boolean;
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
export function currentAssignment(observed: readonly ObservedSlice[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of observed) m.set(`${s.target}/${s.key.zone}`, (m.get(`${s.target}/${s.key.zone}`) ?? 0) + s.replicas);
  return m;
}

export function planInputOf(
  deployment: Deployment,
  revision: string,
  desired: ReadonlyArray<{ target: string; zone: string; replicas: number }>,
  observed: readonly ObservedSlice[],
  unknown: ReadonlySet<string>,
): PlanInput {
  const { spec } = deployment;
  return {
    replicas: spec.replicas,
    revision,
    desired: desired.map((a) => ({ target: a.target, zone: a.zone, replicas: a.replicas })),
    observed: toSliceStates(observed),
    strategy:
      spec.strategy.type === 'Recreate'
        ? { type: 'Recreate' }
        : spec.strategy.type === 'RollingUpdate'
          ? {
              type: 'RollingUpdate',
              budget: rolloutBudget(
                spec.replicas,
                spec.strategy.rollingUpdate.maxSurge,
                spec.strategy.rollingUpdate.maxUnavailable,
              ),
            }
          : // BlueGreen/Canary outside a rollout (first deploy, scaling): never below the replicas asked for
            { type: 'RollingUpdate', budget: rolloutBudget(spec.replicas, '25%', 0) },
    unknownRevisions: unknown,
  };
}

/** Records the desired state (spec and revision) before anything changes. */
export async function recordDesired(ctx: ReconcileContext, deployment: Deployment): Promise<string> {
  const name = deployment.metadata.name;
  const revision = revisionOf(deployment.spec.template);
  const now = ctx.clock.now();
  const prior = await ctx.store.getDeployment(name);
  await ctx.store.putRevision(name, revision, deployment.spec.template, now);
  await ctx.store.putDeployment({ name, spec: deployment, revision, updatedAt: now });
  if (!prior || prior.revision !== revision) {
    await recordEvent(
      ctx,
      name,
      'Normal',
      prior ? 'RevisionChanged' : 'Created',
      prior ? `revision ${prior.revision} -> ${revision}` : `revision ${revision}`,
    );
  }
  return revision;
}

export function notConverged(
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

/**
 * Drives one deployment to its desired state (what `apply` does): record it, place it, then
 * observe -> plan a step -> act -> wait, until every replica of the current revision is ready
 * and nothing else is left, or the deadline passes. Retryable provider errors are retried with
 * backoff until the deadline; terminal ones end the run at once with the provider's message.
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
  const secrets = await resolveSecrets(spec.template, ctx.secrets);
  if ((spec.strategy.type === 'BlueGreen' || spec.strategy.type === 'Canary') && !options.observeOnly) {
    const prior = await ctx.store.getDeployment(name);
    if (prior && prior.revision !== revisionOf(spec.template)) {
      throw new SkyfleetError(
        'controller_required',
        `deployment ${name}: a ${spec.strategy.type} rollout runs in the controller, which serves the traffic it shifts and waits for promotion: start \`skyfleet controller\` for fleet ${ctx.fleet} and apply again (nothing was changed)`,
      );
    }
  }
  const revision = await recordDesired(ctx, deployment);
  const templates = new RevisionTemplates(ctx.store, name, { revision, template: spec.template });

  let attempt = 0;
  const retryOrThrow = async (e: unknown, reason: string) => {
    attempt++;
    if (!isRetryable(e) || clock.now() > deadline) throw e;
    await recordEvent(ctx, name, 'Warning', reason, (e as Error).message);
    await clock.sleep(
      Math.min(backoff(attempt, (e as SkyfleetError).retryAfterMs), Math.max(0, deadline - clock.now())),
      options.signal,
    );
  };
  const observe = async (): Promise<ObservedSlice[]> => {
    for (;;) {
      try {
        return await observeAll(ctx.providers, ctx.fleet, name, options.signal);
      } catch (e) {
        await retryOrThrow(e, 'ObserveFailed');
      }
    }
  };

  let observed = await observe();
  const placement = place({
    replicas: spec.replicas,
    policy: spec.placement,
    template: spec.template,
    domains: domainsOf(ctx.providers),
    current: currentAssignment(observed),
    now: start,
  });

  // wake early on provider events (Docker's event stream) instead of waiting a whole poll
  let wake: (() => void) | undefined;
  const unwatch = [...ctx.providers.values()]
    .filter(isWatchable)
    .map((p) => p.watch({ fleet: ctx.fleet, deployment: name }, () => wake?.()));

  let writes = 0;
  const done: Action[] = [];
  const result = (progress: Progress): ConvergeResult => ({
    revision,
    placement,
    writes,
    actions: done,
    progress,
    ...(options.observeOnly ? { byController: true } : {}),
  });
  let lastKey = '';
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      if (options.observeOnly && (spec.strategy.type === 'Canary' || spec.strategy.type === 'BlueGreen')) {
        // the controller runs this rollout: report where it stands; a pause waiting for
        // `rollout promote` or a completed rollout ends the wait, an automatic rollback fails it
        const st = await ctx.store.getRollout(name);
        if (st && st.canary === revision) {
          const progress = progressOf(name, revision, spec.replicas, [], observed, `${st.phase}: ${st.message}`);
          const key = JSON.stringify(progress);
          if (key !== lastKey) options.onProgress?.(progress);
          lastKey = key;
          if (st.phase === 'Aborted') {
            throw new SkyfleetError(
              'rollout_aborted',
              `deployment ${name}: rollout of ${revision} aborted: ${st.message}`,
            );
          }
          if (st.phase === 'Completed' || (st.phase === 'Paused' && !st.pausedByUser) || options.wait === false) {
            return result(progress);
          }
        }
        const waiting = progressOf(name, revision, spec.replicas, [], observed, 'waiting for the controller');
        if (options.wait === false) return result(waiting);
        if (clock.now() > deadline) throw notConverged(name, spec.replicas, waiting, observed, revision);
        await clock.sleep(pollMs, options.signal);
        observed = await observe();
        continue;
      }
      const unknown = await templates.unknown(new Set(observed.map((s) => s.key.revision)));
      const input = planInputOf(deployment, revision, placement.assignments, observed, unknown);
      const step = planStep(input);
      const actions = mergeRepairs(
        step.actions,
        repairActions({
          revision,
          observed,
          now: clock.now(),
          unhealthySince: new Map(),
          unhealthyGraceMs: Number.POSITIVE_INFINITY,
        }),
      );
      const phase =
        step.done && !actions.length
          ? 'ready'
          : options.observeOnly
            ? 'waiting for the controller'
            : actions.length
              ? 'updating'
              : `waiting for ${step.waitingFor ?? 'readiness'}`;
      const progress = progressOf(name, revision, spec.replicas, input.desired, observed, phase);
      const key = JSON.stringify(progress);
      if (key !== lastKey) options.onProgress?.(progress);
      lastKey = key;
      if (step.done && !actions.length) {
        await ctx.store.pruneRevisions(name, 10, new Set([revision]));
        if (done.length)
          await recordEvent(
            ctx,
            name,
            'Normal',
            'Converged',
            `${spec.replicas} replica${spec.replicas === 1 ? '' : 's'} of ${revision} ready`,
          );
        return result(progress);
      }
      if (clock.now() > deadline) throw notConverged(name, spec.replicas, progress, observed, revision);
      if (actions.length && !options.observeOnly) {
        const res = await act(ctx, deployment, actions, templates, secrets, options.signal);
        writes += res.writes;
        done.push(...actions.filter((a) => !res.failures.some((f) => f.action === a)));
        const terminal = res.failures.find((f) => !isRetryable(f.error));
        if (terminal) throw terminal.error;
        if (res.failures.length) await retryOrThrow(res.failures[0]!.error, 'ProviderRetry');
        else attempt = 0;
        if (options.wait === false) return result(progress);
      } else {
        if (options.wait === false) return result(progress);
        await new Promise<void>((resolve) => {
          wake = resolve;
          clock.sleep(pollMs, options.signal).then(resolve, resolve);
        });
        wake = undefined;
      }
      observed = await observe();
    }
  } finally {
    for (const u of unwatch) u();
  }
}

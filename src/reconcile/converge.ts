import { ConvergeError, isRetryable, type NotReadyReplica, SkyfleetError } from '../errors/index.js';
import type { PlacementResult } from '../placement/types.js';
import type { Action } from '../plan/index.js';
import { isWatchable, type ObservedSlice } from '../provider/provider.js';
import type { Deployment } from '../spec/deployment.js';
import { desiredRevision } from './desired-revision.js';
import { backoff } from './backoff.js';
import { type ReconcileContext, recordEvent } from './context.js';
import { DeploymentObserver } from './pass/deployment-observer.js';
import { newPassMemory } from './pass/pass-memory.js';
import type { Outcome } from './pass/outcome.js';
import { type PassResult, reconcilePass } from './pass/reconcile-pass.js';
import { type Progress, progressOf } from './progress.js';
import { recordDesired } from './record-desired.js';
import { isOperationHolder, leaseNameOf } from './fleet-lease.js';
import type { DeploymentRecord } from '../store/store.js';
import { deploymentSecrets } from './secrets.js';

export type { ReconcileContext } from './context.js';

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
  /**
   * A compare-and-set on the deployment's `resourceVersion` as the writer read it (0: it must not
   * exist yet): when another writer changed it since, nothing is written and a `conflict` error
   * says what is stored now. Without it, apply is a plain upsert.
   */
  expectResourceVersion?: number;
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
  /** True when this apply created the deployment (it had no record before). */
  created?: boolean;
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
 * The `apply` driver of the reconcile pass: records the desired state, then runs passes until
 * every replica of the current revision is ready and nothing else is left, or the deadline
 * passes. Between passes it waits for a poll interval or a provider event; retryable errors
 * are retried with backoff until the deadline; terminal ones end the run at once with the
 * provider's message. With a controller leading (`observeOnly`) it plans without acting and
 * reports what the controller does.
 */
export async function converge(
  ctx: ReconcileContext,
  deployment: Deployment,
  options: ConvergeOptions = {},
): Promise<ConvergeResult> {
  const name = deployment.metadata.name;
  const { spec } = deployment;
  const clock = ctx.clock;
  const deadline = clock.now() + (options.timeoutMs ?? spec.progressDeadlineSeconds * 1000);
  const pollMs = options.pollIntervalMs ?? 250;
  const secrets = await deploymentSecrets(ctx, spec);
  // once per apply: it may read the version of each secret from a cloud's own store
  const desired = await desiredRevision(ctx, deployment, secrets);
  const progressive = spec.strategy.type === 'BlueGreen' || spec.strategy.type === 'Canary';
  if (progressive && !options.observeOnly) {
    const prior = await ctx.store.getDeployment(name);
    if (prior && prior.revision !== desired) {
      throw new SkyfleetError(
        'controller_required',
        `deployment ${name}: a ${spec.strategy.type} rollout runs in the controller, which serves the traffic it shifts and waits for promotion: start \`skyfleet controller\` for fleet ${ctx.fleet} and apply again (nothing was changed)`,
      );
    }
  }
  const priorGeneration = options.observeOnly ? (await ctx.store.getDeployment(name))?.generation : undefined;
  const { record, created } = await recordDesired(ctx, deployment, options.expectResourceVersion, desired);
  // what the controller must have converged since: this change, or (an apply of what is already
  // recorded) whatever it last converged
  const recordedAt = record.generation === priorGeneration ? 0 : clock.now();
  const revision = record.revision;
  if (options.observeOnly && progressive) return watchRollout(ctx, record, deadline, pollMs, options);

  // wake early on provider events (Docker's event stream) instead of waiting a whole poll
  let wake: (() => void) | undefined;
  const unwatch = [...ctx.providers.values()]
    .filter(isWatchable)
    .map((p) => p.watch({ fleet: ctx.fleet, deployment: name }, () => wake?.()));
  const driver = { observer: new DeploymentObserver(ctx.providers, ctx.fleet) };
  const memory = newPassMemory();
  let writes = 0;
  const retry = retrier(ctx, name, deadline, options.signal);
  const done: Action[] = [];
  let placement: PlacementResult | undefined;
  const result = (progress: Progress): ConvergeResult => ({
    revision,
    placement: placement!,
    writes,
    actions: done,
    progress,
    ...(options.observeOnly ? { byController: true } : {}),
    ...(created ? { created } : {}),
  });
  let lastKey = '';
  const report = (r: PassResult): Progress => {
    const progress = options.observeOnly
      ? { ...r.progress!, phase: r.outcome.type === 'done' ? 'ready' : 'waiting for the controller' }
      : r.progress!;
    const key = JSON.stringify(progress);
    if (key !== lastKey) options.onProgress?.(progress);
    lastKey = key;
    return progress;
  };
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const late = clock.now() > deadline;
      const r = await reconcilePass(ctx, driver, {
        deployment: record.spec,
        revision,
        generation: 0,
        memory,
        act: !options.observeOnly && !late,
        secrets,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      writes += r.writes;
      done.push(...r.acted);
      placement ??= r.placement;
      const outcome = r.outcome;
      if (outcome.type === 'retry' || outcome.type === 'terminal') {
        await retry(outcome);
        continue;
      }
      // a controller leads: it places with the domain health it watches (a zone back from an outage
      // stays out for its cooldown), which this pass does not know. Its own word then counts: it
      // has reported this revision converged since the change was recorded, and the replicas say
      // so too (all of the revision ready, none of another), wherever it placed them
      const handedOffDone =
        options.observeOnly &&
        outcome.type !== 'done' &&
        r.progress !== undefined &&
        settled(r.progress) &&
        (await controllerConverged(ctx, name, revision, recordedAt));
      const progress = report(handedOffDone ? { ...r, outcome: { type: 'done' } } : r);
      if (outcome.type === 'done' || handedOffDone) {
        if (done.length)
          await recordEvent(
            ctx,
            name,
            'Normal',
            'Converged',
            `${record.spec.spec.replicas} replica${record.spec.spec.replicas === 1 ? '' : 's'} of ${revision} ready`,
          );
        return result(progress);
      }
      if (late) throw notConverged(name, record.spec.spec.replicas, progress, r.observed, revision);
      if (outcome.type === 'requeue') retry.reset();
      if (options.wait === false) return result(progress);
      if (options.observeOnly) await stillHandedOff(ctx, record);
      if (outcome.type === 'waiting') {
        await new Promise<void>((resolve) => {
          wake = resolve;
          clock.sleep(pollMs, options.signal).then(resolve, resolve);
        });
        wake = undefined;
      }
    }
  } finally {
    for (const u of unwatch) u();
  }
}

/**
 * The controller reported the revision converged (condition Progressing False, Converged) after
 * `since`: it has acted on the change recorded then, placement included.
 */
async function controllerConverged(
  ctx: ReconcileContext,
  name: string,
  revision: string,
  since: number,
): Promise<boolean> {
  const p = (await ctx.store.getConditions(name)).find((c) => c.type === 'Progressing');
  return (
    p?.status === 'False' &&
    p.reason === 'Converged' &&
    p.message === `revision ${revision} complete` &&
    p.lastTransitionTime >= since
  );
}

/** Every replica of the revision ready, as many as the spec asks, and none of another revision. */
function settled(p: Progress): boolean {
  const current = p.domains.reduce((n, d) => n + d.current, 0);
  return p.ready === p.replicas && current === p.replicas && p.domains.every((d) => d.old === 0);
}

/**
 * With a controller leading a BlueGreen/Canary rollout, `apply` reports where it stands: a pause
 * waiting for `rollout promote` or a completed rollout ends the wait, an automatic rollback fails it.
 */
async function watchRollout(
  ctx: ReconcileContext,
  record: DeploymentRecord,
  deadline: number,
  pollMs: number,
  options: ConvergeOptions,
): Promise<ConvergeResult> {
  const { spec: deployment, revision, name } = record;
  const { replicas } = deployment.spec;
  const driver = { observer: new DeploymentObserver(ctx.providers, ctx.fleet) };
  const memory = newPassMemory();
  const retry = retrier(ctx, name, deadline, options.signal);
  let lastKey = '';
  for (;;) {
    options.signal?.throwIfAborted();
    // every phase but acting: what runs, and where the policy places it
    const r = await reconcilePass(ctx, driver, { deployment, revision, generation: 0, memory, act: false });
    if (r.outcome.type === 'retry' || r.outcome.type === 'terminal') {
      await retry(r.outcome);
      continue;
    }
    const observed = r.observed;
    const result = (progress: Progress): ConvergeResult => ({
      revision,
      placement: r.placement!,
      writes: 0,
      actions: [],
      progress,
      byController: true,
    });
    const st = await ctx.store.getRollout(name);
    if (st && st.canary === revision) {
      const progress = progressOf(name, revision, replicas, [], observed, `${st.phase}: ${st.message}`);
      const key = JSON.stringify(progress);
      if (key !== lastKey) options.onProgress?.(progress);
      lastKey = key;
      if (st.phase === 'Aborted')
        throw new SkyfleetError('rollout_aborted', `deployment ${name}: rollout of ${revision} aborted: ${st.message}`);
      if (st.phase === 'Completed' || (st.phase === 'Paused' && !st.pausedByUser) || options.wait === false)
        return result(progress);
    }
    const waiting = progressOf(name, revision, replicas, [], observed, 'waiting for the controller');
    if (options.wait === false) return result(waiting);
    if (ctx.clock.now() > deadline) throw notConverged(name, replicas, waiting, observed, revision);
    await stillHandedOff(ctx, record);
    await ctx.clock.sleep(pollMs, options.signal);
  }
}

/**
 * While a controller converges what this apply recorded: fails when another writer replaced it
 * (`conflict`, naming what won), or when no controller holds the lease any more
 * (`controller_gone`: the caller takes the lease and converges it itself). Nobody waits for a
 * controller that is not running.
 */
async function stillHandedOff(ctx: ReconcileContext, record: DeploymentRecord): Promise<void> {
  const now = await ctx.store.getDeployment(record.name);
  if (!now || now.generation !== record.generation) {
    throw new SkyfleetError(
      'conflict',
      `deployment ${record.name} was changed by another writer while this apply waited: it is now ${now ? `revision ${now.revision} (generation ${now.generation})` : 'deleted'}; revision ${record.revision} is no longer the desired state`,
    );
  }
  const lease = await ctx.store.getLease(leaseNameOf(ctx.fleet));
  if (!lease || lease.expiresAt <= ctx.clock.now() || isOperationHolder(lease.holder)) {
    throw new SkyfleetError(
      'controller_gone',
      `no controller holds the lease of fleet ${ctx.fleet} any more${lease ? ` (last: ${lease.holder})` : ''}`,
    );
  }
}

/**
 * Apply's answer to a failed pass: what the provider says will pass is retried with backoff
 * (a Warning event each time) until the deadline; anything else (a placement it cannot make,
 * a terminal provider error) ends the run at once. Resets after a pass that acted.
 */
function retrier(ctx: ReconcileContext, name: string, deadline: number, signal?: AbortSignal) {
  let attempt = 0;
  const retry = async (outcome: Extract<Outcome, { type: 'retry' | 'terminal' }>): Promise<void> => {
    if (!isRetryable(outcome.error) || ctx.clock.now() > deadline) throw outcome.error;
    attempt++;
    await recordEvent(
      ctx,
      name,
      'Warning',
      outcome.phase === 'observe' ? 'ObserveFailed' : 'ProviderRetry',
      outcome.error.message,
    );
    await ctx.clock.sleep(
      Math.min(
        backoff(attempt, outcome.type === 'retry' ? outcome.retryAfterMs : undefined),
        Math.max(0, deadline - ctx.clock.now()),
      ),
      signal,
    );
  };
  retry.reset = () => {
    attempt = 0;
  };
  return retry;
}

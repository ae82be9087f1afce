import { isRetryable, PlacementError, SkyfleetError } from '../../errors/index.js';
import type { Domain, PlacementResult } from '../../placement/types.js';
import {
  type Action,
  mergeRepairs,
  nativeBoundsActions,
  type PlanInput,
  type PlanStep,
  planStep,
  repairActions,
} from '../../plan/index.js';
import { type ObservedSlice, splitsTraffic } from '../../provider/provider.js';
import type { Deployment } from '../../spec/deployment.js';
import { act } from '../act.js';
import { nativeBoundsOf } from '../autoscale/native-bounds-of.js';
import { type ReconcileContext, recordEvent } from '../context.js';
import type { DomainHealth } from '../domain-health.js';
import { domainsOf } from '../domains.js';
import { type Progress, progressOf } from '../progress.js';
import { deploymentSecrets } from '../secrets.js';
import type { TrafficManager } from '../traffic-manager.js';
import type { Observer } from './observer.js';
import type { Outcome, PassPhase } from './outcome.js';
import { type PassMemory, templatesOf } from './pass-memory.js';
import { placePhase, summary } from './place-phase.js';
import { planInputOf } from './plan-input.js';
import { reportReplicaHealth } from './replica-health.js';
import { type RolloutPlan, rolloutPhase } from './rollout-phase.js';
import { trackUnhealthy, unhealthyGraceOf } from './self-heal.js';
import { splitTrafficNatively } from './split-traffic.js';

/** How a driver runs the phases: what it observes with, and which phases it takes part in. */
export interface PassDriver {
  observer: Observer;
  /** Domain health (the controller): fed by observe, replicas and writes; placement avoids what is unhealthy. */
  health?: DomainHealth;
  /** BlueGreen/Canary rollouts advance (the controller); elsewhere they are planned as rolling updates. */
  rollouts?: boolean;
  /** Replace replicas unhealthy for longer than their probe allows (the controller, which sees them over time). */
  replaceUnhealthy?: boolean;
  /** Listeners to point at the replicas and drain before removal (the controller). */
  traffic?: TrafficManager;
  drainTimeoutMs?: number;
  /** The `requeue` delay after acting. */
  requeueAfterMs?: number;
}

export interface PassRequest {
  deployment: Deployment;
  /** The deployment's current revision (its template's hash). */
  revision: string;
  /** The spec generation: placement stays stable within one. */
  generation: number;
  memory: PassMemory;
  /** False: every phase up to the plan, nothing routed or changed (`plan`, a deadline passed, a controller leads). */
  act: boolean;
  /** Resolved secret values; resolved when acting if absent. */
  secrets?: Record<string, string>;
  signal?: AbortSignal;
}

export interface PassResult {
  outcome: Outcome;
  observed: ObservedSlice[];
  /** Targets that could not be observed this pass. */
  failed: ReadonlyMap<string, Error>;
  domains: Domain[];
  placement?: PlacementResult;
  /** What the planner was given (for `simulatePlan`). */
  input?: PlanInput;
  step?: PlanStep;
  /** The actions planned this pass (step and repairs), on targets that could be observed. */
  actions: Action[];
  /** The actions carried out without error. */
  acted: Action[];
  writes: number;
  progress?: Progress;
  rollout?: RolloutPlan;
}

/**
 * One reconcile pass for one deployment, level-based: observe -> domain health -> place ->
 * plan (step or rollout, plus repairs) -> route (listeners, drain) -> act, returning an outcome
 * its driver acts on. `apply` drives it until done or a deadline, the controller from a work
 * queue, `plan` once without acting: the same inputs give the same actions through all three.
 */
export async function reconcilePass(ctx: ReconcileContext, driver: PassDriver, req: PassRequest): Promise<PassResult> {
  const { deployment, revision, memory, signal } = req;
  const name = deployment.metadata.name;
  const { spec } = deployment;
  const result: PassResult = {
    outcome: { type: 'done' },
    observed: [],
    failed: new Map(),
    domains: [],
    actions: [],
    acted: [],
    writes: 0,
  };
  let phase: PassPhase = 'observe';
  try {
    const observation = await driver.observer.observe(name, signal);
    const observed = observation.slices;
    const failed = observation.failed;
    result.observed = observed;
    result.failed = failed;
    const now = ctx.clock.now();

    // domain health as of this observe (API errors, the provider's own word); what the replicas
    // say is reported after placement, for the next pass
    phase = 'health';
    const domains = domainsOf(
      ctx.providers,
      driver.health?.snapshot(domainsOf(ctx.providers).map((d) => `${d.target}/${d.zone}`)),
    );
    result.domains = domains;

    phase = 'place';
    const placed = placePhase(deployment, req.generation, observed, domains, memory, now);
    result.placement = placed.placement;
    if (placed.movedFrom) {
      const unhealthy = domains
        .filter((d) => !d.healthy)
        .map((d) => `${d.target}/${d.zone}: ${d.unhealthyReason ?? 'unhealthy'}`);
      await recordEvent(
        ctx,
        name,
        'Normal',
        'Replaced',
        `placement ${summary(placed.movedFrom)} -> ${summary(placed.placement)}${unhealthy.length ? ` (${unhealthy.join('; ')})` : ''}`,
      );
    }
    const desired = placed.placement.assignments;

    if (driver.health) reportReplicaHealth(driver.health, observed, revision);

    phase = 'plan';
    if (driver.replaceUnhealthy) trackUnhealthy(memory.unhealthySince, observed, now);
    const templates = templatesOf(memory, ctx.store, name, { revision, template: spec.template });
    const unknown = await templates.unknown(new Set(observed.map((s) => s.key.revision)));
    // slices on targets we could not observe are left alone (we cannot see them)
    const input = planInputOf(deployment, revision, desired, observed, unknown);
    result.input = input;
    let step = planStep(input);
    const progressive = spec.strategy.type === 'BlueGreen' || spec.strategy.type === 'Canary';
    if (driver.rollouts && progressive) {
      const traffic = driver.traffic;
      result.rollout = await rolloutPhase(ctx, deployment, revision, observed, desired, domains, templates, {
        weighted: (!!spec.service && !!traffic) || [...ctx.providers.values()].some(splitsTraffic),
        stats: (rev, windowMs) => traffic?.stats(name, rev, windowMs),
      });
      step = result.rollout.step;
    }
    result.step = step;
    const repairs = repairActions({
      revision,
      observed,
      now,
      unhealthySince: memory.unhealthySince,
      ...(driver.replaceUnhealthy ? { unhealthyGraceMs: unhealthyGraceOf(spec.template) } : {}),
    });
    const bounds = nativeBoundsActions({ revision, observed, want: nativeBoundsOf(ctx.providers, deployment) });
    const actions = mergeRepairs(mergeRepairs(step.actions, repairs), bounds).filter((a) => !failed.has(a.target));
    result.actions = actions;
    const done = step.done && actions.length === 0 && (!result.rollout || result.rollout.finished);
    result.progress = progressOf(
      name,
      revision,
      spec.replicas,
      input.desired,
      observed,
      result.rollout?.message ??
        (done ? 'ready' : actions.length ? 'updating' : `waiting for ${step.waitingFor ?? 'readiness'}`),
    );
    if (!req.act) {
      result.outcome = done && !failed.size ? { type: 'done' } : { type: 'waiting', reason: 'not acting' };
      return result;
    }

    phase = 'route';
    if (driver.traffic) {
      await driver.traffic.sync(
        deployment,
        observed,
        result.rollout?.weights ?? null,
        result.rollout?.preview,
        new Set(failed.keys()),
      );
      if (spec.service) await driver.traffic.drainFor(deployment, actions, observed, driver.drainTimeoutMs ?? 30_000);
    }

    phase = 'act';
    if (actions.length) {
      const secrets = req.secrets ?? (await deploymentSecrets(ctx, spec));
      const res = await act(ctx, deployment, actions, templates, secrets, signal);
      result.writes = res.writes;
      result.acted = actions.filter((a) => !res.failures.some((f) => f.action === a));
      for (const a of actions) driver.observer.invalidate?.(a.target);
      for (const a of actions) {
        const f = res.failures.find((x) => x.action === a);
        if (!f) driver.health?.success(`${a.target}/${a.zone}`, 'apply');
        else if (isRetryable(f.error))
          driver.health?.failure(`${a.target}/${a.zone}`, 'apply', (f.error as Error).message);
      }
      const first =
        res.failures.find((f) => f.error instanceof SkyfleetError && f.error.code === 'lease_lost') ??
        res.failures.find((f) => !isRetryable(f.error)) ??
        res.failures[0];
      if (first) throw first.error;
    }
    const weights = result.rollout?.weights;
    if (weights && !actions.length) await splitTrafficNatively(ctx, name, observed, weights, signal);
    // a target we could not observe: the others were reconciled; retry it with backoff
    phase = 'observe';
    if (failed.size) throw [...failed.values()][0];

    if (done) await ctx.store.pruneRevisions(name, 10, new Set([revision]));
    result.outcome = done
      ? { type: 'done' }
      : actions.length
        ? { type: 'requeue', afterMs: driver.requeueAfterMs ?? 0 }
        : { type: 'waiting', reason: result.progress.phase };
    return result;
  } catch (e) {
    result.outcome = errorOutcome(e, phase);
    return result;
  }
}

/** Retryable errors (and placements that wait for recovering domains) back off; the rest stop. */
function errorOutcome(e: unknown, phase: PassPhase): Outcome {
  const error = e instanceof Error ? e : new Error(String(e));
  const retryable = isRetryable(e) || (e instanceof PlacementError && e.kind === 'unschedulable');
  if (!retryable) return { type: 'terminal', error, phase };
  const retryAfterMs = (e as SkyfleetError).retryAfterMs;
  return { type: 'retry', error, phase, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

import type { CallLog } from './calllog/call-log.js';
import { FileCallLog } from './calllog/call-log.js';
import { NotFoundError, SkyfleetError, ValidationError } from './errors/index.js';
import { type Logger, silentLogger } from './log/logger.js';
import { type PlacementResult, place } from './placement/index.js';
import { type Action, simulatePlan } from './plan/index.js';
import type { ObservedSlice, Provider } from './provider/provider.js';
import { createProvider } from './builtin-providers.js';
import {
  type ConvergeOptions,
  type ConvergeResult,
  converge,
  planInputOf,
  type ReconcileContext,
} from './reconcile/converge.js';
import type { ControllerOptions } from './reconcile/controller.js';
import { domainsOf } from './reconcile/domains.js';
import { defaultHolder, withFleetLease } from './reconcile/fleet-lease.js';
import { observeAll } from './reconcile/observe-all.js';
import { type Progress, progressOf } from './reconcile/progress.js';
import { envSecretResolver, type SecretResolver } from './reconcile/secrets.js';
import type { Deployment, DeploymentInput } from './spec/deployment.js';
import { parseDeployment } from './spec/load.js';
import { revisionOf } from './spec/revision.js';
import { type TargetSpec, type TargetSpecInput, targetSpec } from './spec/target.js';
import { validate } from './spec/validate.js';
import { openStore } from './store/open-store.js';
import type { RolloutState } from './rollout/types.js';
import type { Condition, DeploymentRecord, EventRecord, RevisionRecord, Store } from './store/store.js';
import { type Clock, systemClock } from './util/clock.js';

export interface FleetOptions {
  /** The fleet's name: labels every resource skyfleet creates. */
  name: string;
  /** Target specs (validated) or ready Provider instances. */
  targets: ReadonlyArray<TargetSpecInput | Provider>;
  /** A Store, a SQLite file path, `:memory:`, or a `postgres://` URL. Defaults to `.skyfleet/state.db`. */
  store?: Store | string;
  clock?: Clock;
  logger?: Logger;
  /** Resolves env `valueFrom.secretKeyRef`; defaults to SKYFLEET_SECRET_<NAME>_<KEY> variables. */
  secrets?: SecretResolver;
  /** Records every cloud API request: a CallLog or a file path for JSON lines. */
  callLog?: CallLog | string;
}

export interface PlanResult {
  deployment: string;
  revision: string;
  /** The revision recorded for this deployment before, if any. */
  previousRevision: string | undefined;
  placement: PlacementResult;
  /** Ordered steps; each step's actions run together. Empty when nothing would change. */
  steps: Action[][];
  converges: boolean;
}

export interface DeploymentStatus {
  name: string;
  revision: string;
  revisionNumber: number | undefined;
  generation: number;
  replicas: number;
  ready: number;
  /** Replicas that exist for the current revision, over all domains. */
  current: number;
  domains: Progress['domains'];
  slices: ObservedSlice[];
  /** Available / Progressing / Degraded, as the controller last recorded them. */
  conditions: Condition[];
}

export interface DeleteResult {
  deployment: string;
  removed: Array<{ target: string; zone: string; revision: string; replicas: number }>;
}

export interface RolloutStatus {
  deployment: string;
  strategy: Deployment['spec']['strategy']['type'];
  /** The stored rollout (BlueGreen/Canary), if one ran. */
  state: RolloutState | undefined;
  status: DeploymentStatus;
}

export interface RolloutControls {
  status(name: string): Promise<RolloutStatus>;
  /** Canary: skip the remaining steps to 100%. BlueGreen: switch traffic to the new revision. */
  promote(name: string): Promise<RolloutState>;
  pause(name: string): Promise<RolloutState>;
  resume(name: string): Promise<RolloutState>;
  /** Back to the stable revision; it stays there until the spec changes. */
  abort(name: string): Promise<RolloutState>;
  /** Rolls back to a recorded revision (the previous one by default) as a new rollout. */
  undo(name: string, options?: { toRevision?: number } & ConvergeOptions): Promise<ConvergeResult>;
  history(name: string): Promise<RevisionRecord[]>;
}

export interface Fleet {
  readonly name: string;
  plan(deployment: DeploymentInput | Deployment): Promise<PlanResult>;
  apply(deployment: DeploymentInput | Deployment, options?: ConvergeOptions): Promise<ConvergeResult>;
  scale(name: string, replicas: number, options?: ConvergeOptions): Promise<ConvergeResult>;
  /** Progressive rollouts (BlueGreen, Canary): where they stand, and the operator's controls. */
  readonly rollout: RolloutControls;
  /**
   * Moves a deployment's replicas to other targets without dropping a request: replicas come up
   * on the destination before the source ones go (within the rollout's surge and availability
   * bounds), and traffic follows as they become ready. If the destination does not become ready,
   * the move is undone on its own.
   */
  migrate(name: string, move: { to: string[]; from?: string[] }, options?: ConvergeOptions): Promise<ConvergeResult>;
  /** An nginx upstream + server block with the deployment's ready endpoints and rollout weights. */
  exportNginx(name: string): Promise<string>;
  /**
   * Keeps every deployment in the store converged until `signal` aborts (the controller): self-
   * healing, drift repair, failover, one leader per fleet by lease.
   */
  run(options: { signal: AbortSignal } & ControllerOptions): Promise<void>;
  delete(name: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<DeleteResult>;
  get(name: string): Promise<DeploymentRecord | undefined>;
  list(): Promise<DeploymentRecord[]>;
  status(name: string): Promise<DeploymentStatus>;
  history(name: string): Promise<RevisionRecord[]>;
  events(filter?: { deployment?: string; limit?: number }): Promise<EventRecord[]>;
  providers(): Promise<ReadonlyMap<string, Provider>>;
  close(): Promise<void>;
}

function isProvider(t: TargetSpecInput | Provider): t is Provider {
  return typeof (t as Provider).observe === 'function' && typeof (t as Provider).apply === 'function';
}

/** The library's entry point: a fleet of targets with a store, on which deployments are applied. */
export function createFleet(options: FleetOptions): Fleet {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const callLog = typeof options.callLog === 'string' ? new FileCallLog(options.callLog) : options.callLog;
  // validate every target spec now, so a bad fleet fails before anything is touched
  const specs: Array<TargetSpec | Provider> = options.targets.map((t, i) =>
    isProvider(t) ? t : validate(targetSpec, t, 'fleet targets', `targets[${i}]`),
  );
  const names = specs.map((t) => (isProvider(t) ? t.target : t.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ValidationError([{ path: 'targets', message: `target "${dup}" is declared twice` }]);

  const holder = defaultHolder('sdk');
  let providersP: Promise<Map<string, Provider>> | undefined;
  let storeP: Promise<Store> | undefined;
  const providers = () =>
    (providersP ??= Promise.all(
      specs.map((t) =>
        isProvider(t) ? t : createProvider(t, { fleet: options.name, clock, ...(callLog ? { callLog } : {}) }),
      ),
    ).then((list) => new Map(list.map((p) => [p.target, p]))));
  const store = () =>
    (storeP ??=
      typeof options.store === 'object'
        ? Promise.resolve(options.store)
        : openStore(options.store ?? '.skyfleet/state.db'));
  const ctx = async (): Promise<ReconcileContext> => ({
    fleet: options.name,
    providers: await providers(),
    store: await store(),
    clock,
    logger,
    secrets: options.secrets ?? envSecretResolver,
  });
  const toDeployment = (d: DeploymentInput | Deployment): Deployment =>
    parseDeployment(d, `deployment ${d?.metadata?.name ?? ''}`.trim());
  const checkTargets = (d: Deployment, known: ReadonlyMap<string, Provider>) => {
    const issues = (d.spec.placement.targets ?? [])
      .map((t, i) => ({ t, i }))
      .filter(({ t }) => !known.has(t.name))
      .map(({ t, i }) => ({
        path: `spec.placement.targets[${i}].name`,
        message: `target "${t.name}" is not in fleet ${options.name} (targets: ${[...known.keys()].join(', ')})`,
      }));
    if (issues.length) throw new ValidationError(issues, `deployment ${d.metadata.name}`);
  };
  const stored = async (name: string): Promise<DeploymentRecord> => {
    const rec = await (await store()).getDeployment(name);
    if (!rec) throw new NotFoundError('deployment', name, `apply it first (fleet ${options.name})`);
    return rec;
  };

  const updateRollout = async (
    name: string,
    op: string,
    change: (st: RolloutState) => RolloutState,
  ): Promise<RolloutState> => {
    const rec = await stored(name);
    const s = await store();
    const st = await s.getRollout(name);
    if (!st || (st.phase !== 'Progressing' && st.phase !== 'Paused')) {
      throw new SkyfleetError(
        'no_rollout',
        `deployment ${name} has no rollout in progress to ${op}${st ? ` (its last rollout is ${st.phase})` : rec.spec.spec.strategy.type === 'RollingUpdate' || rec.spec.spec.strategy.type === 'Recreate' ? ` (strategy ${rec.spec.spec.strategy.type} has no steps to control)` : ''}`,
      );
    }
    const next = change(st);
    await s.putRollout(name, next);
    await s.addEvent({
      time: clock.now(),
      deployment: name,
      type: 'Normal',
      reason: `Rollout${op[0]!.toUpperCase()}${op.slice(1)}`,
      message: `${op} requested`,
    });
    return next;
  };

  const fleet: Fleet = {
    name: options.name,

    async plan(input) {
      const d = toDeployment(input);
      const c = await ctx();
      checkTargets(d, c.providers);
      const revision = revisionOf(d.spec.template);
      const prior = await c.store.getDeployment(d.metadata.name);
      const observed = await observeAll(c.providers, options.name, d.metadata.name);
      const current = new Map<string, number>();
      for (const s of observed)
        current.set(`${s.target}/${s.key.zone}`, (current.get(`${s.target}/${s.key.zone}`) ?? 0) + s.replicas);
      const placement = place({
        replicas: d.spec.replicas,
        policy: d.spec.placement,
        template: d.spec.template,
        domains: domainsOf(c.providers),
        current,
        now: clock.now(),
      });
      const known = new Set<string>([revision]);
      for (const r of await c.store.listRevisions(d.metadata.name)) known.add(r.revision);
      const unknown = new Set(observed.map((s) => s.key.revision).filter((r) => !known.has(r)));
      const sim = simulatePlan(planInputOf(d, revision, placement.assignments, observed, unknown));
      return {
        deployment: d.metadata.name,
        revision,
        previousRevision: prior?.revision,
        placement,
        steps: sim.steps,
        converges: sim.converges,
      };
    },

    async apply(input, opts) {
      const d = toDeployment(input);
      const c = await ctx();
      checkTargets(d, c.providers);
      return withFleetLease(c, holder, (fenced) =>
        fenced ? converge(fenced, d, opts) : converge(c, d, { ...opts, observeOnly: true }),
      );
    },

    async run(opts) {
      const c = await ctx();
      const { Controller } = await import('./reconcile/controller.js');
      const controller = new Controller(c, opts);
      await controller.run(opts.signal);
    },

    async scale(name, replicas, opts) {
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new ValidationError([{ path: 'replicas', message: `expected an integer 0 or more, got ${replicas}` }]);
      }
      const rec = await stored(name);
      const d: Deployment = { ...rec.spec, spec: { ...rec.spec.spec, replicas } };
      const c = await ctx();
      return withFleetLease(c, holder, (fenced) =>
        fenced ? converge(fenced, d, opts) : converge(c, d, { ...opts, observeOnly: true }),
      );
    },

    async delete(name, opts = {}) {
      const c = await ctx();
      const observed = await observeAll(c.providers, options.name, name, opts.signal);
      const rec = await c.store.getDeployment(name);
      if (!rec && observed.length === 0)
        throw new NotFoundError('deployment', name, `fleet ${options.name} has no such deployment`);
      // the record goes first: a controller then treats what is left as orphans, and a crash
      // half-way leaves nothing that would be recreated
      await c.store.deleteDeployment(name);
      const removed: DeleteResult['removed'] = observed
        .map((s) => ({ target: s.target, zone: s.key.zone, revision: s.key.revision, replicas: s.replicas }))
        .sort((a, b) => `${a.target}/${a.zone}/${a.revision}`.localeCompare(`${b.target}/${b.zone}/${b.revision}`));
      await withFleetLease(c, holder, async (fenced) => {
        if (fenced) {
          await Promise.all(
            observed.map(async (s) => {
              await fenced.fence?.();
              await c.providers.get(s.target)!.remove(s.key, { signal: opts.signal, reason: 'delete' });
            }),
          );
        }
        // providers that delete asynchronously, or a controller sweeping: wait until nothing is left
        const deadline = clock.now() + (opts.timeoutMs ?? 120_000);
        while ((await observeAll(c.providers, options.name, name, opts.signal)).length > 0) {
          if (clock.now() > deadline)
            throw new SkyfleetError(
              'delete_incomplete',
              `deployment ${name} is still being removed; run delete again to finish`,
              { retryable: true },
            );
          await clock.sleep(250, opts.signal);
        }
      });
      await c.store.addEvent({
        time: clock.now(),
        deployment: name,
        type: 'Normal',
        reason: 'Deleted',
        message: `removed ${removed.reduce((a, r) => a + r.replicas, 0)} replicas`,
      });
      return { deployment: name, removed };
    },

    rollout: {
      async status(name) {
        const rec = await stored(name);
        const st = await (await store()).getRollout(name);
        return { deployment: name, strategy: rec.spec.spec.strategy.type, state: st, status: await fleet.status(name) };
      },
      promote: (name) => updateRollout(name, 'promote', (st) => ({ ...st, promote: true, pausedByUser: false })),
      pause: (name) => updateRollout(name, 'pause', (st) => ({ ...st, pausedByUser: true })),
      resume: (name) => updateRollout(name, 'resume', (st) => ({ ...st, pausedByUser: false })),
      abort: (name) => updateRollout(name, 'abort', (st) => ({ ...st, abort: true })),
      async undo(name, opts = {}) {
        const rec = await stored(name);
        const history = await (await store()).listRevisions(name);
        const current = history.find((h) => h.revision === rec.revision);
        const target =
          opts.toRevision !== undefined
            ? history.find((h) => h.number === opts.toRevision)
            : [...history]
                .reverse()
                .find((h) => h.revision !== rec.revision && (!current || h.number < current.number));
        if (!target) {
          throw new ValidationError([
            {
              path: '--to-revision',
              message: `no such revision of ${name}${opts.toRevision !== undefined ? ` (#${opts.toRevision})` : ''}: recorded ${history.map((h) => `#${h.number}`).join(', ') || 'none'}`,
            },
          ]);
        }
        const d: Deployment = { ...rec.spec, spec: { ...rec.spec.spec, template: target.template } };
        const { toRevision: _, ...convergeOpts } = opts;
        return fleet.apply(d, convergeOpts);
      },
      history: (name) => fleet.history(name),
    },

    async migrate(name, move, opts) {
      const rec = await stored(name);
      const c = await ctx();
      const unknown = move.to.filter((t) => !c.providers.has(t));
      if (!move.to.length || unknown.length) {
        throw new ValidationError([
          {
            path: '--to',
            message: move.to.length
              ? `target ${unknown.map((t) => `"${t}"`).join(', ')} is not in fleet ${options.name} (targets: ${[...c.providers.keys()].join(', ')})`
              : 'name at least one destination target',
          },
        ]);
      }
      const before = rec.spec;
      const current = before.spec.placement.targets ?? [...c.providers.keys()].map((n) => ({ name: n }));
      const from = new Set(move.from ?? current.map((t) => t.name));
      const kept = current.filter((t) => !from.has(t.name) && !move.to.includes(t.name));
      const targets = [...kept, ...move.to.map((n) => current.find((t) => t.name === n) ?? { name: n })];
      const after: Deployment = {
        ...before,
        spec: { ...before.spec, placement: { ...before.spec.placement, targets } },
      };
      await c.store.addEvent({
        time: clock.now(),
        deployment: name,
        type: 'Normal',
        reason: 'MigrationStarted',
        message: `to ${move.to.join(', ')} from ${[...from].join(', ')}`,
      });
      try {
        const res = await fleet.apply(after, opts);
        await c.store.addEvent({
          time: clock.now(),
          deployment: name,
          type: 'Normal',
          reason: 'MigrationCompleted',
          message: `${name} runs on ${targets.map((t) => t.name).join(', ')}`,
        });
        return res;
      } catch (e) {
        // the destination did not become ready: put everything back where it was
        await c.store.addEvent({
          time: clock.now(),
          deployment: name,
          type: 'Warning',
          reason: 'MigrationRolledBack',
          message: `${(e as Error).message.split('\n')[0]}; moving back`,
        });
        await fleet.apply(before, opts);
        throw e;
      }
    },

    async exportNginx(name) {
      const rec = await stored(name);
      const c = await ctx();
      const observed = await observeAll(c.providers, options.name, name);
      const { TrafficManager } = await import('./reconcile/traffic-manager.js');
      const { nginxUpstreamConfig } = await import('./traffic/nginx.js');
      const st = await c.store.getRollout(name);
      const strategy = rec.spec.spec.strategy;
      let weights: Record<string, number> | undefined;
      if (st && (strategy.type === 'Canary' || strategy.type === 'BlueGreen')) {
        // the split the controller serves now (computed, not stored: nothing advances here)
        const { rolloutStep } = await import('./rollout/rollout-step.js');
        const ready = new Map<string, number>();
        for (const o of observed) ready.set(o.key.revision, (ready.get(o.key.revision) ?? 0) + o.ready);
        weights = rolloutStep({
          strategy,
          replicas: rec.spec.spec.replicas,
          revision: rec.revision,
          state: st,
          ready,
          weighted: true,
          now: clock.now(),
        }).weights;
      }
      return nginxUpstreamConfig(name, TrafficManager.endpointsOf(rec.spec, observed), weights);
    },

    async get(name) {
      return (await store()).getDeployment(name);
    },

    async list() {
      return (await store()).listDeployments();
    },

    async status(name) {
      const rec = await stored(name);
      const c = await ctx();
      const observed = await observeAll(c.providers, options.name, name);
      const d = rec.spec;
      let desired: Array<{ target: string; zone: string; replicas: number }> = [];
      try {
        desired = place({
          replicas: d.spec.replicas,
          policy: d.spec.placement,
          template: d.spec.template,
          domains: domainsOf(c.providers),
          now: clock.now(),
        }).assignments;
      } catch {
        // status still shows what exists when the policy cannot be placed now
      }
      const p = progressOf(name, rec.revision, d.spec.replicas, desired, observed, '');
      const rev = await c.store.getRevision(name, rec.revision);
      return {
        name,
        revision: rec.revision,
        revisionNumber: rev?.number,
        generation: rec.generation,
        replicas: d.spec.replicas,
        ready: p.ready,
        current: p.domains.reduce((a, x) => a + x.current, 0),
        domains: p.domains,
        slices: observed,
        conditions: await c.store.getConditions(name),
      };
    },

    async history(name) {
      await stored(name);
      return (await store()).listRevisions(name);
    },

    async events(filter) {
      return (await store()).listEvents(filter);
    },

    providers,

    async close() {
      const ps = providersP ? await providersP.catch(() => new Map<string, Provider>()) : new Map<string, Provider>();
      await Promise.all([...ps.values()].map((p) => p.close?.()));
      if (storeP && typeof options.store !== 'object') await (await storeP).close();
    },
  };
  return fleet;
}

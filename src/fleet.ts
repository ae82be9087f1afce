import { type AutoscalingView, autoscalingView } from './operations/autoscaling-status.js';
import { z } from 'zod';
import type { CallLog } from './calllog/call-log.js';
import { FileCallLog } from './calllog/call-log.js';
import { NotFoundError, ValidationError } from './errors/index.js';
import { type Logger, silentLogger } from './log/logger.js';
import { createProvider } from './builtin-providers.js';
import { admit, checkTargets } from './operations/admit.js';
import { deleteDeployment, type DeleteResult } from './operations/delete-deployment.js';
import { inLeaseTurn } from './operations/lease-turn.js';
import { type DeploymentStatus, deploymentStatus } from './operations/deployment-status.js';
import { exportNginx } from './operations/export-nginx.js';
import { migrate } from './operations/migrate.js';
import { type PlanResult, planDeployment } from './operations/plan-deployment.js';
import { controlRollout, type RolloutControl, undoTarget } from './operations/rollout-controls.js';
import type { Provider } from './provider/provider.js';
import { type ConvergeOptions, type ConvergeResult, converge, type ReconcileContext } from './reconcile/converge.js';
import type { ControllerOptions } from './reconcile/controller.js';
import { leaseHolder } from './reconcile/fleet-lease.js';
import { envSecretResolver, type SecretResolver } from './reconcile/secrets.js';
import type { RolloutState } from './rollout/types.js';
import type { Deployment, DeploymentInput } from './spec/deployment.js';
import { guardFleet } from './fleet-guard.js';
import { fleetName, fleetTargets } from './spec/fleet.js';
import { labelSource, parseDeployment, sourceOf } from './spec/load.js';
import { type TargetSpec, type TargetSpecInput, targetSpec } from './spec/target.js';
import { validate } from './spec/validate.js';
import { openStore } from './store/open-store.js';
import { createRemoteFleet, type RemoteFleet } from './remote/remote-fleet.js';
import type { DeploymentRecord, EventRecord, RevisionRecord, Store } from './store/store.js';
import { type Clock, systemClock } from './util/clock.js';

export type { DeleteResult } from './operations/delete-deployment.js';
export type { DeploymentStatus } from './operations/deployment-status.js';
export type { PlanResult } from './operations/plan-deployment.js';

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
  /**
   * Every check `apply` makes before its first write (schema, targets, rollout budget, secrets,
   * placement): returns the parsed deployment, or throws what `apply` would, changing nothing.
   */
  validate(deployment: DeploymentInput | Deployment): Promise<Deployment>;
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
  /**
   * A deployment's autoscaler: its bounds and metrics, the count recorded now, the controller's
   * last decision (current and target per metric, held metrics, why), the last scale and the
   * cold starts from zero; undefined when the deployment has no `spec.autoscaling`.
   */
  autoscaling(name: string): Promise<AutoscalingView | undefined>;
  history(name: string): Promise<RevisionRecord[]>;
  events(filter?: { deployment?: string; limit?: number }): Promise<EventRecord[]>;
  providers(): Promise<ReadonlyMap<string, Provider>>;
  close(): Promise<void>;
}

function isProvider(t: TargetSpecInput | Provider): t is Provider {
  return typeof (t as Provider).observe === 'function' && typeof (t as Provider).apply === 'function';
}

/** A fleet served by a skyfleet server (`skyfleet server`), reached with a bearer token. */
export interface RemoteFleetOptions {
  server: string;
  token: string;
  /** PEM of the CA or self-signed certificate to trust for an https server. */
  ca?: string | Buffer;
}

function isRemote(o: FleetOptions | RemoteFleetOptions): o is RemoteFleetOptions {
  return !!o && typeof o === 'object' && typeof (o as RemoteFleetOptions).server === 'string';
}

/**
 * The library's entry point: a fleet of targets with a store, on which deployments are applied;
 * or, with `{ server, token }`, the same `Fleet` served by a skyfleet server over its API.
 */
export function createFleet(options: RemoteFleetOptions): RemoteFleet;
export function createFleet(options: FleetOptions): Fleet;
export function createFleet(options: FleetOptions | RemoteFleetOptions): Fleet {
  if (isRemote(options)) return createRemoteFleet(options);
  return createLocalFleet(options);
}

function createLocalFleet(options: FleetOptions): Fleet {
  // the same rules as a Fleet document for name and targets (Provider instances allowed too)
  if (!options || typeof options !== 'object') {
    throw new ValidationError([{ path: '', message: 'expected options { name, targets, store? }' }], 'createFleet');
  }
  validate(fleetName, options.name, 'createFleet', 'name');
  validate(fleetTargets(z.unknown()), options.targets, 'createFleet', 'targets');
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const callLog =
    typeof options.callLog === 'string'
      ? new FileCallLog(options.callLog, {
          // lines the log cannot write are not lost silently: an error, once, on the log and the store
          onError: (e, path) => {
            const message = `the call log ${path} cannot be written (${e.message}): cloud API calls are not being recorded`;
            logger.error({ path, err: e.message }, message);
            void store()
              .then((s) =>
                s.addEvent({ time: clock.now(), deployment: null, type: 'Warning', reason: 'CallLogFailed', message }),
              )
              .catch(() => {});
          },
        })
      : options.callLog;
  // validate every target spec now, so a bad fleet fails before anything is touched
  const specs: Array<TargetSpec | Provider> = options.targets.map((t, i) =>
    isProvider(t) ? t : validate(targetSpec, t, 'fleet targets', `targets[${i}]`),
  );
  const names = specs.map((t) => (isProvider(t) ? t.target : t.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ValidationError([{ path: 'targets', message: `target "${dup}" is declared twice` }]);

  const holder = leaseHolder('sdk');
  let providersP: Promise<Map<string, Provider>> | undefined;
  let storeP: Promise<Store> | undefined;
  const providers = () =>
    (providersP ??= Promise.all(
      specs.map((t) =>
        isProvider(t)
          ? t
          : createProvider(t, {
              fleet: options.name,
              clock,
              secrets: options.secrets ?? envSecretResolver,
              ...(callLog ? { callLog } : {}),
            }),
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
  const toDeployment = (d: DeploymentInput | Deployment): Deployment => {
    const from = d && typeof d === 'object' ? sourceOf(d) : undefined;
    return labelSource(parseDeployment(d, from ?? `deployment ${d?.metadata?.name ?? ''}`.trim()), from);
  };
  const stored = async (name: string): Promise<DeploymentRecord> => {
    const rec = await (await store()).getDeployment(name);
    if (!rec) throw new NotFoundError('deployment', name, `apply it first (fleet ${options.name})`);
    return rec;
  };

  const control = (op: RolloutControl) => async (name: string) =>
    controlRollout(await store(), clock, await stored(name), op);

  /** A desired-state change: admitted before anything is written, then made in the fleet's lease turn. */
  const change = async (d: Deployment, opts: ConvergeOptions): Promise<ConvergeResult> => {
    const c = await ctx();
    await admit(c, d);
    const wait = {
      deadline: clock.now() + (opts.timeoutMs ?? d.spec.progressDeadlineSeconds * 1000),
      signal: opts.signal,
    };
    return inLeaseTurn(c, holder, wait, (fenced) =>
      fenced ? converge(fenced, d, opts) : converge(c, d, { ...opts, observeOnly: true }),
    );
  };

  const fleet: Fleet = {
    name: options.name,

    async plan(input) {
      const d = toDeployment(input);
      const c = await ctx();
      checkTargets(d, options.name, c.providers);
      return planDeployment(c, d);
    },

    async validate(input) {
      const d = toDeployment(input);
      await admit(await ctx(), d);
      return d;
    },

    async apply(input, opts = {}) {
      return change(toDeployment(input), opts);
    },

    async run(opts) {
      const c = await ctx();
      const { Controller } = await import('./reconcile/controller.js');
      const { trustedCas } = await import('./traffic/trusted-cas.js');
      const ca = trustedCas(specs.filter((t): t is TargetSpec => !isProvider(t)));
      const controller = new Controller(c, { ...(ca ? { upstreamCa: ca } : {}), ...opts });
      await controller.run(opts.signal);
    },

    async scale(name, replicas, opts = {}) {
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new ValidationError([{ path: 'replicas', message: `expected an integer 0 or more, got ${replicas}` }]);
      }
      const rec = await stored(name);
      const auto = rec.spec.spec.autoscaling;
      if (auto) {
        throw new ValidationError(
          [
            {
              path: 'replicas',
              message: `deployment ${name} is autoscaled between ${auto.minReplicas} and ${auto.maxReplicas} replicas: change spec.autoscaling.minReplicas and maxReplicas and apply, or remove spec.autoscaling to set the count by hand`,
            },
          ],
          `scale ${name}`,
        );
      }
      // the whole spec is checked again (the replica limit, the budget at the new count)
      return change(toDeployment({ ...rec.spec, spec: { ...rec.spec.spec, replicas } }), opts);
    },

    async delete(name, opts = {}) {
      const c = await ctx();
      const wait = { deadline: clock.now() + (opts.timeoutMs ?? 120_000), signal: opts.signal };
      return deleteDeployment(c, (fn) => inLeaseTurn(c, holder, wait, fn), name, opts);
    },

    rollout: {
      async status(name) {
        const rec = await stored(name);
        const st = await (await store()).getRollout(name);
        return { deployment: name, strategy: rec.spec.spec.strategy.type, state: st, status: await fleet.status(name) };
      },
      promote: control('promote'),
      pause: control('pause'),
      resume: control('resume'),
      abort: control('abort'),
      async undo(name, opts = {}) {
        const rec = await stored(name);
        const target = undoTarget(rec, await (await store()).listRevisions(name), opts.toRevision);
        const d: Deployment = { ...rec.spec, spec: { ...rec.spec.spec, template: target.template } };
        const { toRevision: _, ...convergeOpts } = opts;
        return fleet.apply(d, convergeOpts);
      },
      history: (name) => fleet.history(name),
    },

    async migrate(name, move, opts) {
      const rec = await stored(name);
      const c = await ctx();
      const env = { fleet: options.name, store: c.store, clock, targets: [...c.providers.keys()] };
      return migrate(env, rec, move, (d) => fleet.apply(d, opts));
    },

    async exportNginx(name) {
      return exportNginx(await ctx(), await stored(name));
    },

    async get(name) {
      return (await store()).getDeployment(name);
    },

    async list() {
      return (await store()).listDeployments();
    },

    async status(name) {
      return deploymentStatus(await ctx(), await stored(name));
    },

    async autoscaling(name) {
      return autoscalingView(await store(), await stored(name));
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
  return guardFleet(fleet);
}

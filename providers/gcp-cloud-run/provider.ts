/**
 * Google Cloud Run provider (Admin API v2 through @google-cloud/run, REST transport by default).
 *
 * The model (README.md "How a slice maps"): Cloud Run is regional, so a target is one failure
 * domain (zone = region). All slices of one deployment on a target share ONE Cloud Run service:
 * - the service's annotation `skyfleet.dev/replicas` is the slice table (revision hash -> replicas);
 * - each skyfleet revision R is the Cloud Run revision `<service>-<R>`; a revision not yet in the
 *   service becomes the template (Cloud Run creates it, or reuses it when it exists unchanged);
 *   a revision already in the service keeps its place, so scaling an old slice during a rollout
 *   never flips the template back;
 * - replicas are warm instances: service-level `scaling.minInstanceCount` = the table's total, which
 *   Cloud Run divides among revisions by traffic percent; traffic follows replicas (each revision's
 *   share of the total), explicit `setTraffic` overrides it until the table changes again;
 * - remove(R) drops R from the table and from traffic; removing the last slice deletes the service.
 * Scaling never creates a Cloud Run revision (only the template does), so a replica change is one
 * UpdateService with an update mask, and an unchanged slice makes no call but a GET.
 */
import type { ServicesClient } from '@google-cloud/run';
import type { CallLog } from '../../src/calllog/index.js';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedReplica,
  ObservedSlice,
  Provider,
  ReplicaState,
  SliceKey,
  SliceSelector,
  TargetDescription,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { callContext, loggingAuth } from './calllog.js';
import { errorFacts, isRetryableFacts, toProviderError } from './errors.js';
import {
  formatReplicas,
  INGRESS,
  LIMITS,
  proportionalTraffic,
  type RunRevisionTemplate,
  type RunTrafficTarget,
  revisionTemplate,
  serviceLabels,
  totalReplicas,
} from './mapping.js';
import { ANNOTATIONS, GCP_LABELS, parentOf, revisionName, serviceId, serviceName } from './names.js';
import { normaliseService, type ServiceType, type ServiceView, sliceRevisions } from './service-view.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

export interface CloudRunProviderOptions {
  /**
   * An auth client (`OAuth2Client`, `GoogleAuth`, `JWT`...). Application Default Credentials
   * (`new GoogleAuth({ scopes: cloud-platform })`) when absent.
   */
  authClient?: object;
  /** Time for operation polls and retry backoff; tests pass an emulator-driven clock. */
  clock?: Clock;
  /** Overrides `settings.pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Records every HTTP request the SDK sends (REST transport); `ProviderContext.callLog` when absent. */
  callLog?: CallLog;
  /** The provider's own bounded retry of 429/5xx/timeouts (the REST transport does not retry). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

/** Traffic split for `setTraffic`: a skyfleet revision hash and its percent (integers summing to 100). */
export interface TrafficSplit {
  revision: string;
  percent: number;
}

interface Sdk {
  client: ServicesClient;
  Service: ServiceType;
}

/** A gax long-running Operation as far as the provider reads it. */
interface LroLike {
  name?: string | null;
  done?: boolean | null;
  error?: unknown;
  result?: unknown;
}

type LroKind = 'create' | 'update' | 'delete';

const RESERVED_ANNOTATION =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//;

export class CloudRunProvider implements Provider {
  readonly kind = 'gcp-cloud-run';
  readonly target: string;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  private sdkPromise: Promise<Sdk> | undefined;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    readonly settings: GcpCloudRunTargetSettings,
    private readonly ctx: ProviderContext,
    private readonly options: CloudRunProviderOptions = {},
  ) {
    this.target = settings.name;
    this.clock = options.clock ?? ctx.clock ?? systemClock;
    this.pollIntervalMs = options.pollIntervalMs ?? settings.pollIntervalMs;
    this.retry = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000, ...options.retry };
  }

  describe(): TargetDescription {
    const s = this.settings;
    return {
      target: s.name,
      kind: this.kind,
      topology: { provider: 'gcp', region: s.region, zones: [s.region] },
      capabilities: {
        maxCpuMillis: LIMITS.maxCpuMillis,
        maxMemoryMiB: LIMITS.maxMemoryMiB,
        maxPorts: 1,
        maxContainers: LIMITS.maxContainers,
        probes: ['httpGet', 'tcpSocket'],
        nativeTrafficSplit: true,
        scaleToZero: true,
        publicEndpoints: s.ingress === 'all',
        gpu: false,
      },
      ...(s.maxReplicasPerZone !== undefined ? { maxReplicasPerZone: s.maxReplicasPerZone } : {}),
      ...(s.pricePerReplicaHour !== undefined ? { pricePerReplicaHour: s.pricePerReplicaHour } : {}),
    };
  }

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    return this.inContext(selector.deployment ?? null, options.reason ?? 'observe', [], async () => {
      let views: ServiceView[];
      if (selector.deployment) {
        // one deterministic id: a GET, not a listing of the whole region
        const v = await this.getService(selector.deployment, 'observe', options.signal);
        views = v ? [v] : [];
      } else {
        views = await this.listServices(options.signal);
      }
      return views
        .filter((v) => this.owns(v, selector.fleet, selector.deployment))
        .flatMap((v) => observedSlices(v, this.target))
        .sort((a, b) => `${a.key.deployment}|${a.key.revision}`.localeCompare(`${b.key.deployment}|${b.key.revision}`));
    });
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    const { key } = slice;
    this.checkKey(key);
    const id = serviceId(key.fleet, this.target, key.deployment);
    // mapping first: anything Cloud Run cannot run is a ValidationError before any call
    const template = revisionTemplate(slice.template, {
      service: id,
      revision: key.revision,
      fleet: key.fleet,
      deployment: key.deployment,
      settings: this.settings,
    });
    const labels = serviceLabels(key.fleet, this.target, key.deployment, this.settings.region, slice.labels);
    const secrets = Object.values(slice.secrets ?? {});
    return this.inContext(key.deployment, options.reason ?? 'apply', secrets, () =>
      this.locked(id, () => this.applyLocked(slice, id, template, labels, options.signal)),
    );
  }

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    const id = serviceId(key.fleet, this.target, key.deployment);
    return this.inContext(key.deployment, options.reason ?? 'remove', [], () =>
      this.locked(id, async () => {
        const view = await this.getService(key.deployment, 'remove', options.signal, key.fleet);
        if (!view || !this.owns(view, key.fleet, key.deployment)) return { changed: false, writes: 0 };
        const revs = sliceRevisions(view);
        if (!revs.includes(key.revision)) return { changed: false, writes: 0 };
        const replicas = { ...view.replicas };
        delete replicas[key.revision];
        if (revs.length === 1) {
          const gone = await this.deleteService(view, options.signal);
          return gone ? { changed: true, writes: 1 } : { changed: false, writes: 0 };
        }
        const fields = this.tableFields(view, replicas, view.templateRevision);
        await this.update(view, fields, options.signal);
        return { changed: true, writes: 1 };
      }),
    );
  }

  /**
   * Native traffic split for a rollout on Cloud Run: route `percent` of requests to each listed
   * skyfleet revision of `deployment` (every revision must be a slice of the service; percents are
   * integers summing to 100; unlisted slices get 0%). Holds until the slice table changes (a later
   * apply that changes replicas, or a remove, returns traffic to the proportional split).
   */
  async setTraffic(
    deployment: string,
    splits: readonly TrafficSplit[],
    options: CallOptions = {},
  ): Promise<ApplyResult> {
    const id = serviceId(this.ctx.fleet, this.target, deployment);
    return this.inContext(deployment, options.reason ?? 'traffic', [], () =>
      this.locked(id, async () => {
        const view = await this.getService(deployment, 'setTraffic', options.signal);
        if (!view || !this.owns(view, this.ctx.fleet, deployment)) {
          throw new ValidationError([
            { path: 'deployment', message: `deployment "${deployment}" has no service on target ${this.target}` },
          ]);
        }
        const revs = sliceRevisions(view);
        const issues = splits.flatMap((s, i) => {
          const out = [];
          if (!revs.includes(s.revision))
            out.push({
              path: `traffic[${i}].revision`,
              message: `revision "${s.revision}" is not a slice here (slices: ${revs.join(', ') || 'none'})`,
            });
          if (!Number.isInteger(s.percent) || s.percent < 0 || s.percent > 100)
            out.push({ path: `traffic[${i}].percent`, message: `expected an integer 0-100, got ${s.percent}` });
          return out;
        });
        const sum = splits.reduce((a, s) => a + s.percent, 0);
        if (sum !== 100) issues.push({ path: 'traffic', message: `percents must sum to 100, got ${sum}` });
        if (issues.length) throw new ValidationError(issues, `setTraffic ${deployment}`);
        const want = new Map(splits.map((s) => [s.revision, s.percent]));
        const traffic: RunTrafficTarget[] = revs.map((r) => ({
          type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
          revision: revisionName(view.id, r),
          percent: want.get(r) ?? 0,
        }));
        if (sameTraffic(view, traffic)) return { changed: false, writes: 0 };
        await this.update(view, { traffic }, options.signal);
        return { changed: true, writes: 1 };
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.sdkPromise) return;
    const { client } = await this.sdkPromise;
    await client.close();
    this.sdkPromise = undefined;
  }

  // ---- apply ----

  private async applyLocked(
    slice: DesiredSlice,
    id: string,
    template: RunRevisionTemplate,
    labels: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<ApplyResult> {
    const { key } = slice;
    const full = revisionName(id, key.revision);
    let createWrites = 0;
    let view = await this.getService(key.deployment, 'apply', signal, key.fleet);
    if (!view) {
      const replicas = { [key.revision]: slice.replicas };
      const service = {
        labels,
        annotations: { [ANNOTATIONS.replicas]: formatReplicas(replicas) },
        ingress: INGRESS[this.settings.ingress],
        template,
        traffic: proportionalTraffic(replicas, id, key.revision),
        scaling: this.scaling(totalReplicas(replicas)),
      };
      const created = await this.createService(id, service, signal);
      if (created) return { changed: true, writes: 1 };
      // it exists after all (an earlier attempt's create went through, its answer lost): the create
      // call was a write; go on and update what was found
      createWrites = 1;
      view = await this.getService(key.deployment, 'apply', signal, key.fleet);
      if (!view)
        throw new ProviderError(`service ${id} was reported to exist but cannot be read`, {
          provider: this.kind,
          target: this.target,
          retryable: true,
          operation: 'apply',
        });
    }
    if (!this.owns(view, key.fleet, key.deployment)) {
      throw new ProviderError(
        `service ${view.name} exists but is not skyfleet's deployment "${key.deployment}" of fleet "${key.fleet}" (labels ${JSON.stringify(view.labels)})`,
        {
          provider: this.kind,
          target: this.target,
          retryable: false,
          providerCode: 'NAME_TAKEN',
          operation: 'apply',
        },
      );
    }
    const present = sliceRevisions(view).includes(key.revision);
    const fields: Record<string, unknown> = {};
    // a revision new to the service becomes its template; one already there keeps its place
    if (!present && view.templateRevision !== full) fields.template = template;
    const replicas = { ...view.replicas, [key.revision]: slice.replicas };
    Object.assign(fields, this.tableFields(view, replicas, fields.template ? full : view.templateRevision));
    if (!sameMap(view.labels, labels)) fields.labels = labels;
    if (view.ingress !== INGRESS[this.settings.ingress]) fields.ingress = INGRESS[this.settings.ingress];
    if (Object.keys(fields).length === 0) return { changed: createWrites > 0, writes: createWrites };
    await this.update(view, fields, signal);
    return { changed: true, writes: createWrites + 1 };
  }

  /** Annotation, traffic and scaling for a new slice table; only the fields that differ from `view`. */
  private tableFields(
    view: ServiceView,
    replicas: Record<string, number>,
    templateRevision: string,
  ): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    const tableChanged = formatReplicas(replicas) !== formatReplicas(view.replicas);
    if (tableChanged) {
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(view.annotations)) if (!RESERVED_ANNOTATION.test(k)) annotations[k] = v;
      annotations[ANNOTATIONS.replicas] = formatReplicas(replicas);
      fields.annotations = annotations;
    }
    const preferred = templateRevision.startsWith(`${view.id}-`) ? templateRevision.slice(view.id.length + 1) : '';
    const listed = new Set(view.traffic.map((t) => t.revision));
    const missing = Object.keys(replicas).some((r) => !listed.has(revisionName(view.id, r)));
    const stale = view.traffic.some((t) => !Object.keys(replicas).some((r) => revisionName(view.id, r) === t.revision));
    // traffic follows the table when the table changes; an explicit split (setTraffic) otherwise stays
    if (tableChanged || missing || stale) {
      const traffic = proportionalTraffic(replicas, view.id, preferred);
      if (!sameTraffic(view, traffic)) fields.traffic = traffic;
    }
    const scaling = this.scaling(totalReplicas(replicas));
    if (view.minInstanceCount !== scaling.minInstanceCount || view.maxInstanceCount !== (scaling.maxInstanceCount ?? 0))
      fields.scaling = scaling;
    return fields;
  }

  private scaling(total: number): { minInstanceCount: number; maxInstanceCount?: number } {
    const max = this.settings.maxInstanceCount;
    return { minInstanceCount: total, ...(max !== undefined ? { maxInstanceCount: Math.max(max, total) } : {}) };
  }

  // ---- API calls (each with bounded retry; operations awaited) ----

  private async getService(
    deployment: string,
    operation: string,
    signal?: AbortSignal,
    fleet = this.ctx.fleet,
  ): Promise<ServiceView | undefined> {
    const { client, Service } = await this.sdk();
    const name = serviceName(this.settings.project, this.settings.region, serviceId(fleet, this.target, deployment));
    const raw = await this.call(
      `${operation}: getService`,
      () => client.getService({ name }).then((r) => r[0]),
      signal,
      true,
    );
    return raw ? normaliseService(raw, Service) : undefined;
  }

  private async listServices(signal?: AbortSignal): Promise<ServiceView[]> {
    const { client, Service } = await this.sdk();
    const out: ServiceView[] = [];
    let pageToken = '';
    for (let page = 0; page < 1000; page++) {
      const [services, , response] = await this.call(
        'observe: listServices',
        () =>
          client.listServices(
            { parent: parentOf(this.settings.project, this.settings.region), pageSize: 100, pageToken },
            { autoPaginate: false },
          ),
        signal,
      );
      for (const s of services ?? []) {
        const labels = (s.labels ?? {}) as Record<string, string>;
        if (labels[GCP_LABELS.managedBy] === 'skyfleet' && labels[GCP_LABELS.target] === this.target)
          out.push(normaliseService(s, Service));
      }
      pageToken = response?.nextPageToken ?? '';
      if (!pageToken) break;
    }
    return out;
  }

  /** True when created; false when it already exists (409 ALREADY_EXISTS, e.g. a retried create). */
  private async createService(id: string, service: Record<string, unknown>, signal?: AbortSignal): Promise<boolean> {
    const { client } = await this.sdk();
    const parent = parentOf(this.settings.project, this.settings.region);
    try {
      const op = await this.call(
        'createService',
        () => client.createService({ parent, serviceId: id, service }).then((r) => r[0] as LroLike),
        signal,
      );
      await this.awaitOperation('create', op, signal);
      return true;
    } catch (err) {
      if (
        err instanceof ProviderError &&
        (err.providerCode === 'ALREADY_EXISTS' || err.status === 409) &&
        err.providerCode !== 'ABORTED'
      )
        return false;
      throw err;
    }
  }

  private async update(view: ServiceView, fields: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const { client } = await this.sdk();
    const paths = Object.keys(fields).sort();
    // the etag makes a concurrent writer's change a retryable ABORTED, not a lost update
    const service = { name: view.name, ...(view.etag ? { etag: view.etag } : {}), ...fields };
    const op = await this.call(
      'updateService',
      () => client.updateService({ service, updateMask: { paths } }).then((r) => r[0] as LroLike),
      signal,
    );
    await this.awaitOperation('update', op, signal);
  }

  /** True when this call deleted it; false when it was already gone. */
  private async deleteService(view: ServiceView, signal?: AbortSignal): Promise<boolean> {
    const { client } = await this.sdk();
    const op = await this.call(
      'deleteService',
      () => client.deleteService({ name: view.name }).then((r) => r[0] as LroLike),
      signal,
      true,
    );
    if (!op) return false;
    await this.awaitOperation('delete', op, signal);
    return true;
  }

  /**
   * Polls an operation to its end with the injected clock and poll interval. Done with an error:
   * a ProviderError carrying the operation's gRPC code and message. Still running past
   * `operationTimeoutMs`: a retryable error (the next apply finds the service and converges).
   */
  private async awaitOperation(kind: LroKind, first: LroLike, signal?: AbortSignal): Promise<unknown> {
    const { client } = await this.sdk();
    const check = {
      create: (n: string) => client.checkCreateServiceProgress(n),
      update: (n: string) => client.checkUpdateServiceProgress(n),
      delete: (n: string) => client.checkDeleteServiceProgress(n),
    }[kind];
    const deadline = this.clock.now() + this.settings.operationTimeoutMs;
    let op = first;
    while (!op.done) {
      if (this.clock.now() >= deadline) {
        throw new ProviderError(`operation ${op.name} still running after ${this.settings.operationTimeoutMs} ms`, {
          provider: this.kind,
          target: this.target,
          retryable: true,
          providerCode: 'DEADLINE_EXCEEDED',
          operation: `${kind}Service`,
        });
      }
      await this.sleep(this.pollIntervalMs, signal);
      const name = op.name ?? '';
      op = await this.call('getOperation', () => check(name) as Promise<LroLike>, signal);
    }
    if (op.error) {
      const f = errorFacts(op.error);
      throw new ProviderError(`operation ${op.name} failed: ${f.message}`, {
        provider: this.kind,
        target: this.target,
        retryable: isRetryableFacts(f),
        ...(f.code ? { providerCode: f.code } : {}),
        operation: `${kind}Service`,
      });
    }
    return op.result;
  }

  /**
   * One SDK call with the provider's bounded retry of retryable errors (429, 5xx, timeouts,
   * ABORTED), honouring Retry-After and `signal`. With `absentOk`, NOT_FOUND resolves undefined.
   */
  private async call<T>(
    operation: string,
    fn: () => Promise<T>,
    signal: AbortSignal | undefined,
    absentOk: true,
  ): Promise<T | undefined>;
  private async call<T>(
    operation: string,
    fn: () => Promise<T>,
    signal: AbortSignal | undefined,
    absentOk?: false,
  ): Promise<T>;
  private async call<T>(
    operation: string,
    fn: () => Promise<T>,
    signal: AbortSignal | undefined,
    absentOk = false,
  ): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      this.checkAborted(signal, operation);
      try {
        return await fn();
      } catch (err) {
        const f = errorFacts(err);
        if (absentOk && (f.status === 404 || f.code === 'NOT_FOUND')) return undefined;
        const pe = toProviderError(err, this.target, operation);
        if (!pe.retryable || attempt >= this.retry.attempts) throw pe;
        const backoff = Math.min(this.retry.baseDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
        await this.sleep(Math.min(Math.max(backoff, pe.retryAfterMs ?? 0), this.retry.maxDelayMs), signal);
      }
    }
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      this.checkAborted(signal, 'wait');
    }
  }

  private checkAborted(signal: AbortSignal | undefined, operation: string): void {
    if (signal?.aborted) {
      throw new ProviderError('aborted by the caller', {
        provider: this.kind,
        target: this.target,
        retryable: true,
        providerCode: 'CANCELLED',
        operation,
      });
    }
  }

  // ---- plumbing ----

  /** Lazily loads @google-cloud/run (slow to load) and builds the client once. */
  private sdk(): Promise<Sdk> {
    this.sdkPromise ??= (async () => {
      const run = await import('@google-cloud/run');
      let auth = this.options.authClient;
      if (!auth) {
        const { GoogleAuth } = await import('google-auth-library');
        auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
      }
      const rest = this.settings.transport === 'rest';
      const callLog = this.options.callLog ?? this.ctx.callLog;
      if (rest && callLog) auth = loggingAuth(auth, callLog, this.target, this.clock);
      const client = new run.ServicesClient({
        fallback: rest,
        authClient: auth as never,
        projectId: this.settings.project,
        ...(this.settings.apiEndpoint ? { apiEndpoint: this.settings.apiEndpoint } : {}),
        ...(this.settings.port ? { port: this.settings.port } : {}),
      });
      return { client, Service: run.protos.google.cloud.run.v2.Service as unknown as ServiceType };
    })();
    return this.sdkPromise;
  }

  /** Operations on one service run one at a time in this process (read-modify-write of the table). */
  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  private inContext<T>(
    deployment: string | null,
    reason: string,
    secrets: readonly string[],
    fn: () => Promise<T>,
  ): Promise<T> {
    return callContext.run({ deployment, reason, secrets }, fn);
  }

  private owns(v: ServiceView, fleet: string, deployment?: string): boolean {
    const l = v.labels;
    return (
      l[GCP_LABELS.managedBy] === 'skyfleet' &&
      l[GCP_LABELS.fleet] === fleet &&
      l[GCP_LABELS.target] === this.target &&
      (deployment === undefined || l[GCP_LABELS.deployment] === deployment)
    );
  }

  private checkKey(key: SliceKey): void {
    const issues = [];
    if (key.fleet !== this.ctx.fleet)
      issues.push({
        path: 'fleet',
        message: `slice of fleet "${key.fleet}" sent to a provider of fleet "${this.ctx.fleet}"`,
      });
    if (key.zone !== this.settings.region)
      issues.push({
        path: 'zone',
        message: `target ${this.target} is regional: its only zone is "${this.settings.region}", got "${key.zone}"`,
      });
    if (issues.length) throw new ValidationError(issues);
  }
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function sameTraffic(view: ServiceView, want: RunTrafficTarget[]): boolean {
  const norm = (xs: Array<{ revision: string; percent: number }>) =>
    xs
      .map((t) => `${t.revision}=${t.percent}`)
      .sort()
      .join(',');
  return (
    view.traffic.every((t) => t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION') && norm(view.traffic) === norm(want)
  );
}

/**
 * The slices one service holds, one per skyfleet revision in its table (or still in its traffic).
 * Cloud Run shows no instances, so a slice's replicas are synthesised from its count: all ready when
 * its revision is serving (in `trafficStatuses` with traffic) and, for the template revision, the
 * Ready condition has not failed; failed with the condition's reason when the rollout failed.
 */
export function observedSlices(v: ServiceView, target: string): ObservedSlice[] {
  const fleet = v.labels[GCP_LABELS.fleet] ?? '';
  const deployment = v.labels[GCP_LABELS.deployment] ?? '';
  const zone = v.labels[GCP_LABELS.domain] ?? '';
  const settled = v.observedGeneration >= v.generation && !v.reconciling;
  const readyCond = v.terminalCondition ?? v.conditions.find((c) => c.type === 'Ready');
  let host = '';
  try {
    host = v.uri ? new URL(v.uri).host : '';
  } catch {
    host = '';
  }
  return sliceRevisions(v).map((rev) => {
    const full = revisionName(v.id, rev);
    const n = v.replicas[rev] ?? 0;
    const status = v.trafficStatuses.find((t) => t.revision === full);
    const serving = !!status && status.percent > 0;
    const isTemplate = v.templateRevision === full;
    let state: ReplicaState;
    let message: string | undefined;
    if (isTemplate && settled && readyCond?.state === 'CONDITION_FAILED') {
      state = 'failed';
      message = `${readyCond.reason ? `${readyCond.reason}: ` : ''}${readyCond.message || 'revision is not ready'}`;
    } else if (serving) {
      state = 'ready';
    } else if (isTemplate || !settled) {
      state = 'starting';
      message = `revision ${full} is being deployed`;
    } else {
      state = 'pending';
      message = `revision ${full} receives no traffic`;
    }
    const ready = state === 'ready';
    const replicaStatus: ObservedReplica[] = Array.from({ length: n }, (_, i) => ({
      id: `${v.name}/revisions/${full}#${i}`,
      name: `${full}-${i}`,
      ordinal: i,
      state,
      ready,
      ...(message ? { message } : {}),
      endpoints: host ? [{ host, port: 443, containerPort: v.containerPort, url: v.uri }] : [],
    }));
    return {
      key: { fleet, deployment, revision: rev, zone },
      target,
      replicas: n,
      ready: ready ? n : 0,
      replicaStatus,
      revision: rev,
    };
  });
}

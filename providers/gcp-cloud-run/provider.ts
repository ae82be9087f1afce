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
 *
 * This file holds the Provider (the slice table); the API calls are api.ts (each with the
 * bounded retry of retry.ts, writes awaited by operations.ts, the SDK loaded by sdk.ts), observe's
 * mapping is observe.ts, the call log calllog.ts, error classification errors.ts.
 */
import { boundsShare } from '../../src/autoscaling/native-autoscaling.js';
import type { CallLog } from '../../src/calllog/index.js';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import { CallRecorder } from '../../src/provider/kit/call-recorder.js';
import { runInCallScope } from '../../src/provider/kit/call-scope.js';
import { KeyedLock } from '../../src/provider/kit/keyed-lock.js';
import { isOwned, sliceFleetIssue } from '../../src/provider/kit/ownership.js';
import { targetDescription } from '../../src/provider/kit/target-description.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  IdentityToken,
  ObservedSlice,
  SliceAutoscaling,
  SecretReference,
  SliceKey,
  SliceSelector,
  TargetDescription,
  TrafficSplittingProvider,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { parseHostPort } from '../../src/spec/schema-helpers.js';
import {
  formatAutoscaling,
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
import { ANNOTATIONS, GCP_LABELS, revisionName, serviceId, serviceName } from './names.js';
import { observedSlices } from './observe.js';
import { identityTokenFor } from './identity-token.js';
import { DEFAULT_RETRY } from './retry.js';
import { CloudRunSecretVersions, loadSecretManager } from './secret-versions.js';
import { loadSdk } from './sdk.js';
import { type ServiceView, sliceRevisions } from './service-view.js';
import { CloudRunApi } from './api.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

export { observedSlices };

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
  /**
   * The provider's own bounded retry of 429/5xx/timeouts within one call, because the REST transport
   * does not retry (retry.ts; default 5 attempts, 250 ms doubling up to 8 s).
   */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /**
   * ListServices may lag writes; GetService does not: for this long after this instance wrote a
   * service, until a list shows the write, observe reads it by name instead. 0 turns it off.
   * Default 5 min.
   */
  consistencyWindowMs?: number;
}

/** Traffic split for `setTraffic`: a skyfleet revision hash and its percent (integers summing to 100). */
export interface TrafficSplit {
  revision: string;
  percent: number;
}

const RESERVED_ANNOTATION =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//;

export class CloudRunProvider implements TrafficSplittingProvider {
  readonly kind = 'gcp-cloud-run';
  readonly target: string;
  private readonly api: CloudRunApi;
  private readonly recorder: CallRecorder;
  /** Operations on one service run one at a time in this process (read-modify-write of the table). */
  private readonly locks = new KeyedLock();
  private readonly clock: Clock;
  private readonly windowMs: number;
  /**
   * Services this instance wrote within the window, by full name: when, and the generation the
   * write made (null: deleted, `gone` once a read by name said so). A list right after a write may
   * not show it (a new service missing, a deleted one still there, an old generation); observe
   * reads those by name, which is current.
   */
  private readonly written = new Map<string, { at: number; generation: number | null; gone?: boolean }>();

  constructor(
    readonly settings: GcpCloudRunTargetSettings,
    private readonly ctx: ProviderContext,
    options: CloudRunProviderOptions = {},
  ) {
    this.target = settings.name;
    const clock: Clock = options.clock ?? ctx.clock ?? systemClock;
    this.clock = clock;
    this.windowMs = options.consistencyWindowMs ?? 5 * 60_000;
    const callLog = options.callLog ?? ctx.callLog;
    this.recorder = new CallRecorder({ cloud: 'gcp-cloud-run', target: this.target, log: callLog, clock });
    this.api = new CloudRunApi(settings, this.target, {
      clock,
      pollIntervalMs: options.pollIntervalMs ?? settings.pollIntervalMs,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      load: () => loadSdk(settings, { authClient: options.authClient, recordCalls: callLog !== undefined }),
    });
    if (settings.dataPlaneAddress) this.connect = parseHostPort(settings.dataPlaneAddress);
    this.secretStore = new CloudRunSecretVersions(settings, {
      clock,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      load: () => loadSecretManager(settings, { authClient: options.authClient, recordCalls: callLog !== undefined }),
    });
  }

  /** Reads which Secret Manager version `latest` is (secret-versions.ts). */
  private readonly secretStore: CloudRunSecretVersions;

  /**
   * Cloud Run reads every secret itself from Secret Manager at instance start, so a deployment
   * only on Cloud Run needs no value; the versions are what `latest` stands for now.
   */
  secretVersions(
    deployment: string,
    refs: readonly SecretReference[],
    options: CallOptions = {},
  ): Promise<Array<string | undefined>> {
    return this.inContext(deployment, options.reason ?? 'secret versions', [], () =>
      this.secretStore.versions(refs, options.signal),
    );
  }

  /** Where replica traffic connects (settings.dataPlaneAddress), when not the service's own host. */
  private readonly connect: { host: string; port: number } | undefined;

  /** An identity token for a service URL (services that keep their invoker check): identity-token.ts. */
  identityToken(audience: string): Promise<IdentityToken> {
    return identityTokenFor(this.settings, audience, this.clock);
  }

  describe(): TargetDescription {
    const s = this.settings;
    return targetDescription(
      {
        target: s.name,
        kind: this.kind,
        topology: { provider: 'gcp', region: s.region, zones: [s.region] },
        capabilities: {
          maxCpuMillis: LIMITS.maxCpuMillis,
          maxMemoryMiB: LIMITS.maxMemoryMiB,
          maxPorts: 1,
          maxContainers: LIMITS.maxContainers,
          probes: ['httpGet', 'tcpSocket'],
          // https://cloud.google.com/run/docs/configuring/healthchecks: liveness is HTTP or gRPC
          // only, and a probe's timeout must be below its period (mapping.ts checks both too)
          livenessProbes: ['httpGet'],
          probeTimeoutBelowPeriod: true,
          nativeTrafficSplit: true,
          scaleToZero: true,
          nativeAutoscaling: true,
          publicEndpoints: s.ingress === 'all' && s.allowUnauthenticated,
          gpu: false,
        },
      },
      s,
    );
  }

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    return this.inContext(selector.deployment ?? null, options.reason ?? 'observe', [], async () => {
      let views: ServiceView[];
      if (selector.deployment) {
        // one deterministic id: a GET, not a listing of the whole region
        const v = await this.getService(selector.deployment, 'observe', options.signal);
        views = v ? [v] : [];
      } else {
        views = await this.listed(options.signal);
      }
      return views
        .filter((v) => this.owns(v, selector.fleet, selector.deployment))
        .flatMap((v) => observedSlices(v, this.target, this.connect, !this.settings.allowUnauthenticated))
        .sort((a, b) => `${a.key.deployment}|${a.key.revision}`.localeCompare(`${b.key.deployment}|${b.key.revision}`));
    });
  }

  validate(slice: DesiredSlice): void {
    this.checkKey(slice.key);
    this.templateOf(slice);
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    const { key } = slice;
    this.checkKey(key);
    const id = serviceId(key.fleet, this.target, key.deployment);
    // mapping first: anything Cloud Run cannot run is a ValidationError before any call
    const template = this.templateOf(slice);
    const labels = serviceLabels(key.fleet, this.target, key.deployment, this.settings.region, slice.labels);
    const secrets = Object.values(slice.secrets ?? {});
    return this.inContext(key.deployment, options.reason ?? 'apply', secrets, () =>
      this.locks.run(id, () => this.applyLocked(slice, id, template, labels, options.signal)),
    );
  }

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    const id = serviceId(key.fleet, this.target, key.deployment);
    return this.inContext(key.deployment, options.reason ?? 'remove', [], () =>
      this.locks.run(id, async () => {
        const view = await this.getService(key.deployment, 'remove', options.signal, key.fleet);
        if (!view || !this.owns(view, key.fleet, key.deployment)) return { changed: false, writes: 0 };
        const revs = sliceRevisions(view);
        if (!revs.includes(key.revision)) return { changed: false, writes: 0 };
        const replicas = { ...view.replicas };
        delete replicas[key.revision];
        if (revs.length === 1) {
          this.wrote(view.name, null);
          const gone = await this.api.delete(view, options.signal);
          this.wrote(view.name, null, true);
          return gone ? { changed: true, writes: 1 } : { changed: false, writes: 0 };
        }
        const fields = this.tableFields(view, replicas, view.templateRevision, view.autoscaling);
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
      this.locks.run(id, async () => {
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
    await Promise.all([this.api.close(), this.secretStore.close()]);
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
        annotations: {
          [ANNOTATIONS.replicas]: formatReplicas(replicas),
          [ANNOTATIONS.labels]: ownedKeysText(labels),
          ...(slice.autoscaling ? { [ANNOTATIONS.autoscaling]: formatAutoscaling(slice.autoscaling) } : {}),
        },
        ingress: INGRESS[this.settings.ingress],
        invokerIamDisabled: this.settings.allowUnauthenticated,
        template,
        traffic: proportionalTraffic(replicas, id, key.revision),
        scaling: this.scaling(totalReplicas(replicas), slice.autoscaling),
      };
      const full = serviceName(this.settings.project, this.settings.region, id);
      this.wrote(full, 1);
      const created = await this.api.create(id, service, signal);
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
    Object.assign(
      fields,
      this.tableFields(view, replicas, fields.template ? full : view.templateRevision, slice.autoscaling),
    );
    Object.assign(fields, labelFields(view, labels, fields.annotations as Record<string, string> | undefined));
    if (view.ingress !== INGRESS[this.settings.ingress]) fields.ingress = INGRESS[this.settings.ingress];
    if (view.invokerIamDisabled !== this.settings.allowUnauthenticated)
      fields.invokerIamDisabled = this.settings.allowUnauthenticated;
    if (Object.keys(fields).length === 0) return { changed: createWrites > 0, writes: createWrites };
    await this.update(view, fields, signal);
    return { changed: true, writes: createWrites + 1 };
  }

  /**
   * Annotations, traffic and scaling for a new slice table and autoscaling; only the fields that
   * differ from `view`.
   */
  private tableFields(
    view: ServiceView,
    replicas: Record<string, number>,
    templateRevision: string,
    autoscaling: SliceAutoscaling | undefined,
  ): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    const tableChanged = formatReplicas(replicas) !== formatReplicas(view.replicas);
    const autoscalingText = autoscaling ? formatAutoscaling(autoscaling) : undefined;
    if (tableChanged || autoscalingText !== view.annotations[ANNOTATIONS.autoscaling]) {
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(view.annotations))
        if (!RESERVED_ANNOTATION.test(k) && k !== ANNOTATIONS.autoscaling) annotations[k] = v;
      annotations[ANNOTATIONS.replicas] = formatReplicas(replicas);
      if (autoscalingText) annotations[ANNOTATIONS.autoscaling] = autoscalingText;
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
    const scaling = this.scaling(totalReplicas(replicas), autoscaling);
    if (view.minInstanceCount !== scaling.minInstanceCount || view.maxInstanceCount !== (scaling.maxInstanceCount ?? 0))
      fields.scaling = scaling;
    return fields;
  }

  /**
   * The service's instance bounds. Without autoscaling, replicas are warm instances: the table's
   * total is the minimum (the target's `maxInstanceCount` the maximum, when set). With it, Cloud Run
   * scales the service within this target's share of the deployment's bounds (`boundsShare`: the
   * bounds themselves when it holds every replica), capped by the target's `maxInstanceCount`.
   */
  private scaling(
    total: number,
    autoscaling: SliceAutoscaling | undefined,
  ): { minInstanceCount: number; maxInstanceCount?: number } {
    const cap = this.settings.maxInstanceCount;
    if (autoscaling) {
      const { min, max } = boundsShare(autoscaling, total);
      const upper = cap !== undefined ? Math.min(cap, max) : max;
      return { minInstanceCount: Math.min(min, upper), maxInstanceCount: upper };
    }
    return { minInstanceCount: total, ...(cap !== undefined ? { maxInstanceCount: Math.max(cap, total) } : {}) };
  }

  // ---- plumbing ----

  /** An update, remembered for lists that do not show it yet: it makes the view's next generation. */
  private async update(view: ServiceView, fields: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    this.wrote(view.name, view.generation + 1);
    await this.api.update(view, fields, signal);
  }

  private wrote(name: string, generation: number | null, gone = false): void {
    if (this.windowMs > 0) this.written.set(name, { at: this.clock.now(), generation, ...(gone ? { gone } : {}) });
  }

  /**
   * The region's services as listed, with those this instance wrote that the list does not show as
   * written yet read by name: a service missing or of an older generation is read, one known
   * deleted is dropped (after a read that says so). A write is forgotten once a list shows its
   * generation, a delete after the window.
   */
  private async listed(signal?: AbortSignal): Promise<ServiceView[]> {
    const views = new Map((await this.api.list(signal)).map((v) => [v.name, v]));
    const behind: string[] = [];
    for (const [name, w] of this.written) {
      const v = views.get(name);
      if (this.clock.now() - w.at > this.windowMs) this.written.delete(name);
      else if (w.generation !== null) {
        if (v && v.generation >= w.generation) this.written.delete(name);
        else behind.push(name);
      } else if (v) {
        if (w.gone) views.delete(name);
        else behind.push(name);
      }
    }
    for (const name of behind) {
      const v = await this.api.get(name, 'observe', signal);
      if (v) views.set(name, v);
      else {
        views.delete(name);
        const w = this.written.get(name);
        if (w?.generation === null) w.gone = true;
      }
    }
    return [...views.values()];
  }

  private getService(
    deployment: string,
    operation: string,
    signal?: AbortSignal,
    fleet = this.ctx.fleet,
  ): Promise<ServiceView | undefined> {
    const name = serviceName(this.settings.project, this.settings.region, serviceId(fleet, this.target, deployment));
    return this.api.get(name, operation, signal);
  }

  private inContext<T>(
    deployment: string | null,
    reason: string,
    secrets: readonly string[],
    fn: () => Promise<T>,
  ): Promise<T> {
    return runInCallScope({ deployment, reason, secrets: [...secrets], recorder: this.recorder }, fn);
  }

  private owns(v: ServiceView, fleet: string, deployment?: string): boolean {
    return isOwned(v.labels, { fleet, target: this.target, deployment }, GCP_LABELS);
  }

  /** The revision template of a slice; a ValidationError for what Cloud Run cannot run. */
  private templateOf(slice: DesiredSlice): ReturnType<typeof revisionTemplate> {
    const { key } = slice;
    return revisionTemplate(slice.template, {
      service: serviceId(key.fleet, this.target, key.deployment),
      revision: key.revision,
      fleet: key.fleet,
      deployment: key.deployment,
      settings: this.settings,
      ...(slice.autoscaling?.concurrency !== undefined ? { concurrency: slice.autoscaling.concurrency } : {}),
    });
  }

  private checkKey(key: SliceKey): void {
    const issues = [];
    const fleetIssue = sliceFleetIssue(key, this.ctx.fleet);
    if (fleetIssue) issues.push(fleetIssue);
    if (key.zone !== this.settings.region)
      issues.push({
        path: 'zone',
        message: `target ${this.target} is regional: its only zone is "${this.settings.region}", got "${key.zone}"`,
      });
    if (issues.length) throw new ValidationError(issues);
  }
}

/** The ANNOTATIONS.labels value for a set of labels skyfleet sets. */
function ownedKeysText(labels: Record<string, string>): string {
  return Object.keys(labels).sort().join(',');
}

/**
 * The labels (and the annotation listing them) to write when a label skyfleet owns differs: the
 * keys it sets now and those it set before (ANNOTATIONS.labels; without it, only today's). Labels
 * others added are kept as they are and never cause a write. `annotations`: those the same patch
 * writes already, if any (a patch replaces the whole map).
 */
function labelFields(
  view: ServiceView,
  labels: Record<string, string>,
  annotations: Record<string, string> | undefined,
): Record<string, unknown> {
  const before = view.annotations[ANNOTATIONS.labels];
  const owned = new Set([...Object.keys(labels), ...(before ? before.split(',') : [])]);
  const keys = ownedKeysText(labels);
  if (before === keys && [...owned].every((k) => view.labels[k] === labels[k])) return {};
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(view.labels)) if (!owned.has(k)) next[k] = v;
  Object.assign(next, labels);
  const notes: Record<string, string> = { ...(annotations ?? {}) };
  if (!annotations)
    for (const [k, v] of Object.entries(view.annotations)) if (!RESERVED_ANNOTATION.test(k)) notes[k] = v;
  notes[ANNOTATIONS.labels] = keys;
  const out: Record<string, unknown> = { annotations: notes };
  if (!sameMap(view.labels, next)) out.labels = next;
  return out;
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

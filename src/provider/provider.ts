import type { SliceAutoscaling } from '../autoscaling/native-autoscaling.js';

export type { SliceAutoscaling };
import type { CallLog } from '../calllog/call-log.js';
import type { PodTemplate } from '../spec/deployment.js';
import type { Clock } from '../util/clock.js';

/**
 * What every provider is made with, besides its target settings: `new XProvider(settings, ctx)`.
 * `createFleet` builds it from its own options; tests pass their own.
 */
export interface ProviderContext {
  /** The fleet's name (labels, resource names). */
  fleet: string;
  /** Where cloud providers record each HTTP request they send (`--call-log`). */
  callLog?: CallLog;
  /** Time for readiness windows, operation polls and backoff; the system clock when absent. */
  clock?: Clock;
  /**
   * The fleet's secret resolver (createFleet's `secrets`, else `SKYFLEET_SECRET_<NAME>_<KEY>`), for
   * `secretKeyRef`s in target settings such as registry passwords. Values never leave the provider.
   */
  secrets?: (ref: { name: string; key: string }) => string | undefined | Promise<string | undefined>;
}

/**
 * The Provider contract. A provider realises slices of deployments on one target (a Docker
 * engine, an ECS cluster in a region, an ACI resource group, a Cloud Run project+region).
 *
 * Failure semantics (every implementation must hold to these; test/contract checks them):
 * - `observe` never fails because something is absent: absent resources are simply not returned.
 *   It reads the provider's real state every call; nothing is trusted from a cache or the store.
 * - `apply` is idempotent create-or-update: repeating it after a timeout, a crash or a success
 *   converges on the same resources and makes no write when nothing differs (`changed: false`).
 * - `remove` is idempotent: removing what does not exist succeeds with `changed: false`.
 * - Every error thrown is a ProviderError (or a ValidationError for a slice the provider can
 *   never realise), classified retryable or terminal, carrying the provider's own message.
 *   `validate`, where a provider has it, throws that ValidationError without any call, and
 *   `apply` throws it before its first call.
 * - Retries across calls belong to the reconciler; a provider may retry inside one call only
 *   within a small bound (the SDK's own retry policy), and must honour `signal`. One exception,
 *   Cloud Run: its SDK's REST transport never retries (gax retries only errors carrying a gRPC
 *   status code, which the REST transport's errors lack), so the provider itself retries one SDK
 *   call within the same kind of bound (providers/gcp-cloud-run/retry.ts: 5 attempts, Retry-After
 *   honoured, capped at 8 s a wait) and then surfaces the error classified, with `retryAfterMs`.
 * - Plumbing shared by providers (error classification rules, Retry-After, aborts, the call-log
 *   scope and recording rule, keyed locks, ownership labels) lives in `src/provider/kit/`.
 * - Operations on different slices may run concurrently; the reconciler never runs two
 *   operations on the same slice at once.
 */
export interface Provider {
  /** The target name this provider instance serves. */
  readonly target: string;
  /** The provider kind: `memory`, `docker`, `aws-ecs`, `azure-aci`, `gcp-cloud-run`. */
  readonly kind: string;
  describe(): TargetDescription;
  observe(selector: SliceSelector, options?: CallOptions): Promise<ObservedSlice[]>;
  apply(slice: DesiredSlice, options?: CallOptions): Promise<ApplyResult>;
  remove(key: SliceKey, options?: CallOptions): Promise<ApplyResult>;
  /**
   * Optional: the provider's own word on its zones' health (a zone status API, an engine ping).
   * The controller believes it over its own failure counting. Must not throw for an outage it can
   * report; throws a ProviderError when it cannot tell.
   */
  health?(options?: CallOptions): Promise<ZoneHealth[]>;
  /**
   * Optional: what a deployment's running replicas use now (for autoscaling on cpu and memory).
   * One entry per running replica it could measure; a replica without a reading is left out
   * (never reported as 0). Throws a ProviderError when it cannot read at all.
   */
  usage?(selector: { fleet: string; deployment: string }, options?: CallOptions): Promise<ReplicaUsage[]>;
  /**
   * Optional: every check `apply` makes before its first call, with no call at all (pure and
   * local). Throws a ValidationError naming the field for a slice this target could never run
   * (a task size Fargate does not offer, a probe Cloud Run refuses). Admission calls it for each
   * target a change would place replicas on, so a change one target refuses is refused before
   * any write anywhere (nothing half-done).
   */
  validate?(slice: DesiredSlice): void;
  /**
   * Optional: reads (never writes) that the target can realise slices at all, such as an ECS
   * cluster that exists and has the capacity provider the target uses. Admission awaits it for
   * each target a change would place replicas on, before anything is recorded or written anywhere;
   * a provider may cache a success. Throws a terminal ProviderError naming the fix, a retryable one
   * when it cannot tell.
   */
  preflight?(options?: CallOptions): Promise<void>;
  /**
   * An identity token for replicas whose endpoints name an `identityAudience` (Cloud Run's
   * invoker check), from the target's own credentials. A credential: never logged or stored.
   */
  identityToken?(audience: string, options?: CallOptions): Promise<IdentityToken>;
  /**
   * Optional, and its presence is the capability: this platform reads every `secretKeyRef` itself
   * when a replica starts (an ECS `secrets` ARN, a Cloud Run Secret Manager reference), so
   * skyfleet needs no value for a deployment placed only on such targets. Returns, for each
   * reference of the deployment's template (same order), the version the platform would read now: an id from the cloud's own
   * secret store (never a value), or undefined where the reference pins its version or tracking
   * is off. The ids go into the revision's keyed secrets digest, so a rotation in the cloud's own
   * store is a new revision that replaces every replica. Throws a ProviderError (classified, with
   * the cloud's message) when it cannot read them, a ValidationError for a reference it could
   * never resolve.
   */
  secretVersions?(
    deployment: string,
    refs: readonly SecretReference[],
    options?: CallOptions,
  ): Promise<Array<string | undefined>>;
  /** Releases clients, sockets and timers. */
  close?(): Promise<void>;
}

/** A `valueFrom.secretKeyRef` of a template: a secret's name and a key (or version) in it. */
export interface SecretReference {
  name: string;
  key: string;
}

/** One replica's resource use, as its platform measured it. */
export interface ReplicaUsage {
  /** The replica's id (as in ObservedReplica). */
  id: string;
  revision: string;
  /** Cores in use, averaged over the platform's last sampling interval. */
  cpuCores?: number;
  /** Bytes of memory in use (the working set: without reclaimable page cache). */
  memoryBytes?: number;
  /** When it was measured (epoch ms). */
  sampledAt: number;
}

export interface ZoneHealth {
  zone: string;
  healthy: boolean;
  reason?: string;
}

/** Optional: a provider that pushes changes (Docker's event stream) instead of being polled. */
export interface WatchableProvider extends Provider {
  watch(selector: SliceSelector, onChange: (change: ProviderChange) => void): () => void;
}

/** Optional: a provider that splits traffic between revisions itself (Cloud Run). */
export interface TrafficSplittingProvider extends Provider {
  setTraffic(
    deployment: string,
    splits: ReadonlyArray<{ revision: string; percent: number }>,
    options?: CallOptions,
  ): Promise<ApplyResult>;
}

export function splitsTraffic(p: Provider): p is TrafficSplittingProvider {
  return (
    p.describe().capabilities.nativeTrafficSplit &&
    typeof (p as Partial<TrafficSplittingProvider>).setTraffic === 'function'
  );
}

export function isWatchable(p: Provider): p is WatchableProvider {
  return typeof (p as Partial<WatchableProvider>).watch === 'function';
}

export interface ProviderChange {
  deployment?: string;
  zone?: string;
  /** e.g. `die`, `health_status: unhealthy`, `destroy`. */
  reason: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Why this call is made (the plan action, or `observe`): for call logs. */
  reason?: string;
  /** The deployment a call is made for when its arguments name none (`preflight`): for call logs. */
  deployment?: string;
}

export interface Topology {
  /** The cloud or platform: `aws`, `azure`, `gcp`, `docker`, or what a memory target declares. */
  provider: string;
  region: string;
  /** The failure domains of this target; a regional service (Cloud Run) has one zone named after its region. */
  zones: string[];
}

export interface Capabilities {
  /** Largest cpu per replica, in millicores. */
  maxCpuMillis: number;
  /** Largest memory per replica, in MiB. */
  maxMemoryMiB: number;
  /** Most container ports a replica may expose (Cloud Run: 1). */
  maxPorts: number;
  /** Most containers per replica. */
  maxContainers: number;
  /** Probe kinds the target runs natively. */
  probes: ReadonlyArray<'httpGet' | 'tcpSocket' | 'exec'>;
  /** Probe kinds it runs as liveness probes, when fewer than `probes` (Cloud Run: httpGet only). */
  livenessProbes?: ReadonlyArray<'httpGet' | 'tcpSocket' | 'exec'>;
  /** A probe's timeoutSeconds must be below its periodSeconds (Cloud Run), not only at most. */
  probeTimeoutBelowPeriod?: boolean;
  /** The target splits traffic between revisions itself (Cloud Run). */
  nativeTrafficSplit: boolean;
  /**
   * The target may hold none of a deployment's replicas and start one on demand: through
   * skyfleet's listener (activation), or its own (Cloud Run). A deployment with
   * `autoscaling.minReplicas: 0` is placed only on targets that can.
   */
  scaleToZero: boolean;
  /**
   * The target scales a slice itself between bounds it is given (Cloud Run's min/max instance
   * count and per-instance concurrency). A deployment whose every target can is scaled by them,
   * with its `spec.autoscaling` mapped onto each slice (`DesiredSlice.autoscaling`), not by
   * skyfleet's autoscaler.
   */
  nativeAutoscaling: boolean;
  publicEndpoints: boolean;
  gpu: boolean;
  /**
   * Replicas are reached on their first TCP container port only (ACI behind a `dataPlaneAddress`
   * front, which routes on a group's FQDN to its first port): a deployment whose service sends to
   * another port is not placed here.
   */
  firstPortOnly?: boolean;
}

export interface TargetDescription {
  target: string;
  kind: string;
  topology: Topology;
  capabilities: Capabilities;
  /** Most replicas one zone of this target may hold (capacity, quota). */
  maxReplicasPerZone?: number;
  pricePerReplicaHour?: number;
  /** What a user must know to reach the replicas (e.g. "the load balancer must run inside the VPC"). */
  notes?: string[];
}

/** Identifies one slice: the replicas of one revision of one deployment in one zone of a target. */
export interface SliceKey {
  fleet: string;
  deployment: string;
  revision: string;
  zone: string;
}

export interface SliceSelector {
  fleet: string;
  /** Only this deployment's slices; all of the fleet's when absent. */
  deployment?: string;
}

/** What the reconciler asks a provider to make true. */
export interface DesiredSlice {
  key: SliceKey;
  replicas: number;
  template: PodTemplate;
  /** Secret values resolved for env `valueFrom` references, by env var name. Never logged or stored. */
  secrets?: Record<string, string>;
  /** User labels of the deployment (metadata.labels), carried onto resources where possible. */
  labels?: Record<string, string>;
  /**
   * Ids of replicas (ObservedReplica.id) the reconciler wants replaced: unhealthy past their
   * failure threshold. Providers whose platform replaces unhealthy replicas itself (ECS, ACI,
   * Cloud Run) may ignore it; the Docker provider removes and recreates them.
   */
  replace?: readonly string[];
  /**
   * When the count goes down: ids of the replicas to remove first. The reconciler took them out
   * of the load balancer and let their requests drain before asking.
   */
  remove?: readonly string[];
  /**
   * Only for targets with `nativeAutoscaling`, when the deployment's every target has it: the
   * bounds the target's own autoscaler keeps this deployment within.
   */
  autoscaling?: SliceAutoscaling;
}

export type ReplicaState = 'pending' | 'starting' | 'ready' | 'unhealthy' | 'failed' | 'stopped';

export interface Endpoint {
  /** Host to connect to (127.0.0.1 for local Docker, a public IP or hostname for clouds). */
  host: string;
  port: number;
  /** The container port this endpoint reaches, and its name when declared. */
  containerPort: number;
  portName?: string;
  /** A URL when the provider gives one (Cloud Run's service URI). */
  url?: string;
  /**
   * Reached over TLS as this name (Cloud Run: the service's `*.run.app` host): SNI, the
   * certificate's name and the Host header the platform routes on. Plain TCP when absent.
   */
  serverName?: string;
  /**
   * Requests must carry an identity token for this audience (Cloud Run with its invoker check
   * on): the load balancer sends `X-Serverless-Authorization: Bearer <token>`, which Cloud Run
   * checks and removes, leaving the request's own `Authorization` to the app. The token comes from
   * the provider's `identityToken`.
   */
  identityAudience?: string;
}

/** An identity token (an OIDC ID token) and when it expires (epoch ms). */
export interface IdentityToken {
  token: string;
  expiresAt: number;
}

export interface ObservedReplica {
  /** The provider's id of the replica (container id, task ARN, container group name...). */
  id: string;
  /** A human-readable name. */
  name: string;
  /** Stable ordinal within the slice where the provider has one. */
  ordinal?: number;
  state: ReplicaState;
  ready: boolean;
  /** Last probe output or provider status message, for errors and `describe`. */
  message?: string;
  restarts?: number;
  endpoints: Endpoint[];
  /** True when the replica differs from what its slice asked for (drift). */
  drifted?: boolean;
}

export interface ObservedSlice {
  key: SliceKey;
  /** The target this slice lives on. */
  target: string;
  /** Replicas that exist (desired count the provider holds, for services with a count). */
  replicas: number;
  ready: number;
  replicaStatus: ObservedReplica[];
  /** Revision hash of the template it runs, as recorded on the resource. */
  revision: string;
  /** The bounds its target's own autoscaler holds (targets with `nativeAutoscaling`). */
  autoscaling?: SliceAutoscaling;
  /**
   * `aggregate`: the platform shows no replica one by one (Cloud Run's instances are not an API
   * resource). `replicaStatus` then holds one entry per replica the slice asks for, each carrying
   * the slice's state as the platform reports it for the whole revision, and `detail` says where
   * that state came from; nothing in it was observed of one replica. `replica` (the default): each
   * entry is a replica the platform reported.
   */
  observedAs?: 'replica' | 'aggregate';
  /** For `aggregate` slices: what the counts and state are read from, for people. */
  detail?: string;
}

export interface ApplyResult {
  /** Whether any write call was made. */
  changed: boolean;
  /** Number of write calls the provider made (for API-economy checks and events). */
  writes: number;
}

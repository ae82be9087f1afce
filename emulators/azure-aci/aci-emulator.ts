import { ManualClock } from '../../src/util/clock.js';
import {
  type Clock,
  type EmulatedResponse,
  FaultKnobs,
  LaggedReads,
  ModelViolations,
  RequestLog,
} from '../framework/index.js';
import type { ReplicaRuntime, ReplicaSpec } from '../replica-runtime/replica-runtime.js';
import { ArmModelChecker } from './arm-checker.js';

/**
 * A stateful Azure Resource Manager for Microsoft.ContainerInstance/containerGroups, in the shape
 * @azure/arm-containerinstance 9.1.0 sends and parses (api-version 2023-05-01), served (nock in tests, `skyfleet emulate` on 127.0.0.1) at
 * https://management.azure.com. Shapes follow
 * emulators/reference/azure-container-instances/containerInstance.2026-05-01.json with the
 * 2023-05-01 differences (see arm-checker.ts); every request and response is checked against it.
 *
 * Time is the injected clock; state is computed lazily at each request (no timers):
 * - PUT (create) answers 201 Pending with an Azure-AsyncOperation header; the operation succeeds
 *   `provisionMs` later, then containers are Running (restartCount 0).
 * - PUT (update) answers 200 Updating + Azure-AsyncOperation; in-place only for properties ACI can
 *   update: OS type, restart policy, network profile (IP type, subnets), CPU/memory/GPU and zones
 *   answer 409 InvalidContainerGroupUpdate.
 * - DELETE answers 202 with a Location header (operationResults) until `deleteMs` passes, then
 *   204; a DELETE of an absent group answers 204.
 * - Each poll of an operation advances a ManualClock by `pollAdvanceMs`, standing for the time a
 *   real client waits between polls, so pollers finish without sleeping.
 * - List answers `pageSize` groups a page with a nextLink (`$skipToken`), without instance views
 *   (ListResultContainerGroup has none).
 * - Read-backs are normalised as ARM's: the location in its display form ("WestUs" for "west us",
 *   as in the official examples), secure values and registry passwords stripped, restartPolicy and
 *   sku defaulted, the IP only once provisioned, `policyTags` (an Azure Policy Modify effect) added.
 * - With `consistencyLagMs`, lists lag writes: ARM serves them from a cache that is eventually
 *   consistent ("The /resources API is served from a regional cache from Azure Resource Manager,
 *   which is eventual consistent, and not real time", Azure/AKS#1964; newly created resources
 *   missing from a list for minutes, Azure/azure-rest-api-specs#28600). For that long after a PUT,
 *   PATCH or DELETE, a list shows the group as it was before (absent after a create, still there
 *   after a delete); a GET by name is always current.
 */

export const ARM = 'https://management.azure.com';
export const API_VERSION = '2023-05-01';

export interface AciEmulatorOptions {
  subscriptionId?: string;
  clock?: Clock;
  /** Locations and their availability zones ([] = a location without zones). */
  locations?: Record<string, string[]>;
  /** Create/update takes this long (emulator clock) to reach Succeeded. */
  provisionMs?: number;
  deleteMs?: number;
  /** How far each operation poll moves a ManualClock. */
  pollAdvanceMs?: number;
  pageSize?: number;
  /** Largest cpu / memory a container group may request (ACI standard Linux: 4 / 16). */
  maxCpu?: number;
  maxMemoryGB?: number;
  /** Answer 400 to requests the model rejects (default true); violations are collected either way. */
  strict?: boolean;
  /** Add a Retry-After header to LRO answers (ARM does; the SDK then waits that long in real time). */
  lroRetryAfterSeconds?: number;
  /** How long (emulator clock) lists show a group as it was before a write; 0 (default): current. */
  consistencyLagMs?: number;
  /**
   * Tags an Azure Policy with the Modify effect adds to every group written, as an organisation's
   * policy does (https://learn.microsoft.com/azure/governance/policy/concepts/effect-modify): what
   * is read back carries tags the writer never sent.
   */
  policyTags?: Record<string, string>;
  /**
   * Runs each group's containers for real (`skyfleet emulate`): once the group is provisioned,
   * each container runs as a local container with its ports published on 127.0.0.1, and the
   * instance view reports what it does (Running, Terminated with its exit code, restarts, a
   * failing readiness probe). Without one, containers are state on the clock and the crash knobs.
   */
  runtime?: ReplicaRuntime;
}

/** With a runtime: the local container that runs one container of a group now. */
interface RunningContainer {
  key: string;
  /** The group start (`startedAt`) it belongs to: an update restarts the containers. */
  start: number;
  /** When the runtime first saw it running. */
  runningSince?: number;
  restarts: number;
  /** The last exit seen, of the local container `key`. */
  lastExit?: { key: string; at: number; exitCode: number; reason: string };
}

/** Restart backoff of a container that exited (restartPolicy Always/OnFailure), as a kubelet's: 1 s doubling to 30 s. */
const backoffMs = (restarts: number) => Math.min(30_000, 1000 * 2 ** Math.max(0, restarts - 1));

interface Quota {
  containerGroups?: number;
  standardCores?: number;
}

interface Operation {
  id: string;
  kind: 'create' | 'update' | 'delete';
  location: string;
  group: string;
  start: number;
  doneAt: number;
  failure?: { code: string; message: string };
}

interface Crash {
  container: string;
  at: number;
  exitCode: number;
  /** When Always restarts it; undefined = crash loop (stays down). */
  restartAfterMs: number | undefined;
}

interface GroupRecord {
  key: string;
  rg: string;
  name: string;
  location: string;
  zones: string[] | undefined;
  tags: Record<string, string>;
  /** Wire `properties` as last sent (secrets kept here, never answered). */
  properties: Json;
  createdAt: number;
  ip: string;
  op: Operation | undefined;
  /** When containers (re)started: the end of the last successful provisioning. */
  startedAt: number | undefined;
  crashes: Crash[];
  failingReadiness: Map<string, { since: number; count: number }>;
  deleting: Operation | undefined;
  /** With a runtime: the local container of each of its containers, by container name. */
  running: Map<string, RunningContainer>;
}

// biome-ignore lint/suspicious/noExplicitAny: wire JSON the emulator reads and writes freely
type Json = Record<string, any>;

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** An instance-view event as ACI reports one (ContainerEvent): seen `count` times from `first` to `last`. */
const instanceEvent = (name: string, message: string, type: string, first: number, last: number, count = 1): Json => ({
  count,
  firstTimestamp: iso(first),
  lastTimestamp: iso(last),
  name,
  message,
  type,
});
const GROUP_NAME = /^(?!.*--)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A location as ARM answers it: the official examples send `"location": "west us"` and read back
 * `"location": "WestUs"` (examples/ContainerGroupsCreateOrUpdate.json, ContainerGroupsGet_Succeeded.json),
 * so a writer comparing what it sent with what it reads must normalise.
 */
function displayLocation(canonical: string): string {
  return canonical
    .replace(/(north|south|east|west|central)/g, ' $1 ')
    .trim()
    .split(/\s+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export class AciEmulator {
  readonly subscriptionId: string;
  readonly clock: Clock;
  readonly faults = new FaultKnobs();
  readonly log = new RequestLog();
  readonly violations = new ModelViolations();
  readonly options: Required<
    Omit<
      AciEmulatorOptions,
      'clock' | 'subscriptionId' | 'lroRetryAfterSeconds' | 'consistencyLagMs' | 'policyTags' | 'runtime'
    >
  > & {
    lroRetryAfterSeconds?: number;
  };
  readonly groups = new Map<string, GroupRecord>();
  /** Groups served verbatim (official examples), by `rg/name`. */
  readonly raw = new Map<string, Json>();
  private readonly operations = new Map<string, Operation>();
  /** What lists show of each group (by `rg/name`) while writes propagate. */
  private readonly listReads: LaggedReads<Json>;
  private readonly requestChecker = new ArmModelChecker('2023-05-01', 'request');
  private readonly responseChecker = new ArmModelChecker('2023-05-01', 'response');
  private seq = 0;
  private ipSeq = 0;
  private replicaSeq = 0;
  private readonly runtime: ReplicaRuntime | undefined;
  quota: Quota = {};
  /** Images whose pulls fail: their containers wait, with ACI's pull failure events (`skyfleet emulate pull-failure`). */
  readonly failingPulls = new Set<string>();
  /** Writes answered 403 AuthorizationFailed (a role assignment without write permission). */
  denyWrites = false;

  constructor(options: AciEmulatorOptions = {}) {
    this.subscriptionId = options.subscriptionId ?? '00000000-0000-0000-0000-000000000001';
    this.clock = options.clock ?? new ManualClock();
    this.options = {
      locations: options.locations ?? { eastus: ['1', '2', '3'], westus: [] },
      provisionMs: options.provisionMs ?? 3000,
      deleteMs: options.deleteMs ?? 1000,
      pollAdvanceMs: options.pollAdvanceMs ?? 1000,
      pageSize: options.pageSize ?? 100,
      maxCpu: options.maxCpu ?? 4,
      maxMemoryGB: options.maxMemoryGB ?? 16,
      strict: options.strict ?? true,
      ...(options.lroRetryAfterSeconds !== undefined ? { lroRetryAfterSeconds: options.lroRetryAfterSeconds } : {}),
    };
    this.listReads = new LaggedReads(options.consistencyLagMs ?? 0);
    this.policyTags = { ...options.policyTags };
    this.runtime = options.runtime;
  }

  /** Tags added to every group written (an Azure Policy Modify effect); see AciEmulatorOptions. */
  policyTags: Record<string, string>;

  /** How long lists lag writes (ms; 0: lists are current). */
  get consistencyLagMs(): number {
    return this.listReads.lagMs;
  }

  /** Records a write of group `k` for lagging lists: they show `g` (or nothing) as it was until now. */
  private listWrite(k: string, g: GroupRecord | undefined): void {
    this.listReads.write(k, this.clock.now(), g ? this.view(g, false) : undefined);
  }

  /** Moves a ManualClock forward (tests' "later"); a no-op for other clocks. */
  advance(ms: number): void {
    const c = this.clock as Partial<ManualClock>;
    if (typeof c.advance === 'function') c.advance(ms);
  }

  // ---- knobs ----

  /** 429 TooManyRequests with Retry-After for a share of calls (seeded). */
  throttle(
    share: number,
    options: { retryAfterSeconds?: number; seed?: number; operations?: readonly string[] } = {},
  ): void {
    this.faults.throttle(
      share,
      {
        status: 429,
        code: 'TooManyRequests',
        message: `The request is being throttled as the limit has been reached for operation type - Write. For more information, see https://aka.ms/throttling.`,
        retryAfterSeconds: options.retryAfterSeconds ?? 0,
      },
      {
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.operations ? { operations: options.operations } : {}),
      },
    );
  }

  /** The next n matching calls answer a 5xx. */
  serverErrors(n: number, status = 503, operations?: readonly string[]): void {
    const code = status === 503 ? 'ServiceUnavailable' : status === 504 ? 'GatewayTimeout' : 'InternalServerError';
    this.faults.failNext(
      n,
      { status, code, message: `The service is temporarily unavailable (${status}). Please retry.` },
      operations,
    );
  }

  /** An availability zone of a location goes dark: its groups are repaired, new ones fail. */
  zoneDown(location: string, zone: string): void {
    this.faults.zoneDown(`${location}-${zone}`);
  }

  zoneUp(location: string, zone: string): void {
    this.faults.zoneUp(`${location}-${zone}`);
  }

  /** A container of a group exits; with restartAfterMs (default 2 s) restartPolicy Always brings it back. */
  crash(
    rg: string,
    name: string,
    options: { container?: string; exitCode?: number; restartAfterMs?: number | null } = {},
  ): void {
    const g = this.groups.get(`${rg}/${name}`.toLowerCase());
    if (!g) throw new Error(`no group ${rg}/${name}`);
    const container = options.container ?? g.properties.containers[0].name;
    g.crashes.push({
      container,
      at: this.clock.now(),
      exitCode: options.exitCode ?? 1,
      restartAfterMs: options.restartAfterMs === null ? undefined : (options.restartAfterMs ?? 2000),
    });
  }

  /** The container's readiness probe starts (or stops) failing. */
  failReadiness(rg: string, name: string, container?: string, failing = true): void {
    const g = this.groups.get(`${rg}/${name}`.toLowerCase());
    if (!g) throw new Error(`no group ${rg}/${name}`);
    const c = container ?? g.properties.containers[0].name;
    if (failing) g.failingReadiness.set(c, { since: this.clock.now(), count: 0 });
    else g.failingReadiness.delete(c);
  }

  /** Stores an official example's group verbatim (served by GET and list as given). */
  seedRaw(rg: string, body: Json): void {
    this.raw.set(`${rg}/${body.name}`.toLowerCase(), clone(body));
  }

  /** Live groups (not yet deleted) of a resource group. */
  names(rg?: string): string[] {
    this.sweep();
    return [...this.groups.values()]
      .filter((g) => !rg || g.rg.toLowerCase() === rg.toLowerCase())
      .map((g) => g.name)
      .sort();
  }

  // ---- HTTP ----

  private requestId(): string {
    this.seq += 1;
    return `00000000-0000-4000-8000-${this.seq.toString(16).padStart(12, '0')}`;
  }

  async handle(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string>,
    body: unknown,
    origin: string,
  ): Promise<EmulatedResponse> {
    const route = this.route(method, path);
    const operation = route?.operation ?? `${method} ${path}`;
    const write = ['containerGroups.createOrUpdate', 'containerGroups.delete', 'containerGroups.update'].includes(
      operation,
    );
    const started = this.clock.now();
    let res: EmulatedResponse;
    let fault: 'throttle' | 'forced' | undefined;
    await this.faults.delay();
    const injected = this.faults.next(operation);
    if (injected) {
      fault = injected.source;
      res = this.error(
        injected.status,
        injected.code,
        injected.message,
        injected.retryAfterSeconds !== undefined ? { 'retry-after': String(injected.retryAfterSeconds) } : {},
      );
    } else if (!headers.authorization?.startsWith('Bearer ')) {
      res = this.error(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    } else if (query.get('api-version') !== API_VERSION) {
      res = this.error(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${query.get('api-version')}' is invalid. The supported version for this emulator is '${API_VERSION}'.`,
      );
    } else if (!route) {
      res = this.error(404, 'NotFound', `No route for ${method} ${path}`);
    } else if (route.sub.toLowerCase() !== this.subscriptionId) {
      res = this.error(404, 'SubscriptionNotFound', `The subscription '${route.sub}' could not be found.`);
    } else if (write && this.denyWrites) {
      res = this.error(
        403,
        'AuthorizationFailed',
        `The client 'skyfleet' with object id '11111111-1111-1111-1111-111111111111' does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/${method === 'DELETE' ? 'delete' : 'write'}' over scope '${path}' or the scope is invalid.`,
      );
    } else {
      res = this.dispatch(route, method, query, body, origin);
    }
    res.headers = {
      'x-ms-request-id': this.requestId(),
      'content-type': 'application/json; charset=utf-8',
      ...(res.headers ?? {}),
    };
    this.checkResponse(operation, res);
    this.log.add({
      time: started,
      operation,
      method,
      path: `${path}${query.toString() ? `?${query.toString()}` : ''}`,
      body: body ?? null,
      status: res.status,
      response: res.body ?? null,
      write,
      ...(fault ? { fault } : {}),
    });
    return res;
  }

  private route(
    method: string,
    path: string,
  ): { operation: string; sub: string; rg?: string; name?: string; location?: string; id?: string } | undefined {
    let m =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)$/i.exec(
        path,
      );
    if (m) {
      const op = {
        GET: 'containerGroups.get',
        PUT: 'containerGroups.createOrUpdate',
        DELETE: 'containerGroups.delete',
        PATCH: 'containerGroups.update',
      }[method];
      return op ? { operation: op, sub: m[1]!, rg: m[2]!, name: decodeURIComponent(m[3]!) } : undefined;
    }
    m =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups$/i.exec(
        path,
      );
    if (m && method === 'GET') return { operation: 'containerGroups.listByResourceGroup', sub: m[1]!, rg: m[2]! };
    m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups$/i.exec(path);
    if (m && method === 'GET') return { operation: 'containerGroups.list', sub: m[1]! };
    m =
      /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/locations\/([^/]+)\/(operations|operationResults)\/([^/]+)$/i.exec(
        path,
      );
    if (m && method === 'GET') {
      return {
        operation: m[3] === 'operations' ? 'operations.get' : 'operationResults.get',
        sub: m[1]!,
        location: m[2]!,
        id: m[4]!,
      };
    }
    return undefined;
  }

  private dispatch(
    route: NonNullable<ReturnType<AciEmulator['route']>>,
    method: string,
    query: URLSearchParams,
    body: unknown,
    origin: string,
  ): EmulatedResponse {
    this.sweep();
    switch (route.operation) {
      case 'containerGroups.get':
        return this.get(route.rg!, route.name!);
      case 'containerGroups.createOrUpdate':
        return this.put(route.rg!, route.name!, body as Json, origin);
      case 'containerGroups.delete':
        return this.delete(route.rg!, route.name!, origin);
      case 'containerGroups.update':
        return this.patch(route.rg!, route.name!, body as Json);
      case 'containerGroups.listByResourceGroup':
      case 'containerGroups.list':
        return this.list(
          route.rg,
          query,
          origin,
          route.operation === 'containerGroups.list'
            ? `/subscriptions/${route.sub}/providers/Microsoft.ContainerInstance/containerGroups`
            : `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.ContainerInstance/containerGroups`,
        );
      case 'operations.get':
        return this.pollOperation(route.id!);
      case 'operationResults.get':
        return this.pollResult(route.id!);
    }
    void method;
    return this.error(404, 'NotFound', 'no such operation');
  }

  private error(status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatedResponse {
    return { status, body: { error: { code, message } }, headers };
  }

  private groupId(rg: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
  }

  private opUrl(origin: string, location: string, kind: 'operations' | 'operationResults', id: string): string {
    return `${origin}/subscriptions/${this.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${location}/${kind}/${id}?api-version=${API_VERSION}`;
  }

  private lroHeaders(h: Record<string, string>): Record<string, string> {
    return this.options.lroRetryAfterSeconds !== undefined
      ? { ...h, 'retry-after': String(this.options.lroRetryAfterSeconds) }
      : h;
  }

  private newOp(
    kind: Operation['kind'],
    location: string,
    group: string,
    ms: number,
    failure?: Operation['failure'],
  ): Operation {
    const now = this.clock.now();
    const op: Operation = {
      id: `op-${(this.operations.size + 1).toString(36)}-${kind}`,
      kind,
      location,
      group,
      start: now,
      doneAt: now + ms,
      ...(failure ? { failure } : {}),
    };
    this.operations.set(op.id, op);
    return op;
  }

  /** Removes groups whose delete finished; records the end of finished provisioning. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [k, g] of this.groups) {
      if (g.deleting && now >= g.deleting.doneAt) {
        this.stopContainers(g);
        this.groups.delete(k);
      } else if (
        g.op &&
        !g.op.failure &&
        now >= g.op.doneAt &&
        (g.startedAt === undefined || g.startedAt < g.op.doneAt)
      ) {
        if (!this.zoneIsDown(g)) g.startedAt = g.op.doneAt;
      }
    }
    if (this.runtime) for (const g of this.groups.values()) this.runContainers(g, now);
  }

  /** Moves the emulator on (the stand-in calls it between requests): provisioning, containers. */
  tick(): void {
    this.sweep();
  }

  // ---- containers on a runtime ----

  /** Starts, restarts or stops the group's local containers to match its state now. */
  private runContainers(g: GroupRecord, now: number): void {
    const runtime = this.runtime!;
    const creating = g.op !== undefined && now < g.op.doneAt && g.op.kind === 'create';
    if (g.deleting || g.startedAt === undefined || creating || g.op?.failure || this.zoneIsDown(g)) {
      this.stopContainers(g);
      return;
    }
    const restartPolicy = g.properties.restartPolicy ?? 'Always';
    for (const c of g.properties.containers as Json[]) {
      let r = g.running.get(c.name);
      if (this.failingPulls.has(c.properties.image)) {
        if (r) runtime.stop(r.key);
        g.running.delete(c.name);
        continue;
      }
      if (r && r.start !== g.startedAt) {
        runtime.stop(r.key);
        r = undefined;
      }
      if (!r) {
        r = { key: this.replicaKey(g, c), start: g.startedAt, restarts: 0 };
        g.running.set(c.name, r);
        runtime.start(this.replicaSpec(r.key, c));
        continue;
      }
      const st = runtime.status(r.key);
      if (st?.phase === 'running') r.runningSince ??= now;
      if (st?.phase !== 'exited') continue;
      if (r.lastExit?.key !== r.key)
        r.lastExit = { key: r.key, at: now, exitCode: st.exitCode ?? 1, reason: st.reason ?? 'Error' };
      const restarts = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && r.lastExit.exitCode !== 0);
      if (restarts && now >= r.lastExit.at + backoffMs(r.restarts + 1)) {
        runtime.stop(r.key);
        r.key = this.replicaKey(g, c);
        r.restarts += 1;
        delete r.runningSince;
        runtime.start(this.replicaSpec(r.key, c));
      }
    }
  }

  private stopContainers(g: GroupRecord): void {
    for (const r of g.running.values()) this.runtime?.stop(r.key);
    g.running.clear();
  }

  private replicaKey(g: GroupRecord, c: Json): string {
    this.replicaSeq += 1;
    return `aci-${g.name}-${c.name}-${this.replicaSeq}`;
  }

  /** A container of a group as the runtime runs it: its image, command, environment, ports and readiness probe. */
  private replicaSpec(key: string, c: Json): ReplicaSpec {
    const p = c.properties as Json;
    const env: Record<string, string> = {};
    for (const e of (p.environmentVariables ?? []) as Json[]) env[e.name] = String(e.value ?? e.secureValue ?? '');
    const http = p.readinessProbe?.httpGet as Json | undefined;
    return {
      key,
      cloud: 'azure-aci',
      image: p.image,
      env,
      ports: ((p.ports ?? []) as Json[]).map((x) => Number(x.port)),
      ...(p.command?.length ? { command: [...p.command] } : {}),
      ...(http ? { httpProbe: { port: Number(http.port), path: String(http.path ?? '/') } } : {}),
    };
  }

  /**
   * Where the container that serves a group's port listens on 127.0.0.1 (the stand-in's ACI
   * front forwards there), by the group's FQDN; undefined while nothing serves it.
   */
  hostPortOf(fqdn: string, port?: number): number | undefined {
    // no sweep here: the front asks on every request, and the stand-in's tick moves state on
    if (!this.runtime) return undefined;
    const g = [...this.groups.values()].find(
      (x) => x.properties.ipAddress?.dnsNameLabel && this.fqdnOf(x) === fqdn.toLowerCase(),
    );
    if (!g || this.provisioningState(g) !== 'Succeeded') return undefined;
    const want = port ?? Number(g.properties.ipAddress?.ports?.[0]?.port);
    if (!(g.properties.ipAddress?.ports ?? []).some((p: Json) => Number(p.port) === want)) return undefined;
    const c = (g.properties.containers as Json[]).find((x) =>
      (x.properties.ports ?? []).some((p: Json) => Number(p.port) === want),
    );
    const r = c && g.running.get(c.name);
    const st = r && this.runtime.status(r.key);
    return st?.phase === 'running' ? st.ports.get(want) : undefined;
  }

  private fqdnOf(g: GroupRecord): string {
    return `${g.properties.ipAddress.dnsNameLabel}.${g.location}.azurecontainer.io`.toLowerCase();
  }

  /**
   * A container whose image cannot be pulled, as ACI reports it: Waiting, and the Pulling /
   * Failed / BackOff events repeating (https://learn.microsoft.com/azure/container-instances/container-instances-troubleshooting,
   * "Unable to pull image").
   */
  private pullFailureView(c: Json, start: number, now: number): Json {
    const image = c.properties.image;
    const tries = 1 + Math.floor((now - start) / 10_000);
    const event = (name: string, message: string, type: string) =>
      instanceEvent(name, message, type, start, now, tries);
    return {
      restartCount: 0,
      currentState: { state: 'Waiting', detailStatus: '' },
      events: [
        event('Pulling', `pulling image "${image}"`, 'Normal'),
        event(
          'Failed',
          `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`,
          'Warning',
        ),
        event('BackOff', `Back-off pulling image "${image}"`, 'Normal'),
      ],
    };
  }

  /** A container's instance view from its local container (with a runtime). */
  private runtimeContainerView(g: GroupRecord, c: Json): Json {
    const now = this.clock.now();
    const r = g.running.get(c.name);
    const st = r ? this.runtime!.status(r.key) : undefined;
    const event = (name: string, message: string, at: number, type = 'Normal') =>
      instanceEvent(name, message, type, at, at);
    const events: Json[] = [];
    const restartCount = r?.restarts ?? 0;
    const previous = r?.lastExit
      ? {
          previousState: {
            state: 'Terminated',
            exitCode: r.lastExit.exitCode,
            finishTime: iso(r.lastExit.at),
            detailStatus: r.lastExit.reason,
          },
        }
      : {};
    if (r?.lastExit)
      events.push(event('Killing', `Container ${c.name} exited: ${r.lastExit.reason}`, r.lastExit.at, 'Warning'));
    if (!r || !st || st.phase === 'starting' || (st.phase === 'running' && r.runningSince === undefined)) {
      return {
        restartCount,
        currentState: { state: 'Waiting', detailStatus: 'ContainerCreating' },
        ...previous,
        events,
      };
    }
    if (st.phase === 'exited') {
      const pull = /CannotPullContainerError/.test(st.reason ?? '');
      if (pull)
        events.push(event('Failed', `Failed to pull image "${c.properties.image}": ${st.reason}`, now, 'Warning'));
      const policy = g.properties.restartPolicy ?? 'Always';
      const final = policy === 'Never' || (policy === 'OnFailure' && st.exitCode === 0);
      return {
        restartCount,
        currentState: pull
          ? { state: 'Waiting', detailStatus: 'ImagePullBackOff' }
          : final
            ? {
                state: 'Terminated',
                exitCode: st.exitCode ?? 1,
                finishTime: iso(r.lastExit?.at ?? now),
                detailStatus: 'Completed',
              }
            : { state: 'Waiting', detailStatus: 'CrashLoopBackOff: Back-off restarting failed container' },
        ...previous,
        events,
      };
    }
    const since = r.runningSince!;
    events.push(event('Started', 'Started container', since));
    if (st.probePassing === false)
      events.push(event('Unhealthy', 'Readiness probe failed: HTTP probe failed', now, 'Warning'));
    return {
      restartCount,
      currentState: { state: 'Running', startTime: iso(since), detailStatus: '' },
      ...previous,
      events,
    };
  }

  private zoneIsDown(g: { location: string; zones?: string[] | undefined }): boolean {
    return (g.zones ?? []).some((z) => this.faults.downZones.has(`${g.location}-${z}`));
  }

  private provisioningState(g: GroupRecord): string {
    const now = this.clock.now();
    if (g.deleting) return 'Deleting';
    if (g.op && now < g.op.doneAt) return g.op.kind === 'create' ? 'Pending' : 'Updating';
    if (g.op?.failure) return 'Failed';
    if (this.zoneIsDown(g)) return 'Repairing';
    return 'Succeeded';
  }

  /** Container state at `now`, from the start time and the crash knobs. */
  private containerView(g: GroupRecord, c: Json): Json {
    const now = this.clock.now();
    const start = g.startedAt;
    const events: Json[] = [];
    if (start === undefined || this.zoneIsDown(g) || (g.op && now < g.op.doneAt && g.op.kind === 'create')) {
      return {
        restartCount: 0,
        currentState: { state: 'Waiting', detailStatus: this.zoneIsDown(g) ? 'ZoneUnavailable' : 'ContainerCreating' },
        events,
      };
    }
    if (this.failingPulls.has(c.properties.image)) return this.pullFailureView(c, start, now);
    if (this.runtime) return this.runtimeContainerView(g, c);
    events.push(
      instanceEvent('Pulling', `pulling image "${c.properties.image}"`, 'Normal', start, start),
      instanceEvent('Pulled', `Successfully pulled image "${c.properties.image}"`, 'Normal', start, start),
      instanceEvent('Started', 'Started container', 'Normal', start, start),
    );
    let restartCount = 0;
    let current: Json = { state: 'Running', startTime: iso(start), detailStatus: '' };
    let previous: Json | undefined;
    for (const cr of g.crashes.filter((x) => x.container === c.name && x.at >= start && x.at <= now)) {
      previous = {
        state: 'Terminated',
        startTime: current.startTime,
        exitCode: cr.exitCode,
        finishTime: iso(cr.at),
        detailStatus: 'Error',
      };
      events.push(
        instanceEvent('Killing', `Container ${c.name} exited with code ${cr.exitCode}`, 'Warning', cr.at, cr.at),
      );
      if (cr.restartAfterMs !== undefined && now >= cr.at + cr.restartAfterMs) {
        restartCount++;
        current = { state: 'Running', startTime: iso(cr.at + cr.restartAfterMs), detailStatus: '' };
      } else {
        current = {
          state: cr.restartAfterMs === undefined ? 'Waiting' : 'Terminated',
          startTime: iso(cr.at),
          exitCode: cr.exitCode,
          finishTime: iso(cr.at),
          detailStatus:
            cr.restartAfterMs === undefined ? 'CrashLoopBackOff: Back-off restarting failed container' : 'Error',
        };
        if (cr.restartAfterMs === undefined) restartCount++;
      }
    }
    const fr = g.failingReadiness.get(c.name);
    if (fr && c.properties.readinessProbe) {
      fr.count += 1;
      events.push(
        instanceEvent(
          'Unhealthy',
          'Readiness probe failed: HTTP probe failed with statuscode: 503',
          'Warning',
          fr.since,
          now,
          fr.count,
        ),
      );
    }
    return { restartCount, currentState: current, ...(previous ? { previousState: previous } : {}), events };
  }

  /** The group as ARM answers it: secrets stripped, read-only fields computed. */
  private view(g: GroupRecord, withInstanceView: boolean): Json {
    const ps = this.provisioningState(g);
    const props = clone(g.properties);
    for (const c of props.containers as Json[]) {
      for (const e of c.properties.environmentVariables ?? []) delete e.secureValue;
      if (withInstanceView) c.properties.instanceView = this.containerView(g, c);
    }
    for (const r of props.imageRegistryCredentials ?? []) delete r.password;
    if (props.ipAddress) {
      // the IP address is allocated as the group is provisioned: none while it is Pending/Creating
      // (https://learn.microsoft.com/azure/container-instances/container-instances-get-started: the IP shows once the group succeeded)
      if (ps === 'Succeeded' || ps === 'Failed') props.ipAddress.ip = g.ip;
      else delete props.ipAddress.ip;
      if (props.ipAddress.dnsNameLabel) props.ipAddress.fqdn = this.fqdnOf(g);
    }
    props.provisioningState = ps;
    props.restartPolicy ??= 'Always';
    props.sku ??= 'Standard';
    if (withInstanceView) {
      const events: Json[] = [];
      if (this.zoneIsDown(g)) {
        const z = (g.zones ?? []).find((x) => this.faults.downZones.has(`${g.location}-${x}`));
        events.push(
          instanceEvent(
            'ZoneUnavailable',
            `Availability zone ${z} of ${g.location} is unavailable; the container group is being repaired`,
            'Warning',
            this.clock.now(),
            this.clock.now(),
          ),
        );
      }
      if (g.op?.failure) {
        events.push(instanceEvent(g.op.failure.code, g.op.failure.message, 'Warning', g.op.doneAt, g.op.doneAt));
      }
      const running = ps === 'Succeeded' || ps === 'Updating';
      props.instanceView = {
        events,
        state: running && g.startedAt !== undefined ? 'Running' : ps === 'Failed' ? 'Failed' : 'Pending',
      };
    }
    return {
      id: this.groupId(g.rg, g.name),
      name: g.name,
      type: 'Microsoft.ContainerInstance/containerGroups',
      // stored as sent ("west us"), answered as ARM's examples show it ("WestUs")
      location: displayLocation(g.location),
      tags: clone(g.tags),
      ...(g.zones ? { zones: clone(g.zones) } : {}),
      properties: props,
    };
  }

  private rawView(body: Json, withInstanceView: boolean): Json {
    const b = clone(body);
    if (!withInstanceView) {
      delete b.properties.instanceView;
      for (const c of b.properties.containers ?? []) delete c.properties.instanceView;
    }
    return b;
  }

  private get(rg: string, name: string): EmulatedResponse {
    const k = `${rg}/${name}`.toLowerCase();
    const raw = this.raw.get(k);
    if (raw) return { status: 200, body: this.rawView(raw, true) };
    const g = this.groups.get(k);
    if (!g) return this.notFound(rg, name);
    return { status: 200, body: this.view(g, true) };
  }

  private notFound(rg: string, name: string): EmulatedResponse {
    return this.error(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerInstance/containerGroups/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }

  private list(rg: string | undefined, query: URLSearchParams, origin: string, path: string): EmulatedResponse {
    const now = this.clock.now();
    const inRg = (k: string) => !rg || k.startsWith(`${rg.toLowerCase()}/`);
    // the groups as the list cache has them: current, or as they were before writes still propagating
    const keys = new Set([...this.groups.keys(), ...this.listReads.keys(now)]);
    const cached = [...keys].filter(inRg).flatMap((k) => {
      const v = this.listReads.read(k, now, () => {
        const g = this.groups.get(k);
        return g ? this.view(g, false) : undefined;
      });
      return v ? [v] : [];
    });
    const all = [
      ...[...this.raw.entries()].filter(([k]) => inRg(k)).map(([, b]) => this.rawView(b, false)),
      ...cached,
    ].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const skip = Number(query.get('$skipToken') ?? 0);
    const page = all.slice(skip, skip + this.options.pageSize);
    const next =
      skip + this.options.pageSize < all.length
        ? `${origin}${path}?api-version=${API_VERSION}&$skipToken=${skip + this.options.pageSize}`
        : undefined;
    return { status: 200, body: { value: page, ...(next ? { nextLink: next } : {}) } };
  }

  private put(rg: string, name: string, body: Json, origin: string): EmulatedResponse {
    const problems = this.requestChecker.check('ContainerGroup', body);
    if (problems.length) {
      this.violations.add(`PUT ${name}`, problems);
      if (this.options.strict)
        return this.error(
          400,
          'InvalidRequestContent',
          `The request content was invalid and could not be deserialized: ${problems.join('; ')}`,
        );
    }
    if (!GROUP_NAME.test(name)) {
      return this.error(
        400,
        'InvalidContainerGroupName',
        `The container group name '${name}' is invalid. A container group name must contain no more than 63 characters and must match the regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?' (e.g. 'my-name').`,
      );
    }
    const bad = Object.keys(body.tags ?? {}).find((t) => /[<>%&\\?/]/.test(t) || t.length > 512);
    if (bad !== undefined)
      return this.error(
        400,
        'InvalidTagNameCharacters',
        `The tag names '${bad}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`,
      );
    if (Object.values(body.tags ?? {}).some((v) => String(v).length > 256))
      return this.error(400, 'InvalidTagValueLength', 'A tag value exceeds 256 characters.');
    if (Object.keys(body.tags ?? {}).length > 50)
      return this.error(400, 'InvalidTagCount', 'At most 50 tags per resource.');
    const location = String(body.location ?? '')
      .toLowerCase()
      .replace(/\s+/g, '');
    const zonesOf = this.options.locations[location];
    if (!zonesOf)
      return this.error(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${body.location}' is not available for resource type 'Microsoft.ContainerInstance/containerGroups'.`,
      );
    const zones: string[] | undefined = body.zones;
    if (zones?.length && (zones.length > 1 || !zonesOf.includes(zones[0]!))) {
      return this.error(
        400,
        'AvailabilityZoneNotSupported',
        `The zones '${zones.join(',')}' are not supported in location '${location}'. A container group takes at most one zone.`,
      );
    }
    const props = body.properties as Json;
    const cpu = (props.containers as Json[]).reduce((n, c) => n + (c.properties?.resources?.requests?.cpu ?? 0), 0);
    const mem = (props.containers as Json[]).reduce(
      (n, c) => n + (c.properties?.resources?.requests?.memoryInGB ?? 0),
      0,
    );
    if (cpu > this.options.maxCpu || mem > this.options.maxMemoryGB) {
      return this.error(
        400,
        'InvalidContainerGroupResourceRequest',
        `The container group requests ${cpu} CPU and ${mem} GB memory; the maximum in location '${location}' is ${this.options.maxCpu} CPU and ${this.options.maxMemoryGB} GB.`,
      );
    }
    const exposed = new Set(
      (props.containers as Json[]).flatMap((c) => (c.properties.ports ?? []).map((p: Json) => p.port)),
    );
    const missing = (props.ipAddress?.ports ?? []).find((p: Json) => !exposed.has(p.port));
    if (missing)
      return this.error(
        400,
        'InvalidIpAddressPorts',
        `The IP address port '${missing.port}' is not exposed by any container of the container group '${name}'.`,
      );

    // read-only fields a client may echo back are ignored, as ARM does
    delete props.instanceView;
    delete props.provisioningState;
    for (const c of props.containers as Json[]) delete c.properties?.instanceView;
    const k = `${rg}/${name}`.toLowerCase();
    const existing = this.groups.get(k);
    if (existing?.deleting)
      return this.error(
        409,
        'Conflict',
        `The container group '${name}' is being deleted; retry once the deletion has finished.`,
      );
    if (existing) {
      const why = this.notUpdatable(existing, body);
      if (why) {
        return this.error(
          409,
          'InvalidContainerGroupUpdate',
          `The updates on container group '${name}' are invalid. If you are going to update the os type, restart policy, network profile, CPU, memory or GPU resources for a container group, you must delete it first and then create a new one. (${why})`,
        );
      }
      this.listWrite(k, existing);
      existing.properties = clone(props);
      existing.tags = { ...clone(body.tags ?? {}), ...this.policyTags };
      existing.crashes = [];
      existing.failingReadiness.clear();
      existing.op = this.newOp('update', location, k, this.options.provisionMs);
      return {
        status: 200,
        body: this.view(existing, false),
        headers: this.lroHeaders({
          'azure-asyncoperation': this.opUrl(origin, location, 'operations', existing.op.id),
        }),
      };
    }
    const quota = this.quotaProblem(location, cpu);
    if (quota) return this.error(409, 'ContainerGroupQuotaReached', quota);
    const down = (zones ?? []).find((z) => this.faults.downZones.has(`${location}-${z}`));
    const failure = down
      ? {
          code: 'ServiceUnavailable',
          message: `The requested resource is not available in the location '${location}' zone '${down}' at this moment. Please retry with a different resource request or in another location.`,
        }
      : undefined;
    this.ipSeq += 1;
    const g: GroupRecord = {
      key: k,
      rg,
      name,
      location,
      zones: zones?.length ? [...zones] : undefined,
      tags: { ...clone(body.tags ?? {}), ...this.policyTags },
      properties: clone(props),
      createdAt: this.clock.now(),
      ip:
        props.ipAddress?.type === 'Private'
          ? `10.0.${(this.ipSeq >> 8) & 255}.${this.ipSeq & 255}`
          : `20.0.${(this.ipSeq >> 8) & 255}.${this.ipSeq & 255}`,
      op: undefined,
      startedAt: undefined,
      crashes: [],
      failingReadiness: new Map(),
      deleting: undefined,
      running: new Map(),
    };
    g.op = this.newOp('create', location, k, this.options.provisionMs, failure);
    this.listWrite(k, undefined);
    this.groups.set(k, g);
    return {
      status: 201,
      body: this.view(g, false),
      headers: this.lroHeaders({ 'azure-asyncoperation': this.opUrl(origin, location, 'operations', g.op.id) }),
    };
  }

  /** Properties ACI cannot change in place (container-instances-update: "Properties that require container delete"). */
  private notUpdatable(g: GroupRecord, body: Json): string | undefined {
    const a = g.properties;
    const b = body.properties as Json;
    if ((a.osType ?? '') !== (b.osType ?? '')) return 'osType';
    if ((a.restartPolicy ?? 'Always') !== (b.restartPolicy ?? 'Always')) return 'restartPolicy';
    if ((a.ipAddress?.type ?? '') !== (b.ipAddress?.type ?? '')) return 'ipAddress.type';
    const subnets = (p: Json) =>
      JSON.stringify((p.subnetIds ?? []).map((s: Json) => String(s.id).toLowerCase()).sort());
    if (subnets(a) !== subnets(b)) return 'subnetIds';
    if (JSON.stringify(g.zones ?? []) !== JSON.stringify(body.zones ?? [])) return 'zones';
    for (const c of b.containers as Json[]) {
      const old = (a.containers as Json[]).find((x) => x.name === c.name);
      if (old && JSON.stringify(old.properties.resources) !== JSON.stringify(c.properties.resources))
        return `resources of container ${c.name}`;
    }
    return undefined;
  }

  private quotaProblem(location: string, cpu: number): string | undefined {
    const live = [...this.groups.values()].filter((g) => g.location === location && !g.deleting);
    if (this.quota.containerGroups !== undefined && live.length + 1 > this.quota.containerGroups) {
      return `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'ContainerGroups' exceeded in region '${location}'. Limit: '${this.quota.containerGroups}', Usage: '${live.length}' Requested: '1'.`;
    }
    const used = live.reduce(
      (n, g) =>
        n + (g.properties.containers as Json[]).reduce((m, c) => m + (c.properties.resources?.requests?.cpu ?? 0), 0),
      0,
    );
    if (this.quota.standardCores !== undefined && used + cpu > this.quota.standardCores) {
      return `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region '${location}'. Limit: '${this.quota.standardCores}', Usage: '${used}' Requested: '${cpu}'.`;
    }
    return undefined;
  }

  private patch(rg: string, name: string, body: Json): EmulatedResponse {
    const g = this.groups.get(`${rg}/${name}`.toLowerCase());
    if (!g) return this.notFound(rg, name);
    this.listWrite(`${rg}/${name}`.toLowerCase(), g);
    if (body?.tags) g.tags = { ...clone(body.tags), ...this.policyTags };
    return { status: 200, body: this.view(g, true) };
  }

  private delete(rg: string, name: string, origin: string): EmulatedResponse {
    const k = `${rg}/${name}`.toLowerCase();
    if (this.raw.delete(k)) return { status: 200, body: undefined };
    const g = this.groups.get(k);
    if (!g) return { status: 204 };
    if (!g.deleting) this.listWrite(k, g);
    g.deleting ??= this.newOp('delete', g.location, k, this.options.deleteMs);
    return {
      status: 202,
      headers: this.lroHeaders({ location: this.opUrl(origin, g.location, 'operationResults', g.deleting.id) }),
    };
  }

  private advancePoll(): void {
    const c = this.clock as Partial<ManualClock>;
    if (this.options.pollAdvanceMs > 0 && typeof c.advance === 'function') c.advance(this.options.pollAdvanceMs);
    this.sweep();
  }

  private pollOperation(id: string): EmulatedResponse {
    this.advancePoll();
    const op = this.operations.get(id);
    if (!op) return this.error(404, 'OperationNotFound', `The operation '${id}' was not found.`);
    const now = this.clock.now();
    const done = now >= op.doneAt;
    const status = !done ? 'InProgress' : op.failure ? 'Failed' : 'Succeeded';
    return {
      status: 200,
      body: {
        id: `/subscriptions/${this.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${op.location}/operations/${op.id}`,
        name: op.id,
        status,
        startTime: iso(op.start),
        ...(done ? { endTime: iso(op.doneAt) } : {}),
        ...(done && op.failure ? { error: { code: op.failure.code, message: op.failure.message } } : {}),
      },
    };
  }

  private pollResult(id: string): EmulatedResponse {
    this.advancePoll();
    const op = this.operations.get(id);
    if (!op) return this.error(404, 'OperationNotFound', `The operation '${id}' was not found.`);
    return this.clock.now() >= op.doneAt ? { status: 204 } : { status: 202, headers: this.lroHeaders({}) };
  }

  private checkResponse(operation: string, res: EmulatedResponse): void {
    if (res.body === undefined || res.body === '') return;
    const shape =
      res.status >= 400
        ? 'CloudError'
        : operation.startsWith('containerGroups.list')
          ? 'ContainerGroupListResult'
          : operation === 'operations.get'
            ? 'OperationStatusResult'
            : 'ContainerGroup';
    const problems = this.responseChecker.check(shape, res.body);
    if (problems.length) this.violations.add(`${operation} ${res.status} response`, problems);
  }
}

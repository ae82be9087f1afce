/**
 * A stateful emulation of the Cloud Run Admin API v2 (Services + Operations) over REST, for the real
 * @google-cloud/run client with `fallback: true`, served (nock in tests, `skyfleet emulate` on 127.0.0.1) at https://run.googleapis.com.
 *
 * Model (service.proto Service, revision_template.proto, traffic_target.proto, condition.proto):
 * - services carry `generation` (bumped by every change), `observedGeneration`, `etag`, labels,
 *   annotations, template, traffic, scaling; output `uri`, `terminalCondition` (Ready),
 *   `conditions` (ConfigurationsReady, RoutesReady), `trafficStatuses`, `latestReadyRevision`,
 *   `latestCreatedRevision`, `reconciling`;
 * - a template change creates a revision (named by `template.revision`, or generated); a revision name
 *   that exists with a different template is 409 ALREADY_EXISTS, with the same template it is reused;
 * - create/update/delete answer a long-running Operation (`projects/P/locations/L/operations/ID`)
 *   that completes on the injected clock: `revisionReadyMs` for a new revision, `routeMs` otherwise;
 *   a later update supersedes a rollout in progress;
 * - routing (trafficStatuses) changes only when a rollout succeeds; a revision that never becomes ready
 *   (`neverReady`) fails its rollout after `failAfterMs`: Ready FAILED, the operation ends with
 *   FAILED_PRECONDITION, traffic stays where it was;
 * - pagination of ListServices (newest first), update masks, `allowMissing`, etags (409 ABORTED);
 * - with `consistencyLagMs`, ListServices lags writes: for that long after a create, update or
 *   delete it shows the service as it was before (absent after a create, still there after a
 *   delete); GetService is always current. Cloud Run documents no read-after-write guarantee for
 *   its list; this is the same eventual consistency ECS documents and ARM lists show (issue 19).
 * Every request body and response body is checked against the protos (ProtoModel) into `violations`.
 * Faults come from the shared FaultKnobs (429/5xx share and forced, latency, region outage).
 */
import { SecretManagerEmulator } from './secret-manager.js';
import { normaliseSpec } from './normalise.js';
import { CloudRunDataPlane, type DataPlaneAddress } from './data-plane.js';
import { createHash } from 'node:crypto';
import {
  type Clock,
  type EmulatedResponse,
  FaultKnobs,
  type InjectedFault,
  LaggedReads,
  ModelViolations,
  RequestLog,
  seededRandom,
} from '../framework/index.js';
import type { ReplicaRuntime } from '../replica-runtime/replica-runtime.js';
import { ProtoModel } from './proto-model.js';

export const RUN_ORIGIN = 'https://run.googleapis.com';
const SERVICE_T = 'google.cloud.run.v2.Service';
const OPERATION_T = 'google.longrunning.Operation';
const ANY_SERVICE = 'type.googleapis.com/google.cloud.run.v2.Service';

type Json = Record<string, unknown>;

/** google/rpc/code.proto names with their HTTP status. */
const HTTP_OF: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
const GRPC_NUM: Record<string, number> = {
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  INVALID_ARGUMENT: 3,
};

/** The fields a client may set; everything else in a Service is output only (service.proto). */
const SPEC_FIELDS = [
  'description',
  'labels',
  'annotations',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'template',
  'traffic',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'iapEnabled',
  'customAudiences',
] as const;

export interface RevisionState {
  name: string;
  template: Json;
  createdAt: number;
  /** This revision can never become ready (its container "fails to start"). */
  failing: boolean;
  ready: boolean;
}

interface Rollout {
  generation: number;
  since: number;
  /** A new revision this rollout waits for, if any. */
  revision?: string;
  fails: boolean;
}

export interface ServiceState {
  id: string;
  name: string;
  uid: string;
  createdAt: number;
  updatedAt: number;
  generation: number;
  observedGeneration: number;
  etagSeq: number;
  /** The spec as Cloud Run stores and returns it: with its defaults (normalise.ts). */
  spec: Json;
  /** The spec as the clients sent it (validated as such; an update mask merges into it). */
  sent: Json;
  revisions: Map<string, RevisionState>;
  latestCreated: string;
  latestReady: string;
  routing: Array<{ type: string; revision: string; percent: number; tag?: string }>;
  rollout: Rollout | undefined;
  lastFailure: { message: string; at: number } | undefined;
  uri: string;
  revisionSeq: number;
}

interface OperationState {
  name: string;
  kind: 'create' | 'update' | 'delete';
  service: string;
  generation: number;
  /** For deletes: when it finishes, and the deleted service. */
  doneAt?: number;
  snapshot?: Json;
  finished?: boolean;
  rendered?: Json;
}

export interface CloudRunEmulatorOptions {
  clock: Clock;
  /** Time a new revision takes to become ready (and its rollout to finish). */
  revisionReadyMs?: number;
  /** Time a change without a new revision (traffic, scaling, labels) takes. */
  routeMs?: number;
  /** Time after which a never-ready revision's rollout is declared failed. */
  failAfterMs?: number;
  deleteMs?: number;
  /**
   * Runs an instance of each serving revision for real (`skyfleet emulate`): a rollout finishes
   * only once the new revision's container answers HTTP, fails when it exits, and the data plane
   * forwards requests to it. Revisions left without traffic are stopped (scaled to zero).
   */
  runtime?: ReplicaRuntime;
  /** How long (clock) ListServices shows a service as it was before a write; 0 (default): current. */
  consistencyLagMs?: number;
}

function canonical(v: unknown): string {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const out: Json = {};
      for (const k of Object.keys(x).sort()) {
        const y = (x as Json)[k];
        if (y !== undefined && y !== null) out[k] = walk(y);
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(walk(v));
}

function withoutRevision(t: Json): Json {
  const { revision: _, ...rest } = t;
  return rest;
}

const short = (s: string) => (s.includes('/') ? s.slice(s.lastIndexOf('/') + 1) : s);

export class CloudRunEmulator {
  readonly faults = new FaultKnobs();
  readonly log = new RequestLog();
  readonly violations = new ModelViolations();
  readonly model = new ProtoModel();
  readonly services = new Map<string, ServiceState>();
  readonly operations = new Map<string, OperationState>();
  /** Secret Manager, for the versions of the secrets revisions read (served at SECRET_MANAGER_ORIGIN). */
  readonly secretManager: SecretManagerEmulator;
  /** Images whose revisions never become ready. */
  readonly neverReadyImages = new Set<string>();
  /** Every service ever created, by full name (for "no duplicate service" checks). */
  readonly created: string[] = [];
  private opSeq = 0;
  private readonly clock: Clock;
  private readonly revisionReadyMs: number;
  private readonly routeMs: number;
  private readonly failAfterMs: number;
  private readonly deleteMs: number;
  private mixed: { share: number; faults: Array<Omit<InjectedFault, 'source'>>; rng: () => number } | undefined;
  private lost: { share: number; rng: () => number } | undefined;
  /** What ListServices shows of each service (by full name) while writes propagate. */
  private readonly listReads: LaggedReads<Json>;

  constructor(options: CloudRunEmulatorOptions) {
    this.clock = options.clock;
    this.revisionReadyMs = options.revisionReadyMs ?? 3000;
    this.routeMs = options.routeMs ?? 500;
    this.failAfterMs = options.failAfterMs ?? 10_000;
    this.deleteMs = options.deleteMs ?? 500;
    this.runtime = options.runtime;
    this.listReads = new LaggedReads(options.consistencyLagMs ?? 0);
    this.secretManager = new SecretManagerEmulator(options.clock);
  }

  private readonly runtime: ReplicaRuntime | undefined;
  /** Runtime keys of the revisions that have an instance. */
  private readonly running = new Set<string>();

  /** The runtime's key of a revision: unique over projects, regions and services. */
  static instanceKey(s: ServiceState, revision: string): string {
    return `${s.name}/revisions/${revision}`;
  }

  /** Where a revision's instance listens on 127.0.0.1 (runtime only): for the data plane. */
  instancePort(s: ServiceState, revision: string): number | undefined {
    const st = this.runtime?.status(CloudRunEmulator.instanceKey(s, revision));
    if (st?.phase !== 'running') return undefined;
    return st.ports.values().next().value;
  }

  private startInstance(s: ServiceState, r: RevisionState): void {
    const key = CloudRunEmulator.instanceKey(s, r.name);
    if (!this.runtime || this.running.has(key)) return;
    const c = ((r.template.containers ?? []) as Json[])[0];
    if (!c) return;
    const port = Number(((c.ports ?? []) as Json[])[0]?.containerPort ?? 8080);
    this.running.add(key);
    this.runtime.start({
      key,
      cloud: 'gcp-cloud-run',
      image: String(c.image),
      // Cloud Run sets PORT (https://cloud.google.com/run/docs/container-contract#port)
      env: {
        ...Object.fromEntries(((c.env ?? []) as Json[]).map((e) => [String(e.name), String(e.value ?? '')])),
        PORT: String(port),
        K_SERVICE: s.id,
        K_REVISION: r.name,
      },
      ports: [port],
      ...(Array.isArray(c.command) ? { command: [...(c.command as string[]), ...((c.args as string[]) ?? [])] } : {}),
      readyWhenHttp: true,
    });
  }

  /** Instances for the revisions that serve or are being rolled out; none for the others. */
  private syncInstances(): void {
    if (!this.runtime) return;
    const wanted = new Set<string>();
    for (const s of this.services.values()) {
      const names = new Set(s.routing.filter((x) => x.percent > 0 || x.tag).map((x) => x.revision));
      if (s.rollout?.revision) names.add(s.rollout.revision);
      for (const r of this.desiredRouting(s)) if (r.percent > 0) names.add(r.revision);
      for (const n of names) {
        const r = s.revisions.get(n);
        if (!r || r.failing) continue;
        wanted.add(CloudRunEmulator.instanceKey(s, n));
        this.startInstance(s, r);
      }
    }
    for (const key of [...this.running])
      if (!wanted.has(key)) {
        this.running.delete(key);
        this.runtime.stop(key);
      }
  }

  /** How long ListServices lags writes (ms; 0: current). */
  get consistencyLagMs(): number {
    return this.listReads.lagMs;
  }

  /**
   * A seeded share of calls answered with one of several faults (e.g. 429 and 503 mixed). The shared
   * FaultKnobs.throttle takes a single fault; this knob mixes them. `share: 0` turns it off.
   */
  throttleMixed(share: number, faults: Array<Omit<InjectedFault, 'source'>>, seed = 7): void {
    this.mixed = share > 0 ? { share, faults, rng: seededRandom(seed) } : undefined;
  }

  /**
   * A seeded share of successful WRITES whose answer is lost: the change is made, the caller gets a
   * 503 (a response lost on the way back). Exercises "create retried after it went through".
   */
  loseWriteResponses(share: number, seed = 11): void {
    this.lost = share > 0 ? { share, rng: seededRandom(seed) } : undefined;
  }

  /** The services as they are at the clock's now (rollouts moved forward): for the data plane. */
  servicesNow(): Iterable<ServiceState> {
    this.settle(this.clock.now());
    return this.services.values();
  }

  /**
   * Starts the data plane (HTTPS on 127.0.0.1, see data-plane.ts) and returns it with its address:
   * a target's `dataPlaneAddress` points replica traffic there. Stop it with `dataPlane.stop()`.
   */
  async serveDataPlane(
    tls: { key: string; cert: string },
    listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 },
  ): Promise<{ dataPlane: CloudRunDataPlane; address: DataPlaneAddress }> {
    const dataPlane = this.dataPlane(tls);
    const address = await dataPlane.start(listen);
    return { dataPlane, address };
  }

  /** The data plane, not listening: its `handle` answers requests for `*.run.app` hosts. */
  dataPlane(tls: { key: string; cert: string }): CloudRunDataPlane {
    return new CloudRunDataPlane(this, tls, this.runtime ? (s, revision) => this.instancePort(s, revision) : undefined);
  }

  /**
   * Another client labels a service (the console, or a policy tool such as Cloud Custodian's
   * set-labels action): a write of its own, read back by every client after it.
   */
  labelService(name: string, labels: Record<string, string>): void {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name}`);
    for (const spec of [s.spec, s.sent]) spec.labels = { ...((spec.labels ?? {}) as Json), ...labels };
    s.etagSeq += 1;
    s.updatedAt = this.clock.now();
  }

  /** Makes revisions of `image` never ready (their container "fails to start"). */
  neverReady(image: string): void {
    this.neverReadyImages.add(image);
  }

  // ---- HTTP ----

  async handle(
    method: string,
    path: string,
    query: URLSearchParams,
    _headers: Record<string, string>,
    body: unknown,
  ): Promise<EmulatedResponse> {
    const route = this.route(method, path);
    const operation = route?.op ?? `${method} ${path}`;
    const write = route ? ['services.create', 'services.patch', 'services.delete'].includes(route.op) : false;
    const now = this.clock.now();
    const enumMode = /enum-encoding=int/.test(query.get('$alt') ?? '') ? 'int' : 'name';
    const answer = (res: EmulatedResponse, fault?: 'throttle' | 'forced'): EmulatedResponse => {
      this.log.add({
        time: now,
        operation,
        method,
        path: `${path}${query.toString() ? `?${query.toString()}` : ''}`,
        body,
        status: res.status,
        response: res.body ?? null,
        write,
        ...(fault ? { fault } : {}),
      });
      return res;
    };
    await this.faults.delay();
    const fault = this.faults.next(operation) ?? this.nextMixed();
    if (fault) {
      return answer(
        this.error(
          fault.status,
          fault.code,
          fault.message,
          fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined,
        ),
        fault.source,
      );
    }
    if (!route) return answer(this.error(404, 'NOT_FOUND', `no route for ${method} ${path}`));
    if (this.faults.downRegions.has(route.location)) {
      return answer(this.error(503, 'UNAVAILABLE', `The service is currently unavailable in ${route.location}.`));
    }
    this.settle(now);
    let res: EmulatedResponse;
    try {
      res = this.dispatch(route, query, body, now);
    } catch (e) {
      if (e instanceof ApiError) res = this.error(HTTP_OF[e.code] ?? 400, e.code, e.message);
      else throw e;
    }
    if (write && res.status < 300 && this.lost && this.lost.rng() < this.lost.share) {
      this.settle(now);
      return answer(
        this.error(503, 'UNAVAILABLE', 'The service is currently unavailable (response lost).'),
        'throttle',
      );
    }
    if (res.status < 300 && res.body !== undefined) {
      const shape =
        route.op === 'services.get'
          ? SERVICE_T
          : route.op === 'services.list'
            ? 'google.cloud.run.v2.ListServicesResponse'
            : OPERATION_T;
      this.violations.add(`response of ${operation}`, this.model.check(shape, res.body));
      // operations polls carry no $alt (RECIPES §5); Services calls ask for numeric enums
      if (enumMode === 'int') res = { ...res, body: this.model.convertEnums(shape, res.body, 'int') };
    }
    return answer(res);
  }

  private nextMixed(): InjectedFault | undefined {
    const m = this.mixed;
    if (!m || m.rng() >= m.share) return undefined;
    const f = m.faults[Math.floor(m.rng() * m.faults.length)] ?? m.faults[0]!;
    this.faults.injected.throttle += 1;
    return { ...f, source: 'throttle' };
  }

  private route(
    method: string,
    path: string,
  ): { op: string; project: string; location: string; id?: string } | undefined {
    let m = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/services$/.exec(path);
    if (m) {
      if (method === 'POST') return { op: 'services.create', project: m[1]!, location: m[2]! };
      if (method === 'GET') return { op: 'services.list', project: m[1]!, location: m[2]! };
    }
    m = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/:]+)$/.exec(path);
    if (m) {
      const op = { GET: 'services.get', PATCH: 'services.patch', DELETE: 'services.delete' }[method];
      if (op) return { op, project: m[1]!, location: m[2]!, id: m[3]! };
    }
    m = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/operations\/([^/:]+)$/.exec(path);
    if (m && method === 'GET') return { op: 'operations.get', project: m[1]!, location: m[2]!, id: m[3]! };
    return undefined;
  }

  private dispatch(
    route: { op: string; project: string; location: string; id?: string },
    query: URLSearchParams,
    body: unknown,
    now: number,
  ): EmulatedResponse {
    const parent = `projects/${route.project}/locations/${route.location}`;
    switch (route.op) {
      case 'services.create':
        return this.create(parent, query.get('serviceId') ?? '', body, now);
      case 'services.get': {
        const s = this.services.get(`${parent}/services/${route.id}`);
        if (!s)
          throw new ApiError(
            'NOT_FOUND',
            `Resource '${route.id}' of kind 'SERVICE' in region '${route.location}' in project '${route.project}' does not exist.`,
          );
        return { status: 200, body: this.render(s) };
      }
      case 'services.list':
        return this.list(parent, query);
      case 'services.patch':
        return this.update(`${parent}/services/${route.id}`, query, body, now);
      case 'services.delete':
        return this.delete(`${parent}/services/${route.id}`, query, now);
      case 'operations.get': {
        const op = this.operations.get(`${parent}/operations/${route.id}`);
        if (!op) throw new ApiError('NOT_FOUND', `Operation ${route.id} not found.`);
        return { status: 200, body: this.renderOp(op, now) };
      }
      default:
        throw new ApiError('NOT_FOUND', 'no such method');
    }
  }

  // ---- methods ----

  private checkRequest(what: string, body: unknown): Json {
    const problems = this.model.check(SERVICE_T, body, { request: true });
    this.violations.add(`request of ${what}`, problems);
    if (problems.length) throw new ApiError('INVALID_ARGUMENT', `Invalid Service: ${problems.join('; ')}`);
    return this.model.convertEnums(SERVICE_T, body, 'name') as Json;
  }

  private create(parent: string, serviceId: string, body: unknown, now: number): EmulatedResponse {
    const svc = this.checkRequest('services.create', body);
    if (!/^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/.test(serviceId)) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `service_id "${serviceId}" must begin with a letter, hold only lowercase letters, digits and hyphens, not end with a hyphen and be fewer than 50 characters`,
      );
    }
    const name = `${parent}/services/${serviceId}`;
    if (this.services.has(name)) throw new ApiError('ALREADY_EXISTS', `Resource '${serviceId}' already exists.`);
    const spec = this.pickSpec(svc);
    const hash = createHash('sha256').update(parent).digest('hex').slice(0, 10);
    const s: ServiceState = {
      id: serviceId,
      name,
      uid: createHash('sha256').update(`${name}@${now}`).digest('hex').slice(0, 32),
      createdAt: now,
      updatedAt: now,
      generation: 1,
      observedGeneration: 0,
      etagSeq: 1,
      spec: {},
      sent: {},
      revisions: new Map(),
      latestCreated: '',
      latestReady: '',
      routing: [],
      rollout: undefined,
      lastFailure: undefined,
      uri: `https://${serviceId}-${hash}.a.run.app`,
      revisionSeq: 0,
    };
    this.validateSpec(s, spec);
    s.sent = spec;
    s.spec = normaliseSpec(spec);
    const revision = this.materialise(s, s.spec, now);
    s.rollout = {
      generation: 1,
      since: now,
      ...(revision ? { revision: revision.name } : {}),
      fails: this.rolloutFails(s, revision),
    };
    this.listReads.write(name, now, undefined);
    this.services.set(name, s);
    this.created.push(name);
    return { status: 200, body: this.newOp('create', s, now) };
  }

  private update(name: string, query: URLSearchParams, body: unknown, now: number): EmulatedResponse {
    const svc = this.checkRequest('services.patch', body);
    const s = this.services.get(name);
    if (!s) {
      if (query.get('allowMissing') === 'true') {
        const [parent, id] = [name.slice(0, name.lastIndexOf('/services/')), short(name)];
        return this.create(parent, id, body, now);
      }
      throw new ApiError('NOT_FOUND', `Resource '${short(name)}' of kind 'SERVICE' does not exist.`);
    }
    if (typeof svc.etag === 'string' && svc.etag !== '' && svc.etag !== this.etag(s)) {
      throw new ApiError(
        'ABORTED',
        `The etag "${svc.etag}" does not match the current etag "${this.etag(s)}": the service was changed concurrently.`,
      );
    }
    const mask = (query.get('updateMask') ?? '')
      .split(',')
      .map((p) => p.trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
      .filter(Boolean);
    const given = this.pickSpec(svc);
    const sent: Json = mask.length ? { ...s.sent } : given;
    for (const p of mask) {
      if (!(SPEC_FIELDS as readonly string[]).includes(p))
        throw new ApiError('INVALID_ARGUMENT', `update_mask path "${p}" is not a settable field of Service`);
      if (given[p] === undefined) delete sent[p];
      else sent[p] = given[p];
    }
    this.validateSpec(s, sent);
    // compared and stored as Cloud Run stores it: with its defaults (normalise.ts)
    const next = normaliseSpec(sent);
    if (canonical(next) === canonical(s.spec)) {
      // nothing changed: an operation that is already done
      return { status: 200, body: this.newOp('update', s, now) };
    }
    this.listReads.write(name, now, this.render(s));
    const templateChanged = canonical(next.template) !== canonical(s.spec.template);
    s.spec = next;
    s.sent = sent;
    s.generation += 1;
    s.etagSeq += 1;
    s.updatedAt = now;
    const revision = templateChanged ? this.materialise(s, next, now) : undefined;
    s.rollout = {
      generation: s.generation,
      since: now,
      ...(revision ? { revision: revision.name } : {}),
      fails: this.rolloutFails(s, revision),
    };
    return { status: 200, body: this.newOp('update', s, now) };
  }

  private delete(name: string, query: URLSearchParams, now: number): EmulatedResponse {
    const s = this.services.get(name);
    if (!s) throw new ApiError('NOT_FOUND', `Resource '${short(name)}' of kind 'SERVICE' does not exist.`);
    const etag = query.get('etag');
    if (etag && etag !== this.etag(s))
      throw new ApiError('ABORTED', `The etag "${etag}" does not match the current etag.`);
    const snapshot = {
      ...this.render(s),
      deleteTime: new Date(now).toISOString(),
      expireTime: new Date(now + 30 * 86_400_000).toISOString(),
    };
    this.listReads.write(name, now, this.render(s));
    this.services.delete(name);
    const op: OperationState = {
      name: this.opName(s),
      kind: 'delete',
      service: name,
      generation: s.generation,
      doneAt: now + this.deleteMs,
      snapshot,
    };
    this.operations.set(op.name, op);
    return { status: 200, body: this.renderOp(op, now) };
  }

  private list(parent: string, query: URLSearchParams): EmulatedResponse {
    const size = Math.min(Math.max(Number(query.get('pageSize') ?? '0') || 100, 1), 1000);
    const offset = query.get('pageToken')
      ? Number(Buffer.from(query.get('pageToken')!, 'base64url').toString('utf8'))
      : 0;
    // the services as the list has them: current, or as they were before writes still propagating
    const now = this.clock.now();
    const names = new Set([...this.services.keys(), ...this.listReads.keys(now)]);
    const all = [...names]
      .filter((n) => n.startsWith(`${parent}/services/`))
      .flatMap((n) => {
        const v = this.listReads.read(n, now, () => {
          const s = this.services.get(n);
          return s ? this.render(s) : undefined;
        });
        return v ? [v] : [];
      })
      .sort(
        (a, b) =>
          Date.parse(String(b.createTime)) - Date.parse(String(a.createTime)) ||
          String(a.name).localeCompare(String(b.name)),
      );
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : '';
    return { status: 200, body: { services: page, ...(next ? { nextPageToken: next } : {}) } };
  }

  // ---- state ----

  private pickSpec(svc: Json): Json {
    const out: Json = {};
    for (const f of SPEC_FIELDS) if (svc[f] !== undefined) out[f] = svc[f];
    return out;
  }

  /** What the real service rejects with INVALID_ARGUMENT / ALREADY_EXISTS for a service spec. */
  private validateSpec(s: ServiceState, spec: Json): void {
    const template = spec.template as Json | undefined;
    if (!template) throw new ApiError('INVALID_ARGUMENT', 'template is required');
    const containers = (template.containers ?? []) as Json[];
    if (containers.length === 0)
      throw new ApiError('INVALID_ARGUMENT', 'template.containers: at least one container is required');
    const withPorts = containers.filter((c) => Array.isArray(c.ports) && c.ports.length > 0);
    if (withPorts.some((c) => (c.ports as unknown[]).length > 1))
      throw new ApiError('INVALID_ARGUMENT', 'template.containers.ports: at most one port per container');
    if (withPorts.length > 1 || (containers.length > 1 && withPorts.length !== 1)) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        'template.containers: exactly one container must declare the ingress port',
      );
    }
    for (const c of containers) {
      // "HTTP, TCP, and gRPC startup probes, along with HTTP and gRPC liveness probes"
      // (https://cloud.google.com/run/docs/configuring/healthchecks); timeout_seconds "Must be smaller
      // than period_seconds" (Probe in k8s.min.proto)
      const liveness = c.livenessProbe as Json | undefined;
      if (liveness?.tcpSocket)
        throw new ApiError('INVALID_ARGUMENT', 'template.containers.liveness_probe: tcp_socket is not supported');
      for (const k of ['livenessProbe', 'startupProbe'] as const) {
        const probe = c[k] as Json | undefined;
        if (!probe) continue;
        const period = Number(probe.periodSeconds ?? 10);
        const timeout = Number(probe.timeoutSeconds ?? 1);
        if (timeout >= period)
          throw new ApiError(
            'INVALID_ARGUMENT',
            `template.containers.${k === 'livenessProbe' ? 'liveness_probe' : 'startup_probe'}.timeout_seconds: must be smaller than period_seconds`,
          );
      }
      const limits = ((c.resources as Json | undefined)?.limits ?? {}) as Record<string, string>;
      if (limits.cpu !== undefined && !/^(\d+(\.\d+)?|\d+m)$/.test(limits.cpu))
        throw new ApiError('INVALID_ARGUMENT', `invalid cpu limit "${limits.cpu}"`);
      if (limits.memory !== undefined && !/^\d+(Mi|Gi|M|G)$/.test(limits.memory))
        throw new ApiError('INVALID_ARGUMENT', `invalid memory limit "${limits.memory}"`);
    }
    const rev = typeof template.revision === 'string' ? template.revision : '';
    if (rev && !rev.startsWith(`${s.id}-`))
      throw new ApiError('INVALID_ARGUMENT', `template.revision "${rev}" must start with the service name "${s.id}-"`);
    if (rev) {
      const existing = s.revisions.get(rev);
      // a revision keeps its template as stored (with Cloud Run's defaults): compared as such
      const stored = normaliseSpec({ template }).template as Json;
      if (existing && canonical(withoutRevision(existing.template)) !== canonical(withoutRevision(stored))) {
        throw new ApiError('ALREADY_EXISTS', `Revision named '${rev}' with different configuration already exists.`);
      }
    }
    for (const [k, v] of Object.entries((spec.labels ?? {}) as Record<string, string>)) {
      if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v))
        throw new ApiError(
          'INVALID_ARGUMENT',
          `label ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid GCP label`,
        );
    }
    for (const k of Object.keys((spec.annotations ?? {}) as Json)) {
      if (/^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//.test(k)) {
        throw new ApiError('INVALID_ARGUMENT', `annotation ${k} is in a reserved namespace`);
      }
    }
    const traffic = (spec.traffic ?? []) as Json[];
    if (traffic.length) {
      const sum = traffic.reduce((n, t) => n + Number(t.percent ?? 0), 0);
      if (sum !== 100) throw new ApiError('INVALID_ARGUMENT', `traffic percents must sum to 100, got ${sum}`);
      for (const t of traffic) {
        if (t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION') {
          const r = String(t.revision ?? '');
          if (!s.revisions.has(r) && r !== rev)
            throw new ApiError('INVALID_ARGUMENT', `traffic: revision "${r}" does not exist`);
        }
      }
    }
    const scaling = (spec.scaling ?? {}) as Json;
    if (
      scaling.maxInstanceCount !== undefined &&
      Number(scaling.minInstanceCount ?? 0) > Number(scaling.maxInstanceCount)
    ) {
      throw new ApiError('INVALID_ARGUMENT', 'scaling.min_instance_count must not exceed max_instance_count');
    }
  }

  /** The revision a template change makes (or reuses when the same name and template exist). */
  private materialise(s: ServiceState, spec: Json, now: number): RevisionState | undefined {
    const template = spec.template as Json;
    let name = typeof template.revision === 'string' && template.revision ? template.revision : '';
    if (name && s.revisions.has(name)) {
      s.latestCreated = name;
      return undefined;
    }
    s.revisionSeq += 1;
    if (!name)
      name = `${s.id}-${String(s.revisionSeq).padStart(5, '0')}-${createHash('sha256').update(`${s.uid}${s.revisionSeq}`).digest('hex').slice(0, 3)}`;
    const containers = (template.containers ?? []) as Json[];
    const failing = containers.some((c) => this.neverReadyImages.has(String(c.image)));
    const r: RevisionState = { name, template, createdAt: now, failing, ready: false };
    s.revisions.set(name, r);
    s.latestCreated = name;
    return r;
  }

  /** A rollout fails when its new revision never gets ready, or when it routes traffic to one that never did. */
  private rolloutFails(s: ServiceState, revision: RevisionState | undefined): boolean {
    if (revision?.failing) return true;
    return this.desiredRouting(s).some((r) => r.percent > 0 && s.revisions.get(r.revision)?.failing === true);
  }

  /** Spec traffic resolved to revisions (LATEST = the latest ready, or the one being rolled out). */
  private desiredRouting(s: ServiceState): Array<{ type: string; revision: string; percent: number; tag?: string }> {
    const traffic = (s.spec.traffic ?? []) as Json[];
    const latest = s.latestCreated;
    if (traffic.length === 0)
      return [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', revision: latest, percent: 100 }];
    return traffic.map((t) => ({
      type: String(t.type ?? 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION'),
      revision: t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' ? latest : String(t.revision ?? ''),
      percent: Number(t.percent ?? 0),
      ...(t.tag ? { tag: String(t.tag) } : {}),
    }));
  }

  /** Moves every rollout forward to `now` (state is computed lazily from the clock, never by timers). */
  private settle(now: number): void {
    this.syncInstances();
    for (const s of this.services.values()) {
      const r = s.rollout;
      if (!r) continue;
      const wait = r.fails ? this.failAfterMs : r.revision ? this.revisionReadyMs : this.routeMs;
      if (now - r.since < wait) continue;
      if (this.runtime && r.revision && !r.fails) {
        // with a runtime, the new revision is ready when its instance answers, failed when it exits
        const st = this.runtime.status(CloudRunEmulator.instanceKey(s, r.revision));
        if (st?.phase === 'exited') {
          s.rollout = undefined;
          s.observedGeneration = r.generation;
          const bad = s.revisions.get(r.revision);
          if (bad) bad.failing = true;
          s.lastFailure = {
            message: `Revision '${r.revision}' is not ready and cannot serve traffic. ${st.reason ?? 'The user-provided container exited.'}`,
            at: now,
          };
          continue;
        }
        if (st?.phase !== 'running') continue;
      }
      s.rollout = undefined;
      s.observedGeneration = r.generation;
      if (r.fails) {
        const bad = s.revisions.get(s.latestCreated);
        s.lastFailure = {
          message: `Revision '${bad?.name ?? s.latestCreated}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout.`,
          at: r.since + wait,
        };
        continue;
      }
      if (r.revision) {
        const rev = s.revisions.get(r.revision);
        if (rev) rev.ready = true;
      }
      const created = s.revisions.get(s.latestCreated);
      if (created && !created.failing) {
        created.ready = true;
        s.latestReady = created.name;
      }
      s.routing = this.desiredRouting(s).map((x) => ({ ...x }));
      s.lastFailure = undefined;
    }
    this.syncInstances();
  }

  private etag(s: ServiceState): string {
    return `"${createHash('sha256').update(`${s.uid}:${s.etagSeq}`).digest('base64url').slice(0, 16)}"`;
  }

  private condition(type: string, state: string, at: number, extra: Json = {}): Json {
    return { type, state, lastTransitionTime: new Date(at).toISOString(), ...extra };
  }

  /** The Service as the API returns it (proto3 JSON, enum names). */
  render(s: ServiceState): Json {
    const reconciling = s.rollout !== undefined;
    const at = s.rollout?.since ?? s.lastFailure?.at ?? s.updatedAt;
    const failed = !reconciling && s.lastFailure !== undefined;
    const state = reconciling ? 'CONDITION_RECONCILING' : failed ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED';
    const failure = failed ? { message: s.lastFailure!.message, severity: 'ERROR', reason: 'REVISION_FAILED' } : {};
    return {
      name: s.name,
      uid: s.uid,
      generation: String(s.generation),
      ...s.spec,
      createTime: new Date(s.createdAt).toISOString(),
      updateTime: new Date(s.updatedAt).toISOString(),
      creator: 'skyfleet-test@example.iam.gserviceaccount.com',
      lastModifier: 'skyfleet-test@example.iam.gserviceaccount.com',
      observedGeneration: String(s.observedGeneration),
      terminalCondition: this.condition('Ready', state, at, failure),
      conditions: [
        this.condition('ConfigurationsReady', state, at, failed ? failure : {}),
        this.condition(
          'RoutesReady',
          reconciling ? 'CONDITION_RECONCILING' : failed ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED',
          at,
        ),
      ],
      ...(s.latestReady ? { latestReadyRevision: `${s.name}/revisions/${s.latestReady}` } : {}),
      ...(s.latestCreated ? { latestCreatedRevision: `${s.name}/revisions/${s.latestCreated}` } : {}),
      trafficStatuses: s.routing.map((r) => ({
        ...r,
        ...(r.tag ? { uri: `https://${r.tag}---${s.uri.slice('https://'.length)}` } : {}),
      })),
      uri: s.uri,
      urls: [s.uri],
      reconciling,
      etag: this.etag(s),
    };
  }

  private opName(s: ServiceState): string {
    this.opSeq += 1;
    return `${s.name.slice(0, s.name.indexOf('/services/'))}/operations/op-${String(this.opSeq).padStart(6, '0')}`;
  }

  private newOp(kind: 'create' | 'update', s: ServiceState, now: number): Json {
    const op: OperationState = { name: this.opName(s), kind, service: s.name, generation: s.generation };
    this.operations.set(op.name, op);
    return this.renderOp(op, now);
  }

  /** An Operation: done once its generation settled (or was superseded); error if that rollout failed. */
  private renderOp(op: OperationState, now: number): Json {
    if (op.finished && op.rendered) return op.rendered;
    const s = this.services.get(op.service);
    let done = false;
    let error: Json | undefined;
    let response: Json | undefined;
    let metadata: Json | undefined;
    if (op.kind === 'delete') {
      metadata = op.snapshot;
      done = now >= (op.doneAt ?? now);
      response = op.snapshot;
    } else if (!s) {
      done = true;
      error = { code: 5, message: `Service ${short(op.service)} was deleted before the operation finished.` };
    } else {
      metadata = this.render(s);
      done = s.observedGeneration >= op.generation;
      if (done) {
        if (s.lastFailure && s.observedGeneration === s.generation)
          error = { code: GRPC_NUM.FAILED_PRECONDITION, message: s.lastFailure.message };
        else response = this.render(s);
      }
    }
    const rendered = {
      name: op.name,
      ...(metadata ? { metadata: { '@type': ANY_SERVICE, ...metadata } } : {}),
      done,
      ...(done && error ? { error } : {}),
      ...(done && !error && response ? { response: { '@type': ANY_SERVICE, ...response } } : {}),
    };
    // an operation's outcome is fixed once it is done
    if (done) Object.assign(op, { finished: true, rendered });
    return rendered;
  }

  private error(status: number, code: string, message: string, headers?: Record<string, string>): EmulatedResponse {
    return { status, body: { error: { code: status, message, status: code } }, ...(headers ? { headers } : {}) };
  }
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

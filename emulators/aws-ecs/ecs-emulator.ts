/**
 * A stateful, in-memory Amazon ECS (Fargate) (behind nock in tests, served by `skyfleet emulate`), speaking awsJson1_1 the way the real
 * service does: `POST /` with `x-amz-target: AmazonEC2ContainerServiceV20141113.<Op>`, JSON bodies,
 * errors as `{"__type": "<Name>", "message": "..."}` with 400 (client) or 500 (ServerException),
 * timestamps as epoch seconds, and the request id in `x-amzn-RequestId`.
 *
 * State moves only with the injected clock (lazily, at each request): a task goes PROVISIONING ->
 * PENDING -> RUNNING and its health UNKNOWN -> HEALTHY (when its container has a healthCheck).
 * Every request and response is checked against the botocore model (BotocoreChecker); problems
 * are collected in `violations` and a bad request is answered like the service would (400).
 */
import {
  type Clock,
  type EmulatedResponse,
  FaultKnobs,
  type InjectedFault,
  LaggedReads,
  ModelViolations,
  phaseAt,
  RequestLog,
} from '../framework/index.js';
import type { ReplicaRuntime } from '../replica-runtime/replica-runtime.js';
import { BotocoreChecker } from './botocore-checker.js';
import { AwsSecretStores } from './secret-stores.js';
import { describeNetworkInterfaces } from './ec2-network-interfaces.js';

type Json = Record<string, unknown>;
type Tag = { key: string; value: string };

export interface EcsEmulatorOptions {
  clock: Clock;
  region?: string;
  accountId?: string;
  /** Subnet id -> availability zone. A service on an unknown subnet is rejected as ECS does. */
  subnets: Record<string, string>;
  /** Clusters that exist (short names), with FARGATE and FARGATE_SPOT attached. */
  clusters?: string[];
  /**
   * Capacity providers attached to a cluster, by short name (default for every cluster: FARGATE
   * and FARGATE_SPOT). A cluster created in the console without "AWS Fargate" has none.
   */
  capacityProviders?: Record<string, string[]>;
  /** Lifecycle timings, ms after launch. */
  timings?: Partial<EcsTimings>;
  /** Throw on model violations at the end of each request (default false: collect them). */
  strict?: boolean;
  /**
   * Runs each task's (first) container for real (`skyfleet emulate`): a task is RUNNING only once
   * its container runs, HEALTHY by the container's health check, and stops when the container
   * exits; DescribeTasks reports its port as a network binding on 127.0.0.1.
   */
  runtime?: ReplicaRuntime;
  /**
   * Eventual consistency, in ms of the clock (default 0: reads are consistent). "The Amazon ECS API
   * follows an eventual consistency model ... the result of an API command you run that affects
   * your Amazon ECS resources might not be immediately visible to all subsequent commands you run"
   * (RunTask in the reference model; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
   * For this long after CreateService, ListServices leaves the service out and DescribeServices
   * answers `failures: [{reason: MISSING}]`; after UpdateService or DeleteService they show the
   * service as it was before (its previous desiredCount, task definition, status); a task is left
   * out of ListTasks and MISSING in DescribeTasks for this long after it was launched.
   */
  consistencyLagMs?: number;
  /**
   * Tags of a service (CreateService `tags`, TagResource) show in ListTagsForResource and in
   * DescribeServices `include: [TAGS]` only this long after the write; until then the previous
   * tags (none, for a new service). Default: `consistencyLagMs`.
   */
  tagLagMs?: number;
}

export interface EcsTimings {
  pendingAfterMs: number;
  runningAfterMs: number;
  /** After RUNNING, until a health-checked task reports HEALTHY. */
  healthyAfterMs: number;
  /** From a stop request to STOPPED. */
  stoppedAfterMs: number;
  /** Between failed launch attempts in a zone that is down. */
  relaunchAfterMs: number;
}

const DEFAULT_TIMINGS: EcsTimings = {
  pendingAfterMs: 1000,
  runningAfterMs: 3000,
  healthyAfterMs: 2000,
  stoppedAfterMs: 1000,
  relaunchAfterMs: 10_000,
};

export const WRITE_OPERATIONS = new Set([
  'RegisterTaskDefinition',
  'DeregisterTaskDefinition',
  'CreateService',
  'UpdateService',
  'DeleteService',
  'TagResource',
  'UntagResource',
  'UpdateTaskProtection',
]);

export class EcsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface TaskDef {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  body: Json;
  tags: Tag[];
  registeredAt: number;
  deregisteredAt?: number;
}

interface EcsDeployment {
  id: string;
  tdArn: string;
  createdAt: number;
  updatedAt: number;
  /** Tasks of this deployment that stopped before they ran (the circuit breaker counts them). */
  failed?: number;
  /** Set once: COMPLETED when it reached its count, FAILED when the circuit breaker tripped. */
  state?: 'COMPLETED' | 'FAILED';
  reason?: string;
}

interface Svc {
  arn: string;
  name: string;
  cluster: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  tdArn: string;
  createdAt: number;
  request: Json;
  tags: Tag[];
  clientToken?: string;
  deployments: EcsDeployment[];
  events: Array<{ id: string; createdAt: number; message: string }>;
  lastLaunchFailureAt?: number;
  steady: boolean;
}

interface EcsTask {
  arn: string;
  id: string;
  cluster: string;
  service: string;
  tdArn: string;
  az: string;
  subnet: string;
  eniId: string;
  attachmentId: string;
  privateIp: string;
  publicIp?: string;
  launchedAt: number;
  /** Task scale-in protection (UpdateTaskProtection) until this time. */
  protectedUntil?: number;
  stopAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number;
  healthChecked: boolean;
  /** Its image cannot be pulled: it stops at the time it would have run. */
  pullFailure?: string;
  /** The deployment that launched it. */
  deploymentId?: string;
}

export class EcsEmulator {
  readonly faults = new FaultKnobs();
  readonly log = new RequestLog();
  readonly violations = new ModelViolations();
  readonly checker = new BotocoreChecker();
  readonly region: string;
  readonly accountId: string;
  readonly origin: string;
  readonly clusters: Set<string>;
  /** Capacity providers attached to each cluster. */
  readonly capacityProviders: Map<string, string[]>;
  readonly taskDefs = new Map<string, TaskDef[]>();
  readonly services = new Map<string, Svc>();
  readonly tasks = new Map<string, EcsTask>();
  /** The Secrets Manager and SSM stores the tasks' `secrets` name (their versions, never values). */
  readonly secretStores: AwsSecretStores;
  private readonly timings: EcsTimings;
  private seq = 0;
  private ipSeq = 10;
  /** Images whose pulls fail, with the error the agent reports. */
  private pullFailures: Array<{ image: RegExp; reason: (image: string) => string }> = [];
  /** What ListServices/DescribeServices show of a service (by cluster/name) while writes propagate. */
  private readonly serviceReads: LaggedReads<Json>;
  /** What ListTagsForResource/DescribeServices show of a service's tags (by ARN) while tag writes propagate. */
  private readonly tagReads: LaggedReads<Tag[]>;

  constructor(private readonly options: EcsEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.origin = `https://ecs.${this.region}.amazonaws.com`;
    this.clusters = new Set(options.clusters ?? ['default']);
    this.capacityProviders = new Map(
      [...this.clusters].map((c) => [c, options.capacityProviders?.[c] ?? ['FARGATE', 'FARGATE_SPOT']]),
    );
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.secretStores = new AwsSecretStores(options.clock, this.region, this.accountId);
    this.serviceReads = new LaggedReads(options.consistencyLagMs ?? 0);
    this.tagReads = new LaggedReads(options.tagLagMs ?? options.consistencyLagMs ?? 0);
  }

  /** The lag of list and describe reads after a write (ms; 0: consistent). */
  get consistencyLagMs(): number {
    return this.serviceReads.lagMs;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  // --- fault helpers ------------------------------------------------------------------------------

  /** Throttle a share of calls the way ECS does (400 ThrottlingException "Rate exceeded"). */
  throttle(share: number, seed = 42, operations?: readonly string[]): void {
    this.faults.throttle(
      share,
      { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
      { seed, operations },
    );
  }

  /** The next `n` calls answer 500 ServerException. */
  failNextWithServerError(n: number, operations?: readonly string[]): void {
    this.faults.failNext(
      n,
      { status: 500, code: 'ServerException', message: 'Service Unavailable. Please try again later.' },
      operations,
    );
  }

  /** The next `n` matching calls are carried out, then answered 500 (the answer is lost). */
  loseNextAnswers(n: number, operations?: readonly string[]): void {
    this.faults.loseAnswers(
      n,
      { status: 500, code: 'ServerException', message: 'Service Unavailable. Please try again later.' },
      operations,
    );
  }

  /** The next `n` calls answer 400 AccessDeniedException. */
  denyNext(n: number, operations?: readonly string[]): void {
    this.faults.failNext(
      n,
      {
        status: 400,
        code: 'AccessDeniedException',
        message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform this action',
      },
      operations,
    );
  }

  /** An availability zone outage: its tasks stop at the next request and new ones fail to start. */
  zoneDown(az: string): void {
    this.faults.zoneDown(az);
  }
  zoneUp(az: string): void {
    this.faults.zoneUp(az);
  }

  /** The essential container of a task exits with code 1 (ECS then replaces the task). */
  crashTask(taskArn: string): void {
    const t = this.tasks.get(taskArn);
    if (!t || t.stopAt !== undefined) return;
    this.options.runtime?.stop(t.id);
    t.stopAt = this.clock.now();
    t.stopCode = 'EssentialContainerExited';
    t.stoppedReason = 'Essential container in task exited';
    t.exitCode = 1;
  }

  /**
   * Image pulls of matching images fail from now on (null: every pull works again). A task then
   * goes PROVISIONING -> PENDING and stops with stopCode TaskFailedToStart and the agent's
   * CannotPullContainerError, as on Fargate in a public subnet without a public IP or NAT
   * (https://repost.aws/knowledge-center/ecs-fargate-pull-container-error), and the service starts
   * another one. The default reason is the "no route to the registry" form of the message.
   */
  failImagePulls(image: RegExp | null, reason?: (image: string) => string): void {
    this.pullFailures = image
      ? [
          {
            image,
            reason:
              reason ??
              ((img) => {
                const [repo, tag = 'latest'] = img.split(/:(?=[^/]+$)/);
                const host = repo!.includes('.') ? repo!.slice(0, repo!.indexOf('/')) : 'registry-1.docker.io';
                const path = repo!.includes('.') ? repo!.slice(repo!.indexOf('/') + 1) : repo;
                return `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${img}: failed to do request: Head "https://${host}/v2/${path}/manifests/${tag}": dial tcp 52.94.${this.ipSeq % 250}.17:443: i/o timeout`;
              }),
          },
        ]
      : [];
  }

  /** The public IP of an ENI (tasks of services with assignPublicIp ENABLED): EC2's answer, for tests. */
  publicIpOf(eniId: string): string | undefined {
    return [...this.tasks.values()].find((t) => t.eniId === eniId)?.publicIp;
  }

  /** EC2's query API for the tasks' ENIs (DescribeNetworkInterfaces; see ec2-network-interfaces.ts). */
  handleEc2(body: unknown): EmulatedResponse {
    const res = describeNetworkInterfaces(
      typeof body === 'string' ? body : '',
      (ids) =>
        [...this.tasks.values()]
          .filter((t) => ids.includes(t.eniId) && t.stopAt === undefined)
          .map((t) => ({ id: t.eniId, privateIp: t.privateIp, ...(t.publicIp ? { publicIp: t.publicIp } : {}) })),
      this.nextRequestId(),
    );
    this.log.add({
      time: this.clock.now(),
      operation: 'ec2.DescribeNetworkInterfaces',
      method: 'POST',
      path: '/',
      body: typeof body === 'string' ? body : null,
      status: res.status,
      response: null,
      write: false,
    });
    return res;
  }

  /** Tasks of a service that ECS still wants running. */
  aliveTasks(serviceName: string, cluster?: string): EcsTask[] {
    return [...this.tasks.values()].filter(
      (t) => t.service === serviceName && (!cluster || t.cluster === cluster) && t.stopAt === undefined,
    );
  }

  /** Applies time to the state (also done at each request). */
  tick(): void {
    this.reconcile();
  }

  // --- HTTP -----------------------------------------------------------------------------------

  async handle(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const target = headers['x-amz-target'] ?? '';
    const operation = target.startsWith('AmazonEC2ContainerServiceV20141113.')
      ? target.slice(target.indexOf('.') + 1)
      : target || '(none)';
    const requestId = this.nextRequestId();
    const respond = (status: number, payload: unknown, fault?: InjectedFault['source']) => {
      this.log.add({
        time: this.clock.now(),
        operation,
        method,
        path,
        body,
        status,
        response: payload,
        write: WRITE_OPERATIONS.has(operation),
        ...(fault ? { fault } : {}),
      });
      return {
        status,
        body: payload,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      };
    };
    await this.faults.delay();
    if (method !== 'POST' || path !== '/')
      return respond(404, { __type: 'UnknownOperationException', message: `${method} ${path}` });
    if (headers['content-type'] !== 'application/x-amz-json-1.1') {
      this.violations.add(operation, [`content-type is ${headers['content-type']}`]);
    }
    const fault = this.faults.next(operation);
    if (fault) return respond(fault.status, { __type: fault.code, message: fault.message }, fault.source);
    if (this.faults.downRegions.has(this.region))
      return respond(503, { __type: 'ServiceUnavailableException', message: 'Service Unavailable' });
    const input = this.checker.inputShape(operation);
    const handler = (this as unknown as Record<string, ((b: Json) => Json) | undefined>)[`op${operation}`];
    if (!input || !handler)
      return respond(400, { __type: 'UnknownOperationException', message: `operation ${operation} is not emulated` });
    const req = (body ?? {}) as Json;
    const problems = this.checker.check(input, req);
    if (problems.length) {
      this.violations.add(`${operation} request`, problems);
      if (this.options.strict) throw new Error(`ECS emulator: invalid ${operation} request:\n${problems.join('\n')}`);
      return respond(400, { __type: 'InvalidParameterException', message: problems.join('; ') });
    }
    this.reconcile();
    try {
      const out = handler.call(this, req);
      const output = this.checker.outputShape(operation);
      if (output) {
        const bad = this.checker.check(output, out);
        if (bad.length) {
          this.violations.add(`${operation} response`, bad);
          if (this.options.strict) throw new Error(`ECS emulator: invalid ${operation} response:\n${bad.join('\n')}`);
        }
      }
      const lost = this.faults.lostAnswer(operation);
      if (lost) return respond(lost.status, { __type: lost.code, message: lost.message }, lost.source);
      return respond(200, out);
    } catch (err) {
      if (err instanceof EcsError) return respond(err.status, { __type: err.code, message: err.message });
      throw err;
    }
  }

  private nextRequestId(): string {
    this.seq += 1;
    const h = this.seq.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${h}`;
  }

  private hex(n: number): string {
    this.seq += 1;
    let s = '';
    let x = this.seq * 2654435761;
    while (s.length < n) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      s += x.toString(16);
    }
    return s.slice(0, n);
  }

  // --- names ----------------------------------------------------------------------------------

  private arn(resource: string): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:${resource}`;
  }

  private clusterName(c: unknown): string {
    const name = typeof c === 'string' && c ? c.slice(c.lastIndexOf('/') + 1) : 'default';
    if (!this.clusters.has(name)) throw new EcsError('ClusterNotFoundException', 'Cluster not found.');
    return name;
  }

  private serviceKey(cluster: string, ref: string): string {
    return `${cluster}/${ref.slice(ref.lastIndexOf('/') + 1)}`;
  }

  private findTaskDef(ref: string): TaskDef | undefined {
    const short = ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    const [family, rev] = short.split(':');
    const revs = this.taskDefs.get(family ?? '') ?? [];
    if (rev === undefined) return [...revs].reverse().find((t) => t.status === 'ACTIVE');
    return revs.find((t) => t.revision === Number(rev));
  }

  // --- time -----------------------------------------------------------------------------------

  private t(ms: number): number {
    return ms / 1000;
  }

  private lastStatus(task: EcsTask, now: number): string {
    if (task.stopAt !== undefined)
      return now - task.stopAt >= this.timings.stoppedAfterMs ? 'STOPPED' : 'DEPROVISIONING';
    const phase = phaseAt(task.launchedAt, now, [
      [0, 'PROVISIONING'],
      [this.timings.pendingAfterMs, 'PENDING'],
      [this.timings.runningAfterMs, 'RUNNING'],
    ] as const);
    // with a runtime, RUNNING means its container runs
    const runtime = this.options.runtime;
    if (phase === 'RUNNING' && runtime && runtime.status(task.id)?.phase !== 'running') return 'PENDING';
    return phase;
  }

  private health(task: EcsTask, now: number): 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' {
    if (!task.healthChecked || task.stopAt !== undefined) return 'UNKNOWN';
    const runtime = this.options.runtime;
    if (runtime) {
      const healthy = runtime.status(task.id)?.healthy;
      return healthy === undefined || this.lastStatus(task, now) !== 'RUNNING'
        ? 'UNKNOWN'
        : healthy
          ? 'HEALTHY'
          : 'UNHEALTHY';
    }
    return now - task.launchedAt >= this.timings.runningAfterMs + this.timings.healthyAfterMs ? 'HEALTHY' : 'UNKNOWN';
  }

  private ready(task: EcsTask, now: number): boolean {
    return this.lastStatus(task, now) === 'RUNNING' && (!task.healthChecked || this.health(task, now) === 'HEALTHY');
  }

  private event(s: Svc, message: string): void {
    s.events.unshift({
      id: this.hex(8) + '-' + this.hex(4),
      createdAt: this.clock.now(),
      message: `(service ${s.name}) ${message}`,
    });
    s.events.length = Math.min(s.events.length, 100);
  }

  /** The service scheduler: brings each service's tasks toward its desired count at clock time. */
  private reconcile(): void {
    const now = this.clock.now();
    for (const s of this.services.values()) {
      if (s.status === 'INACTIVE') continue;
      const target = s.status === 'ACTIVE' ? s.desiredCount : 0;
      // a zone outage stops the zone's tasks
      for (const t of this.aliveTasks(s.name, s.cluster)) {
        if (this.faults.downZones.has(t.az)) {
          this.options.runtime?.stop(t.id);
          t.stopAt = now;
          t.stopCode = 'TaskFailedToStart';
          t.stoppedReason = `Availability Zone ${t.az} is unavailable (emulated outage): task is unreachable`;
          this.event(s, `has stopped 1 running tasks: (task ${t.id}).`);
          s.steady = false;
        }
      }
      // with a runtime: a container that exited stops its task; one failing its health check is replaced
      if (this.options.runtime) this.runtimeStops(s, now);
      // a task whose image cannot be pulled stops when it would have run
      for (const t of this.aliveTasks(s.name, s.cluster)) {
        if (t.pullFailure && now - t.launchedAt >= this.timings.runningAfterMs) {
          t.stopAt = t.launchedAt + this.timings.runningAfterMs;
          t.stopCode = 'TaskFailedToStart';
          t.stoppedReason = t.pullFailure;
          const d = s.deployments.find((x) => x.id === t.deploymentId);
          if (d) d.failed = (d.failed ?? 0) + 1;
          this.event(s, `has stopped 1 running tasks: (task ${t.id}).`);
          s.steady = false;
        }
      }
      this.circuitBreaker(s, now);
      const alive = this.aliveTasks(s.name, s.cluster);
      const primary = alive.filter((t) => t.tdArn === s.tdArn);
      const old = alive.filter((t) => t.tdArn !== s.tdArn);
      if (primary.length < target && s.deployments[0]?.state === 'FAILED') {
        // a failed deployment launches no more tasks (circuit breaker without a rollback target)
      } else if (primary.length < target) {
        const subnets = this.subnetsOf(s);
        const az = this.options.subnets[subnets[0]!]!;
        if (this.faults.downZones.has(az)) {
          if (s.lastLaunchFailureAt === undefined || now - s.lastLaunchFailureAt >= this.timings.relaunchAfterMs) {
            s.lastLaunchFailureAt = now;
            const t = this.launch(s, subnets[0]!, now);
            t.stopAt = now - this.timings.stoppedAfterMs;
            t.stopCode = 'TaskFailedToStart';
            t.stoppedReason = `Capacity is unavailable at this time in ${az} (emulated zone outage)`;
            this.event(s, `was unable to place a task. Reason: Capacity is unavailable at this time in ${az}.`);
          }
        } else {
          const started: string[] = [];
          for (let i = primary.length; i < target; i++)
            started.push(this.launch(s, subnets[i % subnets.length]!, now).id);
          this.event(s, `has started ${started.length} tasks: ${started.map((id) => `(task ${id})`).join(' ')}.`);
        }
        s.steady = false;
      } else if (primary.length > target) {
        // scale-in stops the newest tasks first, never one under scale-in protection (it waits)
        const extra = primary
          .filter((t) => !((t.protectedUntil ?? 0) > now))
          .sort((a, b) => b.launchedAt - a.launchedAt)
          .slice(0, primary.length - target);
        for (const t of extra)
          this.stop(t, now, 'ServiceSchedulerInitiated', 'Scaling activity initiated by (deployment ecs-svc)');
        this.event(s, `has stopped ${extra.length} running tasks: ${extra.map((t) => `(task ${t.id})`).join(' ')}.`);
        s.steady = false;
      }
      const primaryReady = this.aliveTasks(s.name, s.cluster).filter(
        (t) => t.tdArn === s.tdArn && this.ready(t, now),
      ).length;
      if (old.length && primaryReady >= target) {
        for (const t of old) this.stop(t, now, 'ServiceSchedulerInitiated', 'Deployment replaced the task');
        this.event(s, `has stopped ${old.length} running tasks: ${old.map((t) => `(task ${t.id})`).join(' ')}.`);
        s.deployments = s.deployments.filter((d) => d.tdArn === s.tdArn).slice(0, 1);
      }
      if (
        s.status === 'DRAINING' &&
        [...this.tasks.values()]
          .filter((t) => t.service === s.name && t.cluster === s.cluster)
          .every((t) => this.lastStatus(t, now) === 'STOPPED')
      ) {
        s.status = 'INACTIVE';
      }
      const head = s.deployments[0];
      if (head && head.state === undefined && primaryReady >= target && old.length === 0) head.state = 'COMPLETED';
      if (
        s.status === 'ACTIVE' &&
        !s.steady &&
        primaryReady === target &&
        !this.aliveTasks(s.name, s.cluster).some((t) => t.tdArn !== s.tdArn)
      ) {
        s.steady = true;
        this.event(s, 'has reached a steady state.');
      }
    }
  }

  /** Tasks whose container exited, or failed its health check, stop as ECS stops them. */
  private runtimeStops(s: Svc, now: number): void {
    for (const t of this.aliveTasks(s.name, s.cluster)) {
      const st = this.options.runtime!.status(t.id);
      if (st?.phase === 'exited') {
        const neverRan = st.reason?.startsWith('Cannot') === true;
        t.stopAt = now;
        t.stopCode = neverRan ? 'TaskFailedToStart' : 'EssentialContainerExited';
        t.stoppedReason = neverRan ? st.reason! : 'Essential container in task exited';
        t.exitCode = st.exitCode ?? 1;
        if (neverRan) {
          const d = s.deployments.find((x) => x.id === t.deploymentId);
          if (d) d.failed = (d.failed ?? 0) + 1;
        }
        this.options.runtime!.stop(t.id);
        this.event(s, `has stopped 1 running tasks: (task ${t.id}).`);
        s.steady = false;
      } else if (this.health(t, now) === 'UNHEALTHY') {
        this.stop(t, now, 'ServiceSchedulerInitiated', 'Task failed container health checks');
        this.event(s, `has stopped 1 running tasks: (task ${t.id}).`);
        s.steady = false;
      }
    }
  }

  /**
   * The deployment circuit breaker (deploymentConfiguration.deploymentCircuitBreaker): once as many
   * tasks of the primary deployment failed to start as the threshold, clamp(ceil(0.5 x desired),
   * 3, 200) (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html),
   * the deployment is FAILED and launches no more tasks; with `rollback`, the service goes back to
   * the last COMPLETED deployment (API_DeploymentCircuitBreaker.html).
   */
  private circuitBreaker(s: Svc, now: number): void {
    const cfg = ((s.request.deploymentConfiguration as Json | undefined)?.deploymentCircuitBreaker ?? {}) as Json;
    const d = s.deployments[0];
    if (cfg.enable !== true || !d || d.state !== undefined || s.status !== 'ACTIVE') return;
    const threshold = Math.min(200, Math.max(3, Math.ceil(0.5 * s.desiredCount)));
    if ((d.failed ?? 0) < threshold) return;
    d.state = 'FAILED';
    d.reason = 'ECS deployment circuit breaker: tasks failed to start.';
    d.updatedAt = now;
    this.event(s, `(deployment ${d.id}) deployment failed: tasks failed to start.`);
    const back = cfg.rollback === true ? s.deployments.slice(1).find((x) => x.state === 'COMPLETED') : undefined;
    if (back) {
      this.event(s, `rolling back to deployment ${back.id}.`);
      s.tdArn = back.tdArn;
      s.deployments.unshift({
        id: `ecs-svc/${this.hex(19).replace(/[a-f]/g, '5')}`,
        tdArn: back.tdArn,
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  private subnetsOf(s: Svc): string[] {
    return ((s.request.networkConfiguration as Json).awsvpcConfiguration as Json).subnets as string[];
  }

  private launch(s: Svc, subnet: string, now: number): EcsTask {
    const id = this.hex(32);
    const td = this.findTaskDef(s.tdArn);
    const containers = (td?.body.containerDefinitions as Json[] | undefined) ?? [];
    this.ipSeq += 1;
    const assignPublic =
      ((s.request.networkConfiguration as Json).awsvpcConfiguration as Json).assignPublicIp === 'ENABLED';
    const task: EcsTask = {
      arn: this.arn(`task/${s.cluster}/${id}`),
      id,
      cluster: s.cluster,
      service: s.name,
      tdArn: s.tdArn,
      az: this.options.subnets[subnet]!,
      subnet,
      eniId: `eni-${this.hex(17)}`,
      attachmentId: `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-8${this.hex(3)}-${this.hex(12)}`,
      privateIp: `10.0.${Math.floor(this.ipSeq / 250)}.${(this.ipSeq % 250) + 2}`,
      ...(assignPublic ? { publicIp: `54.0.${Math.floor(this.ipSeq / 250)}.${(this.ipSeq % 250) + 2}` } : {}),
      launchedAt: now,
      healthChecked: containers.some((c) => c.healthCheck !== undefined),
      ...(s.deployments[0] ? { deploymentId: s.deployments[0].id } : {}),
    };
    for (const c of containers) {
      const failure = this.pullFailures.find((f) => f.image.test(String(c.image)));
      if (failure) {
        task.pullFailure = failure.reason(String(c.image));
        break;
      }
    }
    this.tasks.set(task.arn, task);
    const c = containers[0];
    if (this.options.runtime && c && !task.pullFailure) this.options.runtime.start(this.replicaSpec(task.id, c));
    return task;
  }

  /** The container of a task as the runtime starts it. */
  private replicaSpec(key: string, c: Json): Parameters<ReplicaRuntime['start']>[0] {
    const hc = c.healthCheck as Json | undefined;
    return {
      key,
      cloud: 'aws-ecs',
      image: String(c.image),
      env: Object.fromEntries(
        ((c.environment as Json[] | undefined) ?? []).map((e) => [String(e.name), String(e.value ?? '')]),
      ),
      ports: ((c.portMappings as Json[] | undefined) ?? []).map((m) => Number(m.containerPort)),
      ...(Array.isArray(c.command) ? { command: c.command as string[] } : {}),
      ...(hc
        ? {
            healthCheck: {
              test: hc.command as string[],
              intervalSeconds: Number(hc.interval ?? 30),
              timeoutSeconds: Number(hc.timeout ?? 5),
              retries: Number(hc.retries ?? 3),
              startPeriodSeconds: Number(hc.startPeriod ?? 0),
            },
          }
        : {}),
    };
  }

  private stop(t: EcsTask, now: number, code: string, reason: string): void {
    this.options.runtime?.stop(t.id);
    if (t.stopAt !== undefined) return;
    t.stopAt = now;
    t.stopCode = code;
    t.stoppedReason = reason;
  }

  // --- views ----------------------------------------------------------------------------------

  /**
   * With a runtime, a running task's ports as ECS reports a bridge-mode task's: network bindings
   * (here on 127.0.0.1, where the stand-in's containers publish them; every replica shares that
   * address, so each has its own host port).
   */
  private bindingsOf(t: EcsTask, last: string): Json {
    const ports = last === 'RUNNING' ? this.options.runtime?.status(t.id)?.ports : undefined;
    if (!ports?.size) return {};
    return {
      networkBindings: [...ports].map(([containerPort, hostPort]) => ({
        bindIP: '127.0.0.1',
        containerPort,
        hostPort,
        protocol: 'tcp',
      })),
    };
  }

  private taskDefView(td: TaskDef): Json {
    return {
      ...td.body,
      taskDefinitionArn: td.arn,
      revision: td.revision,
      status: td.status,
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: this.t(td.registeredAt),
      registeredBy: `arn:aws:iam::${this.accountId}:user/skyfleet-test`,
      ...(td.deregisteredAt !== undefined ? { deregisteredAt: this.t(td.deregisteredAt) } : {}),
    };
  }

  private serviceView(s: Svc, withTags: boolean): Json {
    const now = this.clock.now();
    const all = [...this.tasks.values()].filter((t) => t.service === s.name && t.cluster === s.cluster);
    const alive = all.filter((t) => t.stopAt === undefined);
    const counts = (ts: EcsTask[]) => ({
      runningCount: ts.filter((t) => this.lastStatus(t, now) === 'RUNNING').length,
      pendingCount: ts.filter((t) => ['PROVISIONING', 'PENDING'].includes(this.lastStatus(t, now))).length,
    });
    const r = s.request;
    const deployments = s.deployments.map((d, i) => {
      const mine = alive.filter((t) => t.tdArn === d.tdArn);
      const ready = mine.filter((t) => this.ready(t, now)).length;
      const desired = i === 0 ? (s.status === 'ACTIVE' ? s.desiredCount : 0) : 0;
      return {
        id: d.id,
        status: i === 0 ? 'PRIMARY' : 'ACTIVE',
        taskDefinition: d.tdArn,
        desiredCount: desired,
        ...counts(mine),
        failedTasks: Math.max(
          d.failed ?? 0,
          all.filter((t) => t.tdArn === d.tdArn && t.stopCode === 'TaskFailedToStart' && !t.pullFailure).length,
        ),
        createdAt: this.t(d.createdAt),
        updatedAt: this.t(d.updatedAt),
        capacityProviderStrategy: r.capacityProviderStrategy,
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        networkConfiguration: r.networkConfiguration,
        rolloutState:
          d.state === 'FAILED'
            ? 'FAILED'
            : d.state === 'COMPLETED' || (i === 0 && ready >= desired && alive.length === mine.length)
              ? 'COMPLETED'
              : 'IN_PROGRESS',
        rolloutStateReason:
          d.state === 'FAILED'
            ? d.reason
            : d.state === 'COMPLETED' || (i === 0 && ready >= desired)
              ? `ECS deployment ${d.id} completed.`
              : `ECS deployment ${d.id} in progress.`,
      };
    });
    return {
      serviceArn: s.arn,
      serviceName: s.name,
      clusterArn: this.arn(`cluster/${s.cluster}`),
      loadBalancers: [],
      serviceRegistries: [],
      status: s.status,
      desiredCount: s.desiredCount,
      ...counts(alive),
      ...(r.capacityProviderStrategy
        ? { capacityProviderStrategy: r.capacityProviderStrategy }
        : { launchType: r.launchType ?? 'FARGATE' }),
      platformVersion: r.platformVersion ?? 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: s.tdArn,
      deploymentConfiguration: r.deploymentConfiguration ?? { maximumPercent: 200, minimumHealthyPercent: 100 },
      deployments,
      events: s.events.map((e) => ({ ...e, createdAt: this.t(e.createdAt) })),
      createdAt: this.t(s.createdAt),
      placementConstraints: [],
      placementStrategy: [],
      networkConfiguration: r.networkConfiguration,
      schedulingStrategy: 'REPLICA',
      deploymentController: r.deploymentController ?? { type: 'ECS' },
      ...(withTags ? { tags: s.tags } : {}),
      createdBy: `arn:aws:iam::${this.accountId}:user/skyfleet-test`,
      enableECSManagedTags: r.enableECSManagedTags ?? false,
      propagateTags: r.propagateTags ?? 'NONE',
      enableExecuteCommand: false,
    };
  }

  private taskView(t: EcsTask, withTags: boolean, svc?: Svc): Json {
    const now = this.clock.now();
    const last = this.lastStatus(t, now);
    const health = this.health(t, now);
    const td = this.findTaskDef(t.tdArn);
    const containers = ((td?.body.containerDefinitions as Json[] | undefined) ?? []).map((c) => ({
      containerArn: this.arn(`container/${t.cluster}/${t.id}/${this.hex(8)}`),
      taskArn: t.arn,
      name: c.name,
      image: c.image,
      lastStatus: last === 'DEPROVISIONING' ? 'STOPPED' : last,
      ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
      ...(t.stopCode === 'EssentialContainerExited' ? { reason: 'Essential container in task exited' } : {}),
      networkInterfaces: [{ attachmentId: t.attachmentId, privateIpv4Address: t.privateIp }],
      ...this.bindingsOf(t, last),
      healthStatus: c.healthCheck ? health : 'UNKNOWN',
      cpu: '0',
    }));
    const stopping = t.stopAt !== undefined;
    return {
      attachments: [
        {
          id: t.attachmentId,
          type: 'ElasticNetworkInterface',
          status: stopping
            ? last === 'STOPPED'
              ? 'DELETED'
              : 'DETACHING'
            : last === 'PROVISIONING'
              ? 'PRECREATED'
              : 'ATTACHED',
          details: [
            { name: 'subnetId', value: t.subnet },
            { name: 'networkInterfaceId', value: t.eniId },
            { name: 'macAddress', value: '0a:1b:2c:3d:4e:5f' },
            { name: 'privateDnsName', value: `ip-${t.privateIp.replaceAll('.', '-')}.ec2.internal` },
            { name: 'privateIPv4Address', value: t.privateIp },
          ],
        },
      ],
      attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
      availabilityZone: t.az,
      capacityProviderName:
        ((svc?.request.capacityProviderStrategy as Json[] | undefined)?.[0]?.capacityProvider as string | undefined) ??
        'FARGATE',
      clusterArn: this.arn(`cluster/${t.cluster}`),
      connectivity: last === 'PROVISIONING' ? 'DISCONNECTED' : 'CONNECTED',
      containers,
      cpu: td?.body.cpu ?? '256',
      createdAt: this.t(t.launchedAt),
      desiredStatus: stopping ? 'STOPPED' : 'RUNNING',
      enableExecuteCommand: false,
      group: `service:${t.service}`,
      healthStatus: health,
      lastStatus: last,
      launchType: 'FARGATE',
      memory: td?.body.memory ?? '512',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      ...(last === 'RUNNING' || stopping ? { startedAt: this.t(t.launchedAt + this.timings.runningAfterMs) } : {}),
      startedBy: 'ecs-svc/1234567890123456789',
      ...(t.stopCode ? { stopCode: t.stopCode } : {}),
      ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
      ...(stopping ? { stoppingAt: this.t(t.stopAt!) } : {}),
      ...(last === 'STOPPED'
        ? { stoppedAt: this.t(t.stopAt! + this.timings.stoppedAfterMs), executionStoppedAt: this.t(t.stopAt!) }
        : {}),
      ...(withTags ? { tags: [] } : {}),
      taskArn: t.arn,
      taskDefinitionArn: t.tdArn,
      version: stopping ? 3 : 2,
      ephemeralStorage: { sizeInGiB: 20 },
    };
  }

  // --- pagination -----------------------------------------------------------------------------

  private page<T>(items: T[], req: Json, defaultMax: number): { items: T[]; nextToken?: string } {
    const max = req.maxResults === undefined ? defaultMax : (req.maxResults as number);
    if (max < 1 || max > 100) throw new EcsError('InvalidParameterException', 'maxResults must be between 1 and 100.');
    let offset = 0;
    if (req.nextToken !== undefined) {
      const decoded = Number(Buffer.from(String(req.nextToken), 'base64url').toString('utf8').replace(/^o:/, ''));
      if (!Number.isInteger(decoded) || decoded < 0) throw new EcsError('InvalidParameterException', 'Invalid token');
      offset = decoded;
    }
    const slice = items.slice(offset, offset + max);
    const next = offset + max < items.length ? Buffer.from(`o:${offset + max}`).toString('base64url') : undefined;
    return { items: slice, ...(next ? { nextToken: next } : {}) };
  }

  // --- operations -----------------------------------------------------------------------------

  opRegisterTaskDefinition(req: Json): Json {
    const family = req.family as string;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family))
      throw new EcsError('ClientException', 'Family contains invalid characters or exceeds 255 characters.');
    const containers = req.containerDefinitions as Json[];
    if (!containers.length) throw new EcsError('ClientException', 'Container list cannot be empty.');
    if (containers.length > 10)
      throw new EcsError('ClientException', 'Too many containers: at most 10 per task definition.');
    const fargate = ((req.requiresCompatibilities as string[] | undefined) ?? []).includes('FARGATE');
    for (const c of containers) {
      if (!c.name) throw new EcsError('ClientException', 'Container.name should not be null or empty.');
      if (!c.image) throw new EcsError('ClientException', 'Container.image should not be null or empty.');
      const hc = c.healthCheck as Json | undefined;
      if (hc) {
        const within = (k: string, lo: number, hi: number) => {
          const v = hc[k] as number | undefined;
          if (v !== undefined && (v < lo || v > hi))
            throw new EcsError(
              'ClientException',
              `Invalid ${k} value for healthCheck: ${v}. Valid range is ${lo}-${hi}.`,
            );
        };
        within('interval', 5, 300);
        within('timeout', 2, 60);
        within('retries', 1, 10);
        within('startPeriod', 0, 300);
        const cmd = hc.command as string[];
        if (!cmd.length || !['CMD', 'CMD-SHELL', 'NONE'].includes(cmd[0]!))
          throw new EcsError('ClientException', 'healthCheck.command must start with CMD, CMD-SHELL or NONE.');
      }
      const log = c.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
      if (fargate && log?.logDriver === 'awslogs') {
        if (!req.executionRoleArn)
          throw new EcsError(
            'ClientException',
            'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
          );
        for (const k of ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix'])
          if (!log.options?.[k]) throw new EcsError('ClientException', `Log driver awslogs requires options: ${k}`);
      }
      if ((c.secrets as unknown[] | undefined)?.length && !req.executionRoleArn) {
        throw new EcsError(
          'ClientException',
          'Fargate requires task definition to have execution role ARN to support secrets.',
        );
      }
    }
    if (fargate) {
      if (req.networkMode !== 'awsvpc')
        throw new EcsError('ClientException', "Fargate only supports network mode 'awsvpc'.");
      const cpu = Number(req.cpu);
      const memory = Number(req.memory);
      if (!FARGATE_PAIRS.some(([c, ms]) => c === cpu && ms.includes(memory))) {
        throw new EcsError(
          'ClientException',
          `No Fargate configuration exists for given values: ${req.cpu} CPU, ${req.memory} memory. See the Amazon ECS documentation for the valid values.`,
        );
      }
    }
    const revs = this.taskDefs.get(family) ?? [];
    const revision = (revs.at(-1)?.revision ?? 0) + 1;
    const { tags, ...body } = req;
    const td: TaskDef = {
      arn: this.arn(`task-definition/${family}:${revision}`),
      family,
      revision,
      status: 'ACTIVE',
      body,
      tags: (tags as Tag[] | undefined) ?? [],
      registeredAt: this.clock.now(),
    };
    revs.push(td);
    this.taskDefs.set(family, revs);
    return { taskDefinition: this.taskDefView(td), tags: td.tags };
  }

  opDeregisterTaskDefinition(req: Json): Json {
    const ref = req.taskDefinition as string;
    const short = ref.slice(ref.lastIndexOf('/') + 1);
    if (!short.includes(':'))
      throw new EcsError('ClientException', 'A revision must be specified (family:revision or the full ARN).');
    const td = this.findTaskDef(ref);
    if (!td) throw new EcsError('ClientException', 'The specified task definition does not exist.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = this.clock.now();
    }
    return { taskDefinition: this.taskDefView(td) };
  }

  opListTaskDefinitions(req: Json): Json {
    const status = (req.status as string | undefined) ?? 'ACTIVE';
    let all = [...this.taskDefs.values()].flat().filter((t) => t.status === status);
    if (req.familyPrefix !== undefined) all = all.filter((t) => t.family === req.familyPrefix);
    all.sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
    if (req.sort === 'DESC') all.reverse();
    const p = this.page(
      all.map((t) => t.arn),
      req,
      100,
    );
    return { taskDefinitionArns: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  }

  opDescribeTaskDefinition(req: Json): Json {
    const td = this.findTaskDef(req.taskDefinition as string);
    if (!td) throw new EcsError('ClientException', 'Unable to describe task definition.');
    const withTags = ((req.include as string[] | undefined) ?? []).includes('TAGS');
    return { taskDefinition: this.taskDefView(td), ...(withTags ? { tags: td.tags } : {}) };
  }

  opCreateService(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const name = req.serviceName as string;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
      throw new EcsError(
        'InvalidParameterException',
        'Service name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.',
      );
    const key = this.serviceKey(cluster, name);
    const existing = this.services.get(key);
    if (existing?.status === 'ACTIVE') {
      if (req.clientToken !== undefined && existing.clientToken === req.clientToken)
        return { service: this.serviceView(existing, false) };
      throw new EcsError('InvalidParameterException', 'Creation of service was not idempotent.');
    }
    if (existing?.status === 'DRAINING')
      throw new EcsError('InvalidParameterException', 'Unable to Start a service that is still Draining.');
    if (req.launchType !== undefined && req.capacityProviderStrategy !== undefined) {
      throw new EcsError(
        'InvalidParameterException',
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    const attached = this.capacityProviders.get(cluster) ?? [];
    if (req.capacityProviderStrategy === undefined && req.launchType === undefined && !attached.length) {
      throw new EcsError(
        'InvalidParameterException',
        'No launch type or capacity provider strategy was specified, and the cluster has no default capacity provider strategy.',
      );
    }
    for (const item of (req.capacityProviderStrategy as Json[] | undefined) ?? []) {
      if (!attached.includes(item.capacityProvider as string)) {
        throw new EcsError(
          'InvalidParameterException',
          `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`,
        );
      }
    }
    const td = this.findTaskDef((req.taskDefinition as string | undefined) ?? '');
    if (!td) throw new EcsError('ClientException', 'Unable to describe task definition.');
    if (td.status !== 'ACTIVE') throw new EcsError('ClientException', 'TaskDefinition is inactive');
    this.checkNetwork(req, td);
    const desiredCount = (req.desiredCount as number | undefined) ?? 0;
    const now = this.clock.now();
    const s: Svc = {
      arn: this.arn(`service/${cluster}/${name}`),
      name,
      cluster,
      status: 'ACTIVE',
      desiredCount,
      tdArn: td.arn,
      createdAt: now,
      request: req,
      tags: (req.tags as Tag[] | undefined) ?? [],
      ...(req.clientToken !== undefined ? { clientToken: req.clientToken as string } : {}),
      deployments: [
        { id: `ecs-svc/${this.hex(19).replace(/[a-f]/g, '7')}`, tdArn: td.arn, createdAt: now, updatedAt: now },
      ],
      events: [],
      steady: false,
    };
    // a name reused after INACTIVE is a new service; its old tasks are history
    this.serviceReads.write(key, now, existing ? this.serviceView(existing, false) : undefined);
    this.tagReads.write(s.arn, now, existing?.tags ?? []);
    this.services.set(key, s);
    this.reconcile();
    return { service: this.serviceView(s, false) };
  }

  private checkNetwork(req: Json, td: TaskDef): void {
    const net = (req.networkConfiguration as Json | undefined)?.awsvpcConfiguration as Json | undefined;
    if (td.body.networkMode === 'awsvpc' && !net)
      throw new EcsError(
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    if (!net) return;
    const subnets = net.subnets as string[];
    if (!subnets.length) throw new EcsError('InvalidParameterException', 'subnets can not be empty.');
    for (const sn of subnets) {
      if (!this.options.subnets[sn]) {
        throw new EcsError(
          'InvalidParameterException',
          `Error retrieving subnet information for [${sn}]: The subnet ID '${sn}' does not exist (ErrorCode: InvalidSubnetID.NotFound)`,
        );
      }
    }
  }

  private activeService(req: Json): Svc {
    const cluster = this.clusterName(req.cluster);
    const s = this.services.get(this.serviceKey(cluster, req.service as string));
    if (!s) throw new EcsError('ServiceNotFoundException', 'Service not found.');
    if (s.status !== 'ACTIVE') throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    return s;
  }

  opUpdateService(req: Json): Json {
    const s = this.activeService(req);
    const now = this.clock.now();
    const before = this.serviceView(s, false);
    let newDeployment = req.forceNewDeployment === true;
    if (req.taskDefinition !== undefined) {
      const td = this.findTaskDef(req.taskDefinition as string);
      if (!td) throw new EcsError('ClientException', 'Unable to describe task definition.');
      if (td.status !== 'ACTIVE') throw new EcsError('ClientException', 'TaskDefinition is inactive');
      if (td.arn !== s.tdArn) newDeployment = true;
      this.checkNetwork({ networkConfiguration: req.networkConfiguration ?? s.request.networkConfiguration }, td);
      s.tdArn = td.arn;
    }
    for (const k of [
      'networkConfiguration',
      'capacityProviderStrategy',
      'deploymentConfiguration',
      'platformVersion',
    ] as const) {
      if (req[k] !== undefined) {
        if (JSON.stringify(req[k]) !== JSON.stringify(s.request[k])) newDeployment = true;
        s.request = { ...s.request, [k]: req[k] };
      }
    }
    if (req.desiredCount !== undefined) s.desiredCount = req.desiredCount as number;
    if (newDeployment) {
      s.deployments.unshift({
        id: `ecs-svc/${this.hex(19).replace(/[a-f]/g, '3')}`,
        tdArn: s.tdArn,
        createdAt: now,
        updatedAt: now,
      });
      // a forced deployment replaces every task, even with the same task definition
      if (s.deployments[1]?.tdArn === s.tdArn) {
        for (const t of this.aliveTasks(s.name, s.cluster))
          this.stop(t, now, 'ServiceSchedulerInitiated', 'Deployment replaced the task');
        s.deployments.length = 1;
      }
    } else if (s.deployments[0]) s.deployments[0].updatedAt = now;
    s.steady = false;
    this.serviceReads.write(this.serviceKey(s.cluster, s.name), now, before);
    this.reconcile();
    return { service: this.serviceView(s, false) };
  }

  opDeleteService(req: Json): Json {
    const s = this.activeService(req);
    if (s.desiredCount > 0 && req.force !== true)
      throw new EcsError('InvalidParameterException', 'The service cannot be stopped while it is scaled above 0.');
    const now = this.clock.now();
    this.serviceReads.write(this.serviceKey(s.cluster, s.name), now, this.serviceView(s, false));
    s.status = 'DRAINING';
    s.desiredCount = 0;
    for (const t of this.aliveTasks(s.name, s.cluster))
      this.stop(t, now, 'ServiceSchedulerInitiated', 'Service deleted');
    const view = this.serviceView(s, false);
    this.reconcile();
    return { service: view };
  }

  opListServices(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const arns = [...this.services.values()]
      .filter((s) => s.cluster === cluster && (this.seen(s)?.status ?? 'INACTIVE') !== 'INACTIVE')
      .map((s) => s.arn);
    const p = this.page(arns, req, 10);
    return { serviceArns: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  }

  opDescribeServices(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const refs = req.services as string[];
    if (refs.length > 10) throw new EcsError('InvalidParameterException', 'services can have at most 10 items.');
    const withTags = ((req.include as string[] | undefined) ?? []).includes('TAGS');
    const services: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const s = this.services.get(this.serviceKey(cluster, ref));
      const seen = s && this.seen(s);
      if (s && seen) services.push(withTags ? { ...seen, tags: this.seenTags(s) } : seen);
      else
        failures.push({ arn: ref.startsWith('arn:') ? ref : this.arn(`service/${cluster}/${ref}`), reason: 'MISSING' });
    }
    return { services, failures };
  }

  opListTasks(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const now = this.clock.now();
    const named =
      req.serviceName === undefined
        ? undefined
        : this.services.get(this.serviceKey(cluster, req.serviceName as string));
    if (req.serviceName !== undefined && (!named || !this.seen(named))) {
      throw new EcsError('ServiceNotFoundException', 'Service not found.');
    }
    const desired = (req.desiredStatus as string | undefined) ?? 'RUNNING';
    const tasks = [...this.tasks.values()].filter(
      (t) =>
        t.cluster === cluster &&
        this.taskSeen(t, now) &&
        (req.serviceName === undefined || t.service === req.serviceName) &&
        (desired === 'STOPPED' ? t.stopAt !== undefined && now - t.stopAt < 3_600_000 : t.stopAt === undefined) &&
        (desired !== 'PENDING' || ['PROVISIONING', 'PENDING'].includes(this.lastStatus(t, now))),
    );
    const p = this.page(
      tasks.map((t) => t.arn),
      req,
      100,
    );
    return { taskArns: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  }

  /**
   * Task scale-in protection: a protected task is not stopped when its service's desired count
   * goes down, until `expiresInMinutes` (default 120) pass. Only a service's running task can be
   * protected; others come back as failures (TASK_NOT_VALID), as the API reference says.
   */
  opUpdateTaskProtection(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const refs = req.tasks as string[];
    if (refs.length > 10) throw new EcsError('InvalidParameterException', 'tasks can have at most 10 items.');
    const minutes = (req.expiresInMinutes as number | undefined) ?? 120;
    if (minutes < 1 || minutes > 2880)
      throw new EcsError('InvalidParameterException', 'expiresInMinutes must be between 1 and 2880.');
    const now = this.clock.now();
    const protectedTasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const t = this.tasks.get(ref.startsWith('arn:') ? ref : this.arn(`task/${cluster}/${ref}`));
      if (!t || t.cluster !== cluster || !this.taskSeen(t, now)) {
        failures.push({ arn: ref, reason: 'MISSING' });
        continue;
      }
      if (t.stopAt !== undefined) {
        failures.push({ arn: t.arn, reason: 'TASK_NOT_VALID', detail: 'The task is not running' });
        continue;
      }
      if (req.protectionEnabled === true) t.protectedUntil = now + minutes * 60_000;
      else delete t.protectedUntil;
      protectedTasks.push({
        taskArn: t.arn,
        protectionEnabled: req.protectionEnabled === true,
        ...(req.protectionEnabled === true ? { expirationDate: t.protectedUntil! / 1000 } : {}),
      });
    }
    return { protectedTasks, failures };
  }

  opDescribeTasks(req: Json): Json {
    const cluster = this.clusterName(req.cluster);
    const refs = req.tasks as string[];
    if (refs.length > 100) throw new EcsError('InvalidParameterException', 'tasks can have at most 100 items.');
    const withTags = ((req.include as string[] | undefined) ?? []).includes('TAGS');
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const t = this.tasks.get(ref.startsWith('arn:') ? ref : this.arn(`task/${cluster}/${ref}`));
      if (t && t.cluster === cluster && this.taskSeen(t, this.clock.now()))
        tasks.push(this.taskView(t, withTags, this.services.get(this.serviceKey(cluster, t.service))));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  opDescribeClusters(req: Json): Json {
    const refs = (req.clusters as string[] | undefined) ?? ['default'];
    const clusters: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const name = ref.slice(ref.lastIndexOf('/') + 1);
      if (!this.clusters.has(name)) {
        failures.push({ arn: ref.startsWith('arn:') ? ref : this.arn(`cluster/${name}`), reason: 'MISSING' });
        continue;
      }
      const services = [...this.services.values()].filter((s) => s.cluster === name && s.status === 'ACTIVE');
      const tasks = [...this.tasks.values()].filter((t) => t.cluster === name && t.stopAt === undefined);
      const attached = this.capacityProviders.get(name) ?? [];
      clusters.push({
        clusterArn: this.arn(`cluster/${name}`),
        clusterName: name,
        status: 'ACTIVE',
        registeredContainerInstancesCount: 0,
        runningTasksCount: tasks.filter((t) => this.lastStatus(t, this.clock.now()) === 'RUNNING').length,
        pendingTasksCount: tasks.filter((t) => this.lastStatus(t, this.clock.now()) !== 'RUNNING').length,
        activeServicesCount: services.length,
        statistics: [],
        tags: [],
        capacityProviders: attached,
        defaultCapacityProviderStrategy: attached.includes('FARGATE')
          ? [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }]
          : [],
      });
    }
    return { clusters, failures };
  }

  opTagResource(req: Json): Json {
    const arn = req.resourceArn as string;
    const tags = req.tags as Tag[];
    const target =
      [...this.services.values()].find((s) => s.arn === arn) ??
      [...this.taskDefs.values()].flat().find((t) => t.arn === arn);
    if (!target) throw new EcsError('InvalidParameterException', 'The specified resource is not found.');
    if ('deployments' in target) this.tagReads.write(target.arn, this.clock.now(), this.seenTags(target));
    const merged = new Map(target.tags.map((t) => [t.key, t.value]));
    for (const t of tags) merged.set(t.key, t.value);
    if (merged.size > 50) throw new EcsError('InvalidParameterException', 'Too many tags: at most 50.');
    target.tags = [...merged].map(([key, value]) => ({ key, value }));
    return {};
  }

  opListTagsForResource(req: Json): Json {
    const arn = req.resourceArn as string;
    const target =
      [...this.services.values()].find((s) => s.arn === arn) ??
      [...this.taskDefs.values()].flat().find((t) => t.arn === arn);
    if (!target) throw new EcsError('InvalidParameterException', 'The specified resource is not found.');
    return { tags: 'deployments' in target ? this.seenTags(target) : target.tags };
  }

  // --- eventual consistency ---------------------------------------------------------------------

  /** The service as ListServices/DescribeServices show it now (undefined: not visible yet). */
  private seen(s: Svc): Json | undefined {
    return this.serviceReads.read(this.serviceKey(s.cluster, s.name), this.clock.now(), () =>
      this.serviceView(s, false),
    );
  }

  /** The service's tags as ListTagsForResource/DescribeServices show them now. */
  private seenTags(s: Svc): Tag[] {
    return this.tagReads.read(s.arn, this.clock.now(), () => s.tags) ?? [];
  }

  /** Whether ListTasks/DescribeTasks show the task yet. */
  private taskSeen(t: EcsTask, now: number): boolean {
    return now - t.launchedAt >= this.serviceReads.lagMs;
  }
}

/** Valid Fargate task sizes (cpu units, memory MiB), independent of the provider's own table. */
const FARGATE_PAIRS: Array<[number, number[]]> = [
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, Array.from({ length: 7 }, (_, i) => 2048 + i * 1024)],
  [2048, Array.from({ length: 13 }, (_, i) => 4096 + i * 1024)],
  [4096, Array.from({ length: 23 }, (_, i) => 8192 + i * 1024)],
  [8192, Array.from({ length: 12 }, (_, i) => 16384 + i * 4096)],
  [16384, Array.from({ length: 12 }, (_, i) => 32768 + i * 8192)],
];

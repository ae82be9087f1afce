import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  TagResourceCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { CallLog } from '../../src/calllog/index.js';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import { LABELS, MANAGED_BY } from '../../src/provider/labels.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedReplica,
  ObservedSlice,
  Provider,
  SliceKey,
  SliceSelector,
  TargetDescription,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { canonicalJson } from '../../src/spec/revision.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { type CallContext, callContext, installCallLog } from './calllog.js';
import { classifyEcsError } from './errors.js';
import {
  ECS_TAGS,
  type MappedSlice,
  mapSlice,
  portsFromTag,
  replicaFromTask,
  sliceFromService,
  tagMap,
  taskNetwork,
} from './mapping.js';
import { arnName, clientToken, familyName, parseServiceName, serviceName, servicePrefix } from './names.js';
import type { AwsEcsTargetSettings } from './settings.js';

export interface AwsEcsProviderOptions {
  /** A ready client (tests: static credentials, an emulator endpoint, a fast retry strategy). */
  client?: ECSClient;
  /** Receives one entry per HTTP attempt the client sends. */
  callLog?: CallLog;
  /** Time for call-log entries and for how long an observed snapshot may answer `apply`. */
  clock?: Clock;
  /**
   * For this long after an `observe`, `apply` of a slice that observe saw exactly as desired makes
   * no call at all (steady state costs only observe's List+Describe). Any difference is re-read
   * before a write. 0 turns it off. Default 15 s.
   */
  observeReuseMs?: number;
  /**
   * Resolves ENI ids to public IPs (EC2 DescribeNetworkInterfaces: ECS does not report public IPs).
   * Used when `assignPublicIp` is on; without it endpoints carry the private IP.
   */
  resolvePublicIps?: (eniIds: string[]) => Promise<Record<string, string>>;
}

interface Ctx {
  deployment: string | null;
  reason: string;
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
}

interface TaskView {
  signature: string;
  replicas: ObservedReplica[];
  missing: string[];
}

const WRITE_OPS = new Set([
  'RegisterTaskDefinition',
  'DeregisterTaskDefinition',
  'CreateService',
  'UpdateService',
  'DeleteService',
  'TagResource',
]);

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * AWS ECS on Fargate. A slice is one service per (deployment, revision, zone) pinned to that
 * zone's subnets, with desiredCount = its replicas; a task definition family per deployment, a
 * revision registered only when its content changes. Identity lives in tags and in names.
 */
export class AwsEcsProvider implements Provider {
  readonly kind = 'aws-ecs';
  readonly target: string;
  readonly client: ECSClient;
  private readonly ownsClient: boolean;
  private readonly clock: Clock;
  private readonly reuseMs: number;
  /** Services seen by the latest observe, by name, with when. */
  private readonly snapshot = new Map<string, { service: Service; at: number }>();
  /** Task views by service name, reused while the service's counters and events are unchanged. */
  private readonly tasks = new Map<string, TaskView>();
  /** Task definition ARN by content hash. */
  private readonly taskDefs = new Map<string, string>();
  private readonly familyLocks = new Map<string, Promise<unknown>>();

  constructor(
    readonly settings: AwsEcsTargetSettings,
    private readonly ctx: ProviderContext,
    private readonly options: AwsEcsProviderOptions = {},
  ) {
    this.target = settings.name;
    // ProviderContext.callLog (createFleet({ callLog }), --call-log) when no log is passed directly
    if (!options.callLog && ctx.callLog) this.options = { ...options, callLog: ctx.callLog };
    this.clock = options.clock ?? ctx.clock ?? systemClock;
    this.reuseMs = options.observeReuseMs ?? 15_000;
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new ECSClient({
        region: settings.region,
        maxAttempts: settings.maxAttempts,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(settings.credentials ? { credentials: settings.credentials } : {}),
      });
    installCallLog(this.client);
  }

  describe(): TargetDescription {
    const s = this.settings;
    return {
      target: s.name,
      kind: this.kind,
      topology: { provider: 'aws', region: s.region, zones: Object.keys(s.subnets).sort() },
      capabilities: {
        maxCpuMillis: 16_000,
        maxMemoryMiB: 122_880,
        maxPorts: 100,
        maxContainers: 10,
        probes: ['httpGet', 'tcpSocket', 'exec'],
        nativeTrafficSplit: false,
        scaleToZero: true,
        publicEndpoints: s.assignPublicIp,
        gpu: false,
      },
      ...(s.maxReplicasPerZone !== undefined ? { maxReplicasPerZone: s.maxReplicasPerZone } : {}),
      ...(s.pricePerReplicaHour !== undefined ? { pricePerReplicaHour: s.pricePerReplicaHour } : {}),
    };
  }

  // --- calls ------------------------------------------------------------------------------------

  private writes = 0;

  private async send<T>(operation: string, command: unknown, ctx: Ctx): Promise<T> {
    const store: CallContext = {
      ...(this.options.callLog ? { callLog: this.options.callLog } : {}),
      target: this.target,
      deployment: ctx.deployment,
      reason: ctx.reason,
      secrets: ctx.secrets,
      now: () => this.clock.now(),
    };
    return callContext.run(store, async () => {
      try {
        ctx.signal?.throwIfAborted();
        // biome-ignore lint/suspicious/noExplicitAny: one generic path for every command
        const out = (await this.client.send(command as any, ctx.signal ? { abortSignal: ctx.signal } : {})) as T;
        if (WRITE_OPS.has(operation)) this.writes++;
        return out;
      } catch (err) {
        throw classifyEcsError(err, { target: this.target, operation });
      }
    });
  }

  private async listServiceNames(prefix: string, ctx: Ctx): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send<{ serviceArns?: string[]; nextToken?: string }>(
        'ListServices',
        new ListServicesCommand({
          cluster: this.settings.cluster,
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }),
        ctx,
      );
      for (const arn of page.serviceArns ?? []) {
        const name = arnName(arn);
        if (name.startsWith(prefix)) names.push(name);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  private async describeServices(names: readonly string[], ctx: Ctx): Promise<Service[]> {
    const out: Service[] = [];
    for (const batch of chunks(names, 10)) {
      const res = await this.send<{ services?: Service[] }>(
        'DescribeServices',
        new DescribeServicesCommand({ cluster: this.settings.cluster, services: batch, include: ['TAGS'] }),
        ctx,
      );
      out.push(...(res.services ?? []));
    }
    return out;
  }

  private async describeOne(name: string, ctx: Ctx): Promise<Service | undefined> {
    const [s] = await this.describeServices([name], ctx);
    return s;
  }

  private ours(s: Service, fleet: string): boolean {
    const t = tagMap(s.tags);
    return t[LABELS.managedBy] === MANAGED_BY && t[LABELS.fleet] === fleet && t[LABELS.target] === this.target;
  }

  // --- observe ----------------------------------------------------------------------------------

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    const ctx: Ctx = {
      deployment: selector.deployment ?? null,
      reason: options.reason ?? 'observe',
      secrets: [],
      signal: options.signal,
    };
    const prefix = servicePrefix(this.target, selector.fleet, selector.deployment);
    const names = await this.listServiceNames(prefix, ctx);
    const services = (await this.describeServices(names, ctx)).filter(
      (s) => s.status === 'ACTIVE' && this.ours(s, selector.fleet),
    );
    const now = this.clock.now();
    for (const name of [...this.snapshot.keys()]) if (name.startsWith(prefix)) this.snapshot.delete(name);
    for (const s of services) this.snapshot.set(s.serviceName!, { service: s, at: now });

    // Tasks are read only for services whose counters or events moved since a fully ready view.
    const stale = services.filter((s) => this.tasks.get(s.serviceName!)?.signature !== signature(s));
    const running = new Map<string, string[]>();
    const stopped = new Map<string, string[]>();
    for (const s of stale) {
      running.set(s.serviceName!, await this.listTasks(s.serviceName!, 'RUNNING', ctx));
      if ((running.get(s.serviceName!)?.length ?? 0) < (s.desiredCount ?? 0)) {
        stopped.set(s.serviceName!, await this.listTasks(s.serviceName!, 'STOPPED', ctx, 10));
      }
    }
    const allArns = [...running.values(), ...stopped.values()].flat();
    const described = new Map<string, Task>();
    for (const batch of chunks(allArns, 100)) {
      const res = await this.send<{ tasks?: Task[] }>(
        'DescribeTasks',
        new DescribeTasksCommand({ cluster: this.settings.cluster, tasks: batch }),
        ctx,
      );
      for (const t of res.tasks ?? []) if (t.taskArn) described.set(t.taskArn, t);
    }
    const publicIps = await this.publicIps([...described.values()]);

    const out: ObservedSlice[] = [];
    for (const s of services) {
      const parsed = parseServiceName(s.serviceName!);
      if (!parsed) continue;
      const tags = tagMap(s.tags);
      const name = s.serviceName!;
      let view = this.tasks.get(name);
      if (running.has(name)) {
        const hc = tags[ECS_TAGS.healthChecked] === 'true';
        const ports = portsFromTag(tags[ECS_TAGS.ports]);
        const replicas = (running.get(name) ?? [])
          .map((arn) => described.get(arn))
          .filter((t): t is Task => t !== undefined)
          .map((t) => {
            const eni = taskNetwork(t).eniId;
            const host = eni ? publicIps[eni] : undefined;
            return replicaFromTask(t, { healthChecked: hc, ports, ...(host ? { host } : {}) });
          })
          .sort((a, b) => a.id.localeCompare(b.id));
        const missing = (stopped.get(name) ?? [])
          .map((arn) => described.get(arn))
          .filter((t): t is Task => t !== undefined)
          .sort((a, b) => Number(b.stoppedAt ?? 0) - Number(a.stoppedAt ?? 0))
          .map((t) => `task ${arnName(t.taskArn ?? '')} stopped: ${t.stoppedReason ?? t.stopCode ?? 'unknown reason'}`);
        view = { signature: signature(s), replicas, missing };
        const settled = replicas.length === (s.desiredCount ?? 0) && replicas.every((r) => r.ready);
        if (settled) this.tasks.set(name, view);
        else this.tasks.delete(name);
      }
      out.push(sliceFromService(this.target, parsed.key, s, view?.replicas ?? [], view?.missing ?? []));
    }
    return out.sort((a, b) => sliceOrder(a.key).localeCompare(sliceOrder(b.key)));
  }

  private async listTasks(
    service: string,
    desiredStatus: 'RUNNING' | 'STOPPED',
    ctx: Ctx,
    limit?: number,
  ): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send<{ taskArns?: string[]; nextToken?: string }>(
        'ListTasks',
        new ListTasksCommand({
          cluster: this.settings.cluster,
          serviceName: service,
          desiredStatus,
          maxResults: limit ?? 100,
          ...(nextToken ? { nextToken } : {}),
        }),
        ctx,
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = limit ? undefined : page.nextToken;
    } while (nextToken);
    return arns;
  }

  private async publicIps(tasks: Task[]): Promise<Record<string, string>> {
    if (!this.settings.assignPublicIp || !this.options.resolvePublicIps) return {};
    const enis = tasks.map((t) => taskNetwork(t).eniId).filter((x): x is string => !!x);
    if (!enis.length) return {};
    try {
      return await this.options.resolvePublicIps(enis);
    } catch (err) {
      throw classifyEcsError(err, { target: this.target, operation: 'resolvePublicIps' });
    }
  }

  // --- apply ------------------------------------------------------------------------------------

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    if (slice.key.fleet !== this.ctx.fleet) {
      throw new ValidationError([
        {
          path: 'fleet',
          message: `slice of fleet "${slice.key.fleet}" sent to a provider of fleet "${this.ctx.fleet}"`,
        },
      ]);
    }
    const mapped = mapSlice(this.target, this.settings, slice); // throws before any call
    const ctx: Ctx = {
      deployment: slice.key.deployment,
      reason: options.reason ?? 'apply',
      secrets: Object.values(slice.secrets ?? {}),
      signal: options.signal,
    };
    const seen = this.snapshot.get(mapped.serviceName);
    if (seen && this.clock.now() - seen.at <= this.reuseMs && this.upToDate(seen.service, mapped, slice.replicas)) {
      return { changed: false, writes: 0 };
    }
    const before = this.writes;
    this.snapshot.delete(mapped.serviceName);
    const current = await this.describeOne(mapped.serviceName, ctx);
    if (current?.status === 'DRAINING') {
      throw new ProviderError(
        `service ${mapped.serviceName} is still draining from an earlier delete; retry when it is gone`,
        {
          provider: this.kind,
          target: this.target,
          retryable: true,
          providerCode: 'ServiceDraining',
          operation: 'apply',
        },
      );
    }
    if (current?.status !== 'ACTIVE') {
      await this.create(mapped, slice, ctx);
    } else if (!this.upToDate(current, mapped, slice.replicas)) {
      const tags = tagMap(current.tags);
      if (tags[ECS_TAGS.specHash] !== mapped.specHash) {
        const taskDefinition = await this.taskDefinitionFor(mapped, ctx, current);
        await this.send(
          'UpdateService',
          new UpdateServiceCommand({
            cluster: this.settings.cluster,
            service: mapped.serviceName,
            taskDefinition,
            desiredCount: slice.replicas,
            networkConfiguration: mapped.service.networkConfiguration,
            capacityProviderStrategy: mapped.service.capacityProviderStrategy,
            deploymentConfiguration: mapped.service.deploymentConfiguration,
            platformVersion: mapped.service.platformVersion,
            forceNewDeployment: true,
          }),
          ctx,
        );
        await this.send(
          'TagResource',
          new TagResourceCommand({ resourceArn: current.serviceArn!, tags: mapped.serviceTags }),
          ctx,
        );
        if (current.taskDefinition && current.taskDefinition !== taskDefinition) {
          await this.collectTaskDefinition(current.taskDefinition, slice.key, mapped.family, ctx);
        }
      } else {
        await this.send(
          'UpdateService',
          new UpdateServiceCommand({
            cluster: this.settings.cluster,
            service: mapped.serviceName,
            desiredCount: slice.replicas,
          }),
          ctx,
        );
      }
    }
    this.tasks.delete(mapped.serviceName);
    const writes = this.writes - before;
    return { changed: writes > 0, writes };
  }

  private upToDate(s: Service, mapped: MappedSlice, replicas: number): boolean {
    return (
      s.status === 'ACTIVE' &&
      tagMap(s.tags)[ECS_TAGS.specHash] === mapped.specHash &&
      (s.desiredCount ?? 0) === replicas
    );
  }

  private async create(mapped: MappedSlice, slice: DesiredSlice, ctx: Ctx): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const taskDefinition = await this.taskDefinitionFor(mapped, ctx);
      try {
        await this.send(
          'CreateService',
          new CreateServiceCommand({
            cluster: this.settings.cluster,
            serviceName: mapped.serviceName,
            taskDefinition,
            desiredCount: slice.replicas,
            clientToken: clientToken(mapped.serviceName, taskDefinition),
            ...mapped.service,
            tags: mapped.serviceTags,
          }),
          ctx,
        );
        return;
      } catch (err) {
        // a cached task definition deregistered meanwhile (by another instance's cleanup): find or register again, once
        if (attempt === 0 && err instanceof ProviderError && /task ?definition.*inactive/i.test(err.message)) {
          for (const [h, arn] of this.taskDefs) if (arn === taskDefinition) this.taskDefs.delete(h);
          continue;
        }
        throw err;
      }
    }
  }

  /** Runs `fn` alone for a family: task definition lookups, registrations and cleanups don't race. */
  private async withFamily<T>(family: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.familyLocks.get(family) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.familyLocks.set(family, tail);
    try {
      return await run;
    } finally {
      if (this.familyLocks.get(family) === tail) this.familyLocks.delete(family);
    }
  }

  /**
   * The ARN of a task definition revision with this content: from memory, from a service of the
   * same deployment seen by observe, from the family's newest revisions (by the content-hash tag),
   * or registered now.
   */
  private taskDefinitionFor(mapped: MappedSlice, ctx: Ctx, hint?: Service): Promise<string> {
    return this.withFamily(mapped.family, async () => {
      const known = this.taskDefs.get(mapped.taskDefHash);
      if (known) return known;
      for (const service of [...(hint ? [hint] : []), ...[...this.snapshot.values()].map((x) => x.service)]) {
        if (tagMap(service.tags)[ECS_TAGS.taskDefHash] === mapped.taskDefHash && service.taskDefinition) {
          this.taskDefs.set(mapped.taskDefHash, service.taskDefinition);
          return service.taskDefinition;
        }
      }
      const list = await this.send<{ taskDefinitionArns?: string[] }>(
        'ListTaskDefinitions',
        new ListTaskDefinitionsCommand({ familyPrefix: mapped.family, status: 'ACTIVE', sort: 'DESC', maxResults: 10 }),
        ctx,
      );
      for (const arn of (list.taskDefinitionArns ?? []).filter((a) => arnName(a).startsWith(`${mapped.family}:`))) {
        const d = await this.send<{ tags?: Array<{ key?: string; value?: string }> }>(
          'DescribeTaskDefinition',
          new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
          ctx,
        );
        if (tagMap(d.tags)[ECS_TAGS.taskDefHash] === mapped.taskDefHash) {
          this.taskDefs.set(mapped.taskDefHash, arn);
          return arn;
        }
      }
      const reg = await this.send<{ taskDefinition?: { taskDefinitionArn?: string } }>(
        'RegisterTaskDefinition',
        new RegisterTaskDefinitionCommand({ ...mapped.taskDefinition, tags: mapped.taskDefTags }),
        ctx,
      );
      const arn = reg.taskDefinition?.taskDefinitionArn;
      if (!arn)
        throw new ProviderError('RegisterTaskDefinition returned no ARN', {
          provider: this.kind,
          target: this.target,
          retryable: true,
          operation: 'RegisterTaskDefinition',
        });
      this.taskDefs.set(mapped.taskDefHash, arn);
      return arn;
    });
  }

  /** Deregisters a task definition revision once no service of its deployment uses it. */
  private collectTaskDefinition(arn: string, key: SliceKey, family: string, ctx: Ctx, except?: string): Promise<void> {
    return this.withFamily(family, async () => {
      const names = (await this.listServiceNames(servicePrefix(this.target, key.fleet, key.deployment), ctx)).filter(
        (n) => n !== except,
      );
      const others = await this.describeServices(names, ctx);
      const used = new Set<string>();
      for (const s of others) {
        // a draining service keeps its tasks until they stop; deregistering does not disturb them
        if (s.status !== 'ACTIVE') continue;
        if (s.taskDefinition) used.add(s.taskDefinition);
        for (const d of s.deployments ?? []) if (d.taskDefinition) used.add(d.taskDefinition);
      }
      if (used.has(arn)) return;
      await this.send('DeregisterTaskDefinition', new DeregisterTaskDefinitionCommand({ taskDefinition: arn }), ctx);
      for (const [h, a] of this.taskDefs) if (a === arn) this.taskDefs.delete(h);
    });
  }

  // --- remove -----------------------------------------------------------------------------------

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    const ctx: Ctx = {
      deployment: key.deployment,
      reason: options.reason ?? 'delete',
      secrets: [],
      signal: options.signal,
    };
    const name = serviceName(this.target, key);
    this.snapshot.delete(name);
    this.tasks.delete(name);
    const before = this.writes;
    const current = await this.describeOne(name, ctx);
    if (current?.status !== 'ACTIVE') return { changed: false, writes: 0 };
    const gone = (err: unknown) =>
      err instanceof ProviderError &&
      (err.providerCode === 'ServiceNotFoundException' || err.providerCode === 'ServiceNotActiveException');
    try {
      if ((current.desiredCount ?? 0) > 0) {
        await this.send(
          'UpdateService',
          new UpdateServiceCommand({ cluster: this.settings.cluster, service: name, desiredCount: 0 }),
          ctx,
        );
      }
      await this.send(
        'DeleteService',
        new DeleteServiceCommand({ cluster: this.settings.cluster, service: name, force: true }),
        ctx,
      );
    } catch (err) {
      if (!gone(err)) throw err;
    }
    if (current.taskDefinition)
      await this.collectTaskDefinition(
        current.taskDefinition,
        key,
        familyName(this.target, key.fleet, key.deployment),
        ctx,
        name,
      );
    const writes = this.writes - before;
    return { changed: writes > 0, writes };
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

/** What must stay the same for a cached task view to still be true. */
function signature(s: Service): string {
  return canonicalJson({
    d: s.desiredCount,
    r: s.runningCount,
    p: s.pendingCount,
    td: s.taskDefinition,
    deployments: (s.deployments ?? []).map((d) => [
      d.id,
      d.status,
      d.rolloutState,
      d.runningCount,
      d.pendingCount,
      d.failedTasks,
      d.taskDefinition,
    ]),
    event: s.events?.[0]?.id,
  });
}

function sliceOrder(k: SliceKey): string {
  return `${k.deployment}|${k.revision}|${k.zone}`;
}

export { serviceName };

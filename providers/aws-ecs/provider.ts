import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { CallLog } from '../../src/calllog/index.js';
import { ProviderError } from '../../src/errors/index.js';
import { CallRecorder } from '../../src/provider/kit/call-recorder.js';
import { KeyedLock } from '../../src/provider/kit/keyed-lock.js';
import { assertSliceFleet, isOwned } from '../../src/provider/kit/ownership.js';
import { targetDescription } from '../../src/provider/kit/target-description.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedSlice,
  Provider,
  SecretReference,
  SliceKey,
  SliceSelector,
  TargetDescription,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { type CallCtx, EcsApi } from './api.js';
import { ClusterCheck } from './cluster-check.js';
import { type ReadService, WrittenServices } from './consistency.js';
import { type MappedSlice, mapSlice } from './mapping.js';
import {
  arnName,
  clientToken,
  ECS_TAGS,
  familyName,
  parseServiceName,
  serviceName,
  servicePrefix,
  tagMap,
} from './names.js';
import { TaskViews } from './observe.js';
import { type Ec2Module, publicIpResolver } from './public-ips.js';
import { DeploymentRetries, type RetryPolicy } from './recovery.js';
import { EcsSecretVersions, type SecretStoreModules, defaultSecretStoreModules } from './secret-versions.js';
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
   * Resolves ENI ids to public IPs (ECS does not report public IPs). Used when `assignPublicIp` is
   * on. Default: EC2 DescribeNetworkInterfaces through `@aws-sdk/client-ec2` when it is installed
   * (loaded on first use); without either, endpoints carry the private IP.
   */
  resolvePublicIps?: (eniIds: string[]) => Promise<Record<string, string>>;
  /**
   * Loads the EC2 client module (tests); default `import('@aws-sdk/client-ec2')` when installed (an
   * optional dependency, installed by default). `null`: as if it were not installed.
   */
  ec2Module?: (() => Promise<Ec2Module>) | null;
  /** Loads the Secrets Manager and SSM client modules (tests); default: the installed packages. */
  secretStoreModules?: SecretStoreModules;
  /**
   * When to force a new deployment of a service whose deployment the circuit breaker failed:
   * `baseMs` after the failure is seen, doubling per failed retry up to `maxMs`. Default 30 s, 15 min.
   */
  deploymentRetry?: RetryPolicy;
  /**
   * ECS reads are eventually consistent (consistency.ts): for this long after this instance wrote a
   * service, a ListServices/DescribeServices that does not show the write yet is taken as stale
   * (the write's answer stands in for it), and a service of skyfleet's name created this recently
   * without skyfleet's tags is taken as ours with tags still to show. 0 turns it off. Default 5 min.
   */
  consistencyWindowMs?: number;
}

/**
 * AWS ECS on Fargate. A slice is one service per (deployment, revision, zone) pinned to that
 * zone's subnets, with desiredCount = its replicas; a task definition family per deployment, a
 * revision registered only when its content changes. Identity lives in tags and in names.
 */
/** How long the tasks a scale-in keeps stay protected: long enough for the update that follows. */
const SCALE_IN_PROTECTION_MINUTES = 5;

export class AwsEcsProvider implements Provider {
  readonly kind = 'aws-ecs';
  readonly target: string;
  readonly client: ECSClient;
  private readonly ownsClient: boolean;
  private readonly clock: Clock;
  private readonly reuseMs: number;
  private readonly api: EcsApi;
  /** Services seen by the latest observe, by name, with when. */
  private readonly snapshot = new Map<string, { service: ReadService; at: number }>();
  /** Services this instance wrote lately, standing in for reads that do not show the writes yet. */
  private readonly written: WrittenServices;
  /** Task views by service name, reused while the service's counters and events are unchanged. */
  private readonly tasks = new TaskViews();
  /** Task definition ARN by content hash. */
  private readonly taskDefs = new Map<string, string>();
  /** Task definition lookups, registrations and cleanups of one family run one at a time. */
  private readonly familyLocks = new KeyedLock();
  /** Forced new deployments of services whose deployment failed, with their backoff. */
  private readonly retries: DeploymentRetries;
  /** The cluster and its capacity provider, read once (at admission, else before the first create). */
  private readonly cluster: ClusterCheck;
  /** Whether public IPs can be resolved (assignPublicIp and a resolver or the EC2 client). */
  private readonly publicIps: boolean;
  private readonly closeEc2: () => void = () => {};
  /** Reads the versions of the secrets the tasks name (made on first use). */
  private secretStores: EcsSecretVersions | undefined;

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
    this.retries = new DeploymentRetries(options.deploymentRetry);
    this.cluster = new ClusterCheck(settings, () => this.api);
    this.written = new WrittenServices(this.clock, options.consistencyWindowMs);
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new ECSClient({
        region: settings.region,
        maxAttempts: settings.maxAttempts,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(settings.credentials ? { credentials: settings.credentials } : {}),
      });
    const ips = publicIpResolver(settings, options, () => ({
      ...this.sdkConfig(),
      ...(settings.ec2Endpoint ? { endpoint: settings.ec2Endpoint } : {}),
    }));
    this.api = new EcsApi(this.client, {
      cluster: settings.cluster,
      target: this.target,
      recorder: new CallRecorder({
        cloud: 'aws-ecs',
        target: this.target,
        log: this.options.callLog,
        clock: this.clock,
      }),
      clock: this.clock,
      resolvePublicIps: ips?.resolve,
    });
    this.publicIps = ips !== undefined;
    if (ips?.close) this.closeEc2 = ips.close;
  }

  /** The config of the target's other AWS clients (EC2, Secrets Manager, SSM): the ECS client's region and credentials (static, or its provider chain). */
  private sdkConfig(): Record<string, unknown> {
    const s = this.settings;
    return {
      region: s.region,
      maxAttempts: s.maxAttempts,
      credentials: s.credentials ?? this.client.config.credentials,
    };
  }

  describe(): TargetDescription {
    const s = this.settings;
    const notes = !s.assignPublicIp
      ? [
          `tasks get only private IPs in the VPC of subnets ${Object.values(s.subnets).flat().join(', ')}: the load balancer (skyfleet's router or nginx) must run inside that VPC or reach it (peering, VPN); set assignPublicIp: true for public IPs`,
        ]
      : this.publicIps
        ? []
        : [
            `public IPs cannot be resolved: ECS reports only private IPs and the EC2 client (@aws-sdk/client-ec2) is not installed; install it (and allow ec2:DescribeNetworkInterfaces) or run the load balancer inside the VPC`,
          ];
    const description = targetDescription(
      {
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
          nativeAutoscaling: false,
          publicEndpoints: this.publicIps,
          gpu: false,
        },
      },
      s,
    );
    return notes.length ? { ...description, notes } : description;
  }

  // --- observe ----------------------------------------------------------------------------------

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    const ctx: CallCtx = {
      deployment: selector.deployment ?? null,
      reason: options.reason ?? 'observe',
      secrets: [],
      signal: options.signal,
    };
    const prefix = servicePrefix(this.target, selector.fleet, selector.deployment);
    const services = (await this.readServices(prefix, ctx)).filter(
      (s) =>
        s.status === 'ACTIVE' &&
        (s.tagsPending || isOwned(tagMap(s.tags), { fleet: selector.fleet, target: this.target })),
    );
    const now = this.clock.now();
    for (const name of [...this.snapshot.keys()]) if (name.startsWith(prefix)) this.snapshot.delete(name);
    for (const s of services) {
      this.snapshot.set(s.serviceName!, { service: s, at: now });
      this.retries.due(s, now); // starts the backoff of a failure from when it is first seen
    }

    // Tasks are read only for services whose counters or events moved since a fully ready view.
    const running = new Map<string, string[]>();
    const stopped = new Map<string, string[]>();
    // a service known only from this instance's write is not listed yet, nor are its tasks
    for (const s of this.tasks.stale(services.filter((x) => !x.fromWrite))) {
      const name = s.serviceName!;
      running.set(name, await this.api.listTasks(name, 'RUNNING', ctx));
      // stopped tasks say why some are missing, or why the ones starting are replacements of failed ones
      const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
      if ((running.get(name)?.length ?? 0) < (s.desiredCount ?? 0) || (primary?.failedTasks ?? 0) > 0) {
        stopped.set(name, await this.api.listTasks(name, 'STOPPED', ctx, 10));
      }
    }
    const described = await this.api.describeTasks([...running.values(), ...stopped.values()].flat(), ctx);
    const publicIps = await this.api.publicIps([...described.values()]);
    const keyed = services.flatMap((service) => {
      const parsed = parseServiceName(service.serviceName!);
      return parsed ? [{ key: parsed.key, service }] : [];
    });
    return this.tasks.slices(this.target, keyed, { running, stopped, described, publicIps });
  }

  // --- apply ------------------------------------------------------------------------------------

  /**
   * ECS picks the tasks a lower desired count stops, not the caller. The reconciler took
   * `remove` out of the load balancer and drained them; the service's other running tasks get
   * scale-in protection for a few minutes (UpdateTaskProtection), so the scale-in stops exactly
   * the drained ones (the ECS developer guide, "Task scale-in protection").
   */
  private async keepOnScaleIn(service: string, remove: readonly string[], ctx: CallCtx): Promise<void> {
    const going = new Set(remove);
    const keep = (await this.api.listTasks(service, 'RUNNING', ctx)).filter((arn) => !going.has(arn));
    if (keep.length) await this.api.protectTasks(keep, SCALE_IN_PROTECTION_MINUTES, ctx);
  }

  /**
   * ECS reads every secret itself at task start (`secrets[].valueFrom`, with the execution role),
   * so a deployment only on ECS needs no value. The versions are what a task starting now reads.
   */
  async secretVersions(
    deployment: string,
    refs: readonly SecretReference[],
    options: CallOptions = {},
  ): Promise<Array<string | undefined>> {
    this.secretStores ??= new EcsSecretVersions(
      this.api,
      this.options.secretStoreModules ?? defaultSecretStoreModules,
      (store) => {
        const endpoint = store === 'ssm' ? this.settings.ssmEndpoint : this.settings.secretsManagerEndpoint;
        return { ...this.sdkConfig(), ...(endpoint ? { endpoint } : {}) };
      },
      this.settings,
    );
    return this.secretStores.versions(refs, {
      deployment,
      reason: options.reason ?? 'secret versions',
      secrets: [],
      signal: options.signal,
    });
  }

  validate(slice: DesiredSlice): void {
    assertSliceFleet(slice.key, this.ctx.fleet);
    mapSlice(this.target, this.settings, slice);
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    assertSliceFleet(slice.key, this.ctx.fleet);
    const mapped = mapSlice(this.target, this.settings, slice); // throws before any call
    const ctx: CallCtx = {
      deployment: slice.key.deployment,
      reason: options.reason ?? 'apply',
      secrets: Object.values(slice.secrets ?? {}),
      signal: options.signal,
    };
    const seen = this.snapshot.get(mapped.serviceName);
    if (
      seen &&
      this.clock.now() - seen.at <= this.reuseMs &&
      this.upToDate(seen.service, mapped, slice.replicas) &&
      !this.retries.due(seen.service, this.clock.now())
    ) {
      return { changed: false, writes: 0 };
    }
    const before = this.api.writes;
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
      await this.cluster.check(ctx);
      await this.create(mapped, slice, ctx);
    } else if (this.upToDate(current, mapped, slice.replicas)) {
      if (this.retries.due(current, this.clock.now())) {
        // the circuit breaker failed the deployment and launches nothing more: try again, and
        // count it on the service (the backoff survives a restart)
        const after = await this.updateService({ service: mapped.serviceName, forceNewDeployment: true }, ctx);
        const tag = this.retries.retriedTag(current, after);
        if (tag)
          await this.api.send(
            'TagResource',
            new TagResourceCommand({ resourceArn: current.serviceArn!, tags: [tag] }),
            ctx,
          );
      }
    } else {
      const tags = tagMap(current.tags);
      // tags not shown yet are not drift: nothing says the spec differs, only the count can be fixed
      if (tags[ECS_TAGS.specHash] !== mapped.specHash && !current.tagsPending) {
        const taskDefinition = await this.taskDefinitionFor(mapped, ctx, current);
        await this.updateService(
          {
            service: mapped.serviceName,
            taskDefinition,
            desiredCount: slice.replicas,
            networkConfiguration: mapped.service.networkConfiguration,
            capacityProviderStrategy: mapped.service.capacityProviderStrategy,
            deploymentConfiguration: mapped.service.deploymentConfiguration,
            platformVersion: mapped.service.platformVersion,
            forceNewDeployment: true,
          },
          ctx,
        );
        await this.api.send(
          'TagResource',
          new TagResourceCommand({ resourceArn: current.serviceArn!, tags: mapped.serviceTags }),
          ctx,
        );
        this.written.record(mapped.serviceName, undefined, mapped.serviceTags);
        if (current.taskDefinition && current.taskDefinition !== taskDefinition) {
          await this.collectTaskDefinition(current.taskDefinition, slice.key, mapped.family, ctx);
        }
      } else if ((current.desiredCount ?? 0) !== slice.replicas) {
        if (slice.replicas < (current.desiredCount ?? 0) && slice.remove?.length)
          await this.keepOnScaleIn(mapped.serviceName, slice.remove, ctx);
        await this.updateService({ service: mapped.serviceName, desiredCount: slice.replicas }, ctx);
      }
    }
    this.tasks.forget(mapped.serviceName);
    const writes = this.api.writes - before;
    return { changed: writes > 0, writes };
  }

  /** Admission's check, before anything is written anywhere: the cluster (cluster-check.ts). */
  async preflight(options: CallOptions = {}): Promise<void> {
    await this.cluster.check({
      deployment: options.deployment ?? null,
      reason: options.reason ?? 'preflight',
      secrets: [],
      signal: options.signal,
    });
  }

  private upToDate(s: Service, mapped: MappedSlice, replicas: number): boolean {
    return (
      s.status === 'ACTIVE' &&
      tagMap(s.tags)[ECS_TAGS.specHash] === mapped.specHash &&
      (s.desiredCount ?? 0) === replicas
    );
  }

  /** UpdateService; its answer (the service after the update) stands in for reads until they show it. */
  private async updateService(
    input: Omit<ConstructorParameters<typeof UpdateServiceCommand>[0], 'cluster'>,
    ctx: CallCtx,
  ): Promise<Service | undefined> {
    const res = await this.api.send<{ service?: Service }>(
      'UpdateService',
      new UpdateServiceCommand({ cluster: this.settings.cluster, ...input }),
      ctx,
    );
    this.written.record(input.service!, res.service);
    return res.service;
  }

  /**
   * The services of the cluster whose names start with `prefix`: those ListServices shows and those
   * this instance wrote lately (a list may not show them yet), described, with recent writes
   * standing in for what the reads do not show yet.
   */
  private async readServices(prefix: string, ctx: CallCtx, except?: string): Promise<ReadService[]> {
    const listed = await this.api.listServiceNames(prefix, ctx);
    const names = [...new Set([...listed, ...this.written.names(prefix)])].filter((n) => n !== except);
    return this.written.merge(names, await this.api.describeServices(names, ctx));
  }

  private async describeOne(name: string, ctx: CallCtx): Promise<ReadService | undefined> {
    return this.written.mergeOne(name, await this.api.describeOne(name, ctx));
  }

  private async create(mapped: MappedSlice, slice: DesiredSlice, ctx: CallCtx): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const taskDefinition = await this.taskDefinitionFor(mapped, ctx);
      try {
        const res = await this.api.send<{ service?: Service }>(
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
        this.written.record(mapped.serviceName, res.service, mapped.serviceTags);
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

  /**
   * The ARN of a task definition revision with this content: from memory, from a service of the
   * same deployment seen by observe, from the family's newest revisions (by the content-hash tag),
   * or registered now.
   */
  private taskDefinitionFor(mapped: MappedSlice, ctx: CallCtx, hint?: Service): Promise<string> {
    return this.familyLocks.run(mapped.family, async () => {
      const known = this.taskDefs.get(mapped.taskDefHash);
      if (known) return known;
      for (const service of [...(hint ? [hint] : []), ...[...this.snapshot.values()].map((x) => x.service)]) {
        if (tagMap(service.tags)[ECS_TAGS.taskDefHash] === mapped.taskDefHash && service.taskDefinition) {
          this.taskDefs.set(mapped.taskDefHash, service.taskDefinition);
          return service.taskDefinition;
        }
      }
      const list = await this.api.send<{ taskDefinitionArns?: string[] }>(
        'ListTaskDefinitions',
        new ListTaskDefinitionsCommand({ familyPrefix: mapped.family, status: 'ACTIVE', sort: 'DESC', maxResults: 10 }),
        ctx,
      );
      for (const arn of (list.taskDefinitionArns ?? []).filter((a) => arnName(a).startsWith(`${mapped.family}:`))) {
        const d = await this.api.send<{ tags?: Array<{ key?: string; value?: string }> }>(
          'DescribeTaskDefinition',
          new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
          ctx,
        );
        if (tagMap(d.tags)[ECS_TAGS.taskDefHash] === mapped.taskDefHash) {
          this.taskDefs.set(mapped.taskDefHash, arn);
          return arn;
        }
      }
      const reg = await this.api.send<{ taskDefinition?: { taskDefinitionArn?: string } }>(
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
  private collectTaskDefinition(
    arn: string,
    key: SliceKey,
    family: string,
    ctx: CallCtx,
    except?: string,
  ): Promise<void> {
    return this.familyLocks.run(family, async () => {
      const others = await this.readServices(servicePrefix(this.target, key.fleet, key.deployment), ctx, except);
      const used = new Set<string>();
      for (const s of others) {
        // a draining service keeps its tasks until they stop; deregistering does not disturb them
        if (s.status !== 'ACTIVE') continue;
        if (s.taskDefinition) used.add(s.taskDefinition);
        for (const d of s.deployments ?? []) if (d.taskDefinition) used.add(d.taskDefinition);
      }
      if (used.has(arn)) return;
      await this.api.send(
        'DeregisterTaskDefinition',
        new DeregisterTaskDefinitionCommand({ taskDefinition: arn }),
        ctx,
      );
      for (const [h, a] of this.taskDefs) if (a === arn) this.taskDefs.delete(h);
    });
  }

  // --- remove -----------------------------------------------------------------------------------

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    const ctx: CallCtx = {
      deployment: key.deployment,
      reason: options.reason ?? 'delete',
      secrets: [],
      signal: options.signal,
    };
    const name = serviceName(this.target, key);
    this.snapshot.delete(name);
    this.tasks.forget(name);
    const before = this.api.writes;
    const current = await this.describeOne(name, ctx);
    // MISSING may be a service created so lately that reads do not show it yet (by another
    // instance): it is deleted by name all the same, and an absent one answers ServiceNotFound
    if (current && current.status !== 'ACTIVE') return { changed: false, writes: 0 };
    const gone = (err: unknown) =>
      err instanceof ProviderError &&
      (err.providerCode === 'ServiceNotFoundException' || err.providerCode === 'ServiceNotActiveException');
    try {
      if ((current?.desiredCount ?? 0) > 0) await this.updateService({ service: name, desiredCount: 0 }, ctx);
      const res = await this.api.send<{ service?: Service }>(
        'DeleteService',
        new DeleteServiceCommand({ cluster: this.settings.cluster, service: name, force: true }),
        ctx,
      );
      this.written.record(name, res.service);
    } catch (err) {
      if (!gone(err)) throw err;
    }
    if (current?.taskDefinition)
      await this.collectTaskDefinition(
        current.taskDefinition,
        key,
        familyName(this.target, key.fleet, key.deployment),
        ctx,
        name,
      );
    const writes = this.api.writes - before;
    return { changed: writes > 0, writes };
  }

  async close(): Promise<void> {
    this.closeEc2();
    this.secretStores?.close();
    if (this.ownsClient) this.client.destroy();
  }
}

export { serviceName };

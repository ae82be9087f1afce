/**
 * The ECS calls the provider makes: one `send` (in the call scope, so the call log records each
 * attempt; every error classified; write calls counted) and the paged or batched reads built on it.
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  UpdateTaskProtectionCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { throwIfAborted } from '../../src/provider/kit/abort-error.js';
import type { CallRecorder } from '../../src/provider/kit/call-recorder.js';
import { runInCallScope } from '../../src/provider/kit/call-scope.js';
import type { Clock } from '../../src/util/clock.js';
import { installCallLog } from './calllog.js';
import { classifyEcsError } from './errors.js';
import { arnName } from './names.js';
import { taskNetwork } from './observe.js';

/** Any AWS SDK v3 client: `send` a command. */
export interface AwsClient {
  // biome-ignore lint/suspicious/noExplicitAny: each client takes its own command union
  send(command: any, options: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** What one provider call is for: the call scope of its requests, and the caller's signal. */
export interface CallCtx {
  deployment: string | null;
  reason: string;
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
}

const WRITE_OPS = new Set([
  'UpdateTaskProtection',
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

/** Every item of a paged List call, following `nextToken` until a page has none. */
async function allPages<T>(
  page: (nextToken: string | undefined) => Promise<{ items: readonly T[]; nextToken?: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let nextToken: string | undefined;
  do {
    const p = await page(nextToken);
    out.push(...p.items);
    nextToken = p.nextToken;
  } while (nextToken);
  return out;
}

export interface EcsApiOptions {
  cluster: string;
  target: string;
  recorder: CallRecorder;
  clock: Clock;
  /** Resolves ENI ids to public IPs (ECS reports none); none resolved without it. */
  resolvePublicIps?: ((eniIds: string[]) => Promise<Record<string, string>>) | undefined;
}

export class EcsApi {
  /** Write calls sent so far: apply and remove report the difference. */
  writes = 0;

  constructor(
    readonly client: ECSClient,
    private readonly options: EcsApiOptions,
  ) {
    installCallLog(client);
  }

  /**
   * Sends one command in the call scope (recorded, classified), by the ECS client or another AWS
   * client of the target's (Secrets Manager, SSM: `installCallLog` done on it).
   */
  async send<T>(operation: string, command: unknown, ctx: CallCtx, client: AwsClient = this.client): Promise<T> {
    const { target, recorder, clock } = this.options;
    const scope = { deployment: ctx.deployment, reason: ctx.reason, secrets: [...ctx.secrets], recorder };
    return runInCallScope(scope, async () => {
      try {
        throwIfAborted(ctx.signal, { provider: 'aws-ecs', target, operation });
        // biome-ignore lint/suspicious/noExplicitAny: one generic path for every command
        const out = (await client.send(command as any, ctx.signal ? { abortSignal: ctx.signal } : {})) as T;
        if (WRITE_OPS.has(operation)) this.writes++;
        return out;
      } catch (err) {
        throw classifyEcsError(err, { target, operation, now: clock.now() });
      }
    });
  }

  /** Names of the cluster's services that start with `prefix`, every page. */
  async listServiceNames(prefix: string, ctx: CallCtx): Promise<string[]> {
    const arns = await allPages(async (nextToken) => {
      const page = await this.send<{ serviceArns?: string[]; nextToken?: string }>(
        'ListServices',
        new ListServicesCommand({
          cluster: this.options.cluster,
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }),
        ctx,
      );
      return { items: page.serviceArns ?? [], nextToken: page.nextToken };
    });
    return arns.map(arnName).filter((name) => name.startsWith(prefix));
  }

  /** The services with their tags, ten a call. */
  async describeServices(names: readonly string[], ctx: CallCtx): Promise<Service[]> {
    const out: Service[] = [];
    for (const batch of chunks(names, 10)) {
      const res = await this.send<{ services?: Service[] }>(
        'DescribeServices',
        new DescribeServicesCommand({ cluster: this.options.cluster, services: batch, include: ['TAGS'] }),
        ctx,
      );
      out.push(...(res.services ?? []));
    }
    return out;
  }

  async describeOne(name: string, ctx: CallCtx): Promise<Service | undefined> {
    const [s] = await this.describeServices([name], ctx);
    return s;
  }

  /** Task ARNs of a service in a desired status: every page, or one page of at most `limit`. */
  listTasks(service: string, desiredStatus: 'RUNNING' | 'STOPPED', ctx: CallCtx, limit?: number): Promise<string[]> {
    return allPages(async (nextToken) => {
      const page = await this.send<{ taskArns?: string[]; nextToken?: string }>(
        'ListTasks',
        new ListTasksCommand({
          cluster: this.options.cluster,
          serviceName: service,
          desiredStatus,
          maxResults: limit ?? 100,
          ...(nextToken ? { nextToken } : {}),
        }),
        ctx,
      );
      return { items: page.taskArns ?? [], nextToken: limit ? undefined : page.nextToken };
    });
  }

  /**
   * Task scale-in protection for `arns` (ten a call) for `minutes`: ECS stops no protected task
   * when a service's desired count goes down, so a scale-in stops the others.
   */
  async protectTasks(arns: readonly string[], minutes: number, ctx: CallCtx): Promise<void> {
    for (const batch of chunks(arns, 10)) {
      // a task that stopped meanwhile comes back as a failure (TASK_NOT_VALID): nothing to keep
      await this.send(
        'UpdateTaskProtection',
        new UpdateTaskProtectionCommand({
          cluster: this.options.cluster,
          tasks: batch,
          protectionEnabled: true,
          expiresInMinutes: minutes,
        }),
        ctx,
      );
    }
  }

  /** The tasks by ARN, a hundred a call. */
  async describeTasks(arns: readonly string[], ctx: CallCtx): Promise<Map<string, Task>> {
    const described = new Map<string, Task>();
    for (const batch of chunks(arns, 100)) {
      const res = await this.send<{ tasks?: Task[] }>(
        'DescribeTasks',
        new DescribeTasksCommand({ cluster: this.options.cluster, tasks: batch }),
        ctx,
      );
      for (const t of res.tasks ?? []) if (t.taskArn) described.set(t.taskArn, t);
    }
    return described;
  }

  /** Public IPs of the tasks' ENIs, by ENI id, when a resolver is configured. */
  async publicIps(tasks: readonly Task[]): Promise<Record<string, string>> {
    const resolve = this.options.resolvePublicIps;
    if (!resolve) return {};
    const enis = tasks.map((t) => taskNetwork(t).eniId).filter((x): x is string => !!x);
    if (!enis.length) return {};
    try {
      return await resolve(enis);
    } catch (err) {
      throw classifyEcsError(err, {
        target: this.options.target,
        operation: 'resolvePublicIps',
        now: this.options.clock.now(),
      });
    }
  }
}

/**
 * Pure mapping between skyfleet slices and ECS shapes: no SDK calls, no I/O. Everything that can
 * make a slice unrealisable on Fargate is checked here, before any call, as a ValidationError.
 */
import type {
  ContainerDefinition,
  CreateServiceCommandInput,
  HealthCheck,
  KeyValuePair,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Secret,
  Tag,
} from '@aws-sdk/client-ecs';
import { ValidationError, type ValidationIssue } from '../../src/errors/index.js';
import { LABELS, MANAGED_BY } from '../../src/provider/labels.js';
import type { DesiredSlice } from '../../src/provider/provider.js';
import type { Container, PodTemplate, Probe } from '../../src/spec/deployment.js';
import { MiB, parseCpu, parseMemory } from '../../src/spec/quantity.js';
import { canonicalJson } from '../../src/spec/revision.js';
import { ECS_TAGS, familyName, serviceName, shortHash } from './names.js';
import type { AwsEcsTargetSettings } from './settings.js';

// --- Fargate task sizes -----------------------------------------------------------------------

/** Valid Fargate (cpu units -> memory MiB) combinations (AWS docs, "Task CPU and memory"). */
export const FARGATE_SIZES: ReadonlyArray<{ cpu: number; memory: readonly number[] }> = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export const VALID_FARGATE_PAIRS =
  'cpu 256 (0.25 vCPU): memory 512, 1024 or 2048 MiB; cpu 512: 1024-4096 MiB in 1024 steps; ' +
  'cpu 1024: 2048-8192 MiB in 1024 steps; cpu 2048: 4096-16384 MiB in 1024 steps; ' +
  'cpu 4096: 8192-30720 MiB in 1024 steps; cpu 8192: 16384-61440 MiB in 4096 steps; ' +
  'cpu 16384: 32768-122880 MiB in 8192 steps (1 vCPU = 1024 units = "1" or "1000m")';

/**
 * The task-level cpu/memory of a template: the sums of its containers' resources, which must be a
 * valid Fargate pair exactly (no silent rounding: a user asking for 300m would pay for 512). With
 * only cpu, the smallest memory for it; with only memory, the smallest cpu that allows it; with
 * neither, 256/512.
 */
export function fargateSize(template: PodTemplate): { cpu: number; memory: number } {
  let cpuMillis: number | undefined;
  let memBytes: number | undefined;
  for (const c of template.containers) {
    if (c.resources.cpu !== undefined) cpuMillis = (cpuMillis ?? 0) + (parseCpu(c.resources.cpu) ?? 0);
    if (c.resources.memory !== undefined) memBytes = (memBytes ?? 0) + (parseMemory(c.resources.memory) ?? 0);
  }
  const cpu = cpuMillis === undefined ? undefined : (cpuMillis * 1024) / 1000;
  const memory = memBytes === undefined ? undefined : memBytes / MiB;
  const fail = (): never => {
    const got = `cpu ${cpuMillis === undefined ? '(none)' : `${cpuMillis}m = ${cpu} units`}, memory ${memory === undefined ? '(none)' : `${memory} MiB`}`;
    throw new ValidationError([
      {
        path: 'spec.template.containers[].resources',
        message: `not a valid AWS Fargate task size (${got}); valid pairs: ${VALID_FARGATE_PAIRS}`,
      },
    ]);
  };
  if (cpu === undefined && memory === undefined) return { cpu: 256, memory: 512 };
  if (cpu !== undefined && memory === undefined) {
    const size = FARGATE_SIZES.find((s) => s.cpu === cpu);
    return size ? { cpu, memory: size.memory[0]! } : fail();
  }
  if (cpu === undefined && memory !== undefined) {
    const size = FARGATE_SIZES.find((s) => s.memory.includes(memory));
    return size ? { cpu: size.cpu, memory } : fail();
  }
  const size = FARGATE_SIZES.find((s) => s.cpu === cpu);
  return size && memory !== undefined && size.memory.includes(memory) ? { cpu: cpu!, memory } : fail();
}

// --- health checks ----------------------------------------------------------------------------

/** ECS HealthCheck limits (model `HealthCheck`): interval 5-300, timeout 2-60, retries 1-10, startPeriod 0-300. */
export const HEALTH_LIMITS = { interval: [5, 300], timeout: [2, 60], retries: [1, 10], startPeriod: [0, 300] } as const;

const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));

/** Quotes a word for `sh -c`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function resolvePort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = container.ports.find((x) => x.name === port);
  // the template schema guarantees named ports exist; fall back defensively
  return p?.containerPort ?? 80;
}

/**
 * A container's ECS healthCheck from its readiness probe (else liveness). ECS runs one check that
 * serves both purposes: deployments wait for HEALTHY, and UNHEALTHY tasks are replaced.
 * httpGet becomes a `CMD-SHELL` running curl, falling back to wget: the image needs one of them.
 * tcpSocket becomes `nc -z`: the image needs nc. Values are clamped to ECS's limits.
 */
export function healthCheckOf(container: Container): HealthCheck | undefined {
  const probe: Probe | undefined = container.readinessProbe ?? container.livenessProbe;
  if (!probe) return undefined;
  let command: string[];
  if (probe.exec) {
    command = ['CMD', ...probe.exec.command];
  } else if (probe.httpGet) {
    const g = probe.httpGet;
    const url = `${g.scheme.toLowerCase()}://localhost:${resolvePort(container, g.port)}${g.path}`;
    const headers = g.httpHeaders ?? [];
    const curl = [
      'curl -fsS -o /dev/null',
      ...(g.scheme === 'HTTPS' ? ['-k'] : []),
      ...headers.map((h) => `-H ${shellQuote(`${h.name}: ${h.value}`)}`),
      shellQuote(url),
    ];
    const wget = [
      'wget -q -O /dev/null',
      ...(g.scheme === 'HTTPS' ? ['--no-check-certificate'] : []),
      ...headers.map((h) => `--header ${shellQuote(`${h.name}: ${h.value}`)}`),
      shellQuote(url),
    ];
    command = ['CMD-SHELL', `${curl.join(' ')} || ${wget.join(' ')} || exit 1`];
  } else {
    command = ['CMD-SHELL', `nc -z localhost ${resolvePort(container, probe.tcpSocket!.port)} || exit 1`];
  }
  const startup = container.startupProbe
    ? container.startupProbe.initialDelaySeconds +
      container.startupProbe.periodSeconds * container.startupProbe.failureThreshold
    : 0;
  return {
    command,
    interval: clamp(probe.periodSeconds, HEALTH_LIMITS.interval),
    timeout: clamp(probe.timeoutSeconds, HEALTH_LIMITS.timeout),
    retries: clamp(probe.failureThreshold, HEALTH_LIMITS.retries),
    startPeriod: clamp(probe.initialDelaySeconds + startup, HEALTH_LIMITS.startPeriod),
  };
}

// --- secrets ----------------------------------------------------------------------------------

/**
 * The `valueFrom` of a `secretKeyRef {name, key}`: `name` is an ARN, or a key of the target's
 * `secrets` map giving one. For a Secrets Manager secret, `key` selects a JSON key
 * (`<arn>:<key>::`, ECS's own syntax); for an SSM parameter, `key` names a parameter under it
 * (`<arn>/<key>`). Resolved values (`DesiredSlice.secrets`) are never sent.
 */
export function secretValueFrom(
  ref: { name: string; key: string },
  settings: Pick<AwsEcsTargetSettings, 'secrets'>,
): string | undefined {
  const arn = secretArn(ref, settings);
  if (!arn) return undefined;
  if (arn.includes(':secretsmanager:')) return `${arn}:${ref.key}::`;
  if (arn.includes(':ssm:')) return `${arn}/${ref.key}`;
  return arn;
}

/** The ARN a `secretKeyRef.name` names: itself, or its entry in the target's `secrets` map. */
export function secretArn(ref: { name: string }, settings: Pick<AwsEcsTargetSettings, 'secrets'>): string | undefined {
  return ref.name.startsWith('arn:') ? ref.name : settings.secrets[ref.name];
}

// --- task definition and service --------------------------------------------------------------

export type TaskDefinitionInput = Omit<RegisterTaskDefinitionCommandInput, 'tags'> & {
  family: string;
  containerDefinitions: ContainerDefinition[];
};

/**
 * The `awslogs` log configuration of a slice's containers: group per fleet (`/skyfleet/<fleet>`),
 * the target's region, streams prefixed with the deployment, the group created by ECS when missing
 * (`awslogs-create-group`, https://repost.aws/knowledge-center/ecs-tasks-fargate-log-drivers).
 * None when logs are off, or by default without an execution role (Fargate's awslogs needs one).
 */
export function logConfiguration(
  settings: AwsEcsTargetSettings,
  key: { fleet: string; deployment: string },
): ContainerDefinition['logConfiguration'] {
  if (settings.logs === false || (settings.logs === undefined && !settings.executionRoleArn)) return undefined;
  const logs = settings.logs ?? { createGroup: true };
  return {
    logDriver: 'awslogs',
    options: {
      'awslogs-group': logs.group ?? `/skyfleet/${key.fleet}`,
      'awslogs-region': settings.region,
      'awslogs-stream-prefix': logs.streamPrefix ?? key.deployment,
      ...(logs.createGroup ? { 'awslogs-create-group': 'true' } : {}),
    },
  };
}

function containerDefinition(
  c: Container,
  i: number,
  settings: AwsEcsTargetSettings,
  issues: ValidationIssue[],
  logs?: ContainerDefinition['logConfiguration'],
): ContainerDefinition {
  const environment: KeyValuePair[] = [];
  const secrets: Secret[] = [];
  c.env.forEach((e, j) => {
    if (e.valueFrom) {
      const valueFrom = secretValueFrom(e.valueFrom.secretKeyRef, settings);
      if (!valueFrom) {
        issues.push({
          path: `spec.template.containers[${i}].env[${j}].valueFrom.secretKeyRef.name`,
          message: `"${e.valueFrom.secretKeyRef.name}" is neither an ARN nor a key of target ${settings.name}'s secrets map`,
        });
      } else secrets.push({ name: e.name, valueFrom });
    } else environment.push({ name: e.name, value: e.value ?? '' });
  });
  const portMappings: PortMapping[] = c.ports.map((p) => ({
    containerPort: p.containerPort,
    protocol: p.protocol === 'UDP' ? 'udp' : 'tcp',
    ...(p.name ? { name: p.name } : {}),
  }));
  const healthCheck = healthCheckOf(c);
  return {
    name: c.name,
    image: c.image,
    essential: true,
    ...(c.command ? { entryPoint: c.command } : {}), // Kubernetes `command` replaces the ENTRYPOINT
    ...(c.args ? { command: c.args } : {}), // Kubernetes `args` replaces the CMD
    ...(environment.length ? { environment } : {}),
    ...(secrets.length ? { secrets } : {}),
    ...(portMappings.length ? { portMappings } : {}),
    ...(healthCheck ? { healthCheck } : {}),
    ...(logs ? { logConfiguration: logs } : {}),
  };
}

export interface MappedSlice {
  serviceName: string;
  family: string;
  taskDefinition: TaskDefinitionInput;
  taskDefHash: string;
  /** The CreateService members except name, cluster, task definition, count, token and tags. */
  service: Pick<
    CreateServiceCommandInput,
    | 'capacityProviderStrategy'
    | 'networkConfiguration'
    | 'deploymentConfiguration'
    | 'platformVersion'
    | 'schedulingStrategy'
    | 'deploymentController'
    | 'propagateTags'
    | 'enableECSManagedTags'
  >;
  specHash: string;
  /** Tags for the task definition and the service. */
  taskDefTags: Tag[];
  serviceTags: Tag[];
}

/** Maps a slice to what ECS needs, or throws a ValidationError listing every problem. */
export function mapSlice(target: string, settings: AwsEcsTargetSettings, slice: DesiredSlice): MappedSlice {
  const issues: ValidationIssue[] = [];
  const { key, template } = slice;
  const subnets = settings.subnets[key.zone];
  if (!subnets)
    issues.push({
      path: 'zone',
      message: `target ${target} has no zone "${key.zone}" (zones: ${Object.keys(settings.subnets).sort().join(', ')})`,
    });
  if (template.containers.length > 10)
    issues.push({
      path: 'spec.template.containers',
      message: `an ECS task definition holds at most 10 containers, got ${template.containers.length}`,
    });
  let size = { cpu: 256, memory: 512 };
  try {
    size = fargateSize(template);
  } catch (e) {
    if (e instanceof ValidationError) issues.push(...e.issues);
    else throw e;
  }
  const logs = logConfiguration(settings, key);
  const containerDefinitions = template.containers.map((c, i) => containerDefinition(c, i, settings, issues, logs));
  if (containerDefinitions.some((c) => c.secrets?.length) && !settings.executionRoleArn) {
    issues.push({
      path: 'spec.template.containers[].env[].valueFrom',
      message: `secrets need an executionRoleArn on target ${target} (ECS reads them with that role)`,
    });
  }
  if (issues.length) throw new ValidationError(issues);

  const family = familyName(target, key.fleet, key.deployment);
  const taskDefinition: TaskDefinitionInput = {
    family,
    containerDefinitions,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(size.cpu),
    memory: String(size.memory),
    ...(settings.executionRoleArn ? { executionRoleArn: settings.executionRoleArn } : {}),
    ...(settings.taskRoleArn ? { taskRoleArn: settings.taskRoleArn } : {}),
  };
  const taskDefHash = shortHash(canonicalJson(taskDefinition));
  const service: MappedSlice['service'] = {
    capacityProviderStrategy: [{ capacityProvider: settings.capacityProvider, weight: 1 }],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...subnets!],
        securityGroups: [...settings.securityGroups],
        assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED',
      },
    },
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    platformVersion: settings.platformVersion,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
  };
  const specHash = shortHash(canonicalJson({ taskDefHash, service }));
  const identity: Tag[] = [
    { key: LABELS.managedBy, value: MANAGED_BY },
    { key: LABELS.fleet, value: key.fleet },
    { key: LABELS.target, value: target },
    { key: LABELS.deployment, value: key.deployment },
  ];
  const userTags = Object.entries(slice.labels ?? {})
    .filter(([k]) => !k.startsWith('aws:') && !k.startsWith('skyfleet.dev/'))
    .slice(0, 30)
    .map(([k, v]) => ({ key: k, value: v }));
  const ports = template.containers
    .flatMap((c) => c.ports.map((p) => `${p.containerPort}${p.name ? `:${p.name}` : ''}`))
    .join(' ');
  const healthChecked = containerDefinitions.some((c) => c.healthCheck);
  return {
    serviceName: serviceName(target, key),
    family,
    taskDefinition,
    taskDefHash,
    service,
    specHash,
    taskDefTags: [
      ...identity,
      { key: LABELS.revision, value: key.revision },
      { key: ECS_TAGS.taskDefHash, value: taskDefHash },
      ...userTags,
    ],
    serviceTags: [
      ...identity,
      { key: LABELS.revision, value: key.revision },
      { key: LABELS.domain, value: key.zone },
      { key: ECS_TAGS.specHash, value: specHash },
      { key: ECS_TAGS.taskDefHash, value: taskDefHash },
      { key: ECS_TAGS.healthChecked, value: String(healthChecked) },
      ...(ports ? [{ key: ECS_TAGS.ports, value: ports }] : []),
      ...userTags,
    ],
  };
}

// the observe side lives in observe.ts; index.ts exports these two from here
export { replicaFromTask, sliceFromService } from './observe.js';

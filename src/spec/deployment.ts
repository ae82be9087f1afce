import { z } from 'zod';
import { autoscaling, autoscalingIssues } from './autoscaling.js';
import { IMAGE_RULE, isImageReference } from './image-ref.js';
import { NAME_PATTERN, NAME_RULE } from './names.js';
import { parseCpu, parseMemory } from './quantity.js';
import { intOrPercent, intRange } from './schema-helpers.js';

export const API_VERSION = 'skyfleet.dev/v1';

const name = z
  .string({ error: `expected a name: ${NAME_RULE}` })
  .regex(NAME_PATTERN, { error: `expected ${NAME_RULE}` });
const labelMap = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, {
    error: 'expected a label key like "team" or "example.com/team"',
  }),
  z.string().max(63, { error: 'expected a label value of at most 63 characters' }),
);

const portRef = z.union([intRange(1, 65535), z.string().regex(/^[a-z0-9-]{1,15}$/)], {
  error: 'expected a port number 1-65535 or the name of a declared port',
});

export const httpGetAction = z.strictObject({
  path: z.string().startsWith('/', { error: 'expected a path starting with "/"' }).default('/'),
  port: portRef,
  scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
  httpHeaders: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
});

export const probe = z
  .strictObject({
    httpGet: httpGetAction.optional(),
    tcpSocket: z.strictObject({ port: portRef }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1, { error: 'expected at least one word' }) }).optional(),
    initialDelaySeconds: intRange(0, 3600).default(0),
    periodSeconds: intRange(1, 3600).default(10),
    timeoutSeconds: intRange(1, 3600).default(1),
    failureThreshold: intRange(1, 100).default(3),
    successThreshold: intRange(1, 100).default(1),
  })
  .superRefine((p, ctx) => {
    const n = [p.httpGet, p.tcpSocket, p.exec].filter((x) => x !== undefined).length;
    if (n !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one of httpGet, tcpSocket or exec, got ${n}` });
    }
    if (p.timeoutSeconds > p.periodSeconds) {
      // Kubernetes allows it, but a probe that outlives its period overlaps the next one.
      ctx.addIssue({
        code: 'custom',
        path: ['timeoutSeconds'],
        message: `timeoutSeconds ${p.timeoutSeconds} is greater than periodSeconds ${p.periodSeconds}: a probe that outlives its period overlaps the next one; lower timeoutSeconds or raise periodSeconds`,
      });
    }
  });

const secretKeyRef = z.strictObject({
  name: z.string().min(1),
  key: z.string().min(1),
});

export const envVar = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name like MODE' }),
    value: z.string().optional(),
    valueFrom: z.strictObject({ secretKeyRef }).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.value === undefined) === (e.valueFrom === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of value or valueFrom' });
    }
  });

export const containerPort = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9-]{1,15}$/, { error: 'expected a port name of 1-15 lowercase letters, digits or "-"' })
    .optional(),
  containerPort: intRange(1, 65535),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});

const cpuQuantity = z.union([z.string(), z.number()]).refine((v) => parseCpu(v) !== undefined, {
  error: 'expected a cpu quantity such as "0.25", "250m" or 1',
});
const memoryQuantity = z.union([z.string(), z.number()]).refine((v) => parseMemory(v) !== undefined, {
  error: 'expected a memory quantity such as "64Mi", "1Gi" or "512M"',
});

export const resources = z.strictObject({
  cpu: cpuQuantity.optional(),
  memory: memoryQuantity.optional(),
});

export const container = z.strictObject({
  name,
  image: z.string({ error: IMAGE_RULE }).min(1, { error: IMAGE_RULE }).refine(isImageReference, { error: IMAGE_RULE }),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(envVar).default([]),
  ports: z.array(containerPort).default([]),
  resources: resources.default({}),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  startupProbe: probe.optional(),
});

export const podTemplate = z
  .strictObject({
    metadata: z
      .strictObject({ labels: labelMap.optional(), annotations: z.record(z.string(), z.string()).optional() })
      .optional(),
    containers: z.array(container).min(1, { error: 'expected at least one container' }),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    const numbers = new Map<string, string>();
    const portNames = new Map<string, string>();
    /** A port number (per protocol, as Kubernetes) and a port name are declared once in a template. */
    const checkPort = (p: z.output<typeof containerPort>, [i, j]: [number, number], ctx2: z.RefinementCtx) => {
      const at = `containers[${i}].ports[${j}]`;
      const key = `${p.containerPort}/${p.protocol}`;
      const prev = numbers.get(key);
      if (prev)
        ctx2.addIssue({
          code: 'custom',
          path: ['containers', i, 'ports', j, 'containerPort'],
          message: `port ${p.containerPort}/${p.protocol} is already declared at ${prev}: declare each port once`,
        });
      else numbers.set(key, at);
      if (p.name === undefined) return;
      const prevName = portNames.get(p.name);
      if (prevName)
        ctx2.addIssue({
          code: 'custom',
          path: ['containers', i, 'ports', j, 'name'],
          message: `port name "${p.name}" is already used at ${prevName}: give each port its own name`,
        });
      else portNames.set(p.name, at);
    };
    t.containers.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['containers', i, 'name'],
          message: `duplicate container name "${c.name}"`,
        });
      seen.add(c.name);
      c.ports.forEach((p, j) => {
        checkPort(p, [i, j], ctx);
      });
      const portNames = new Set(c.ports.map((p) => p.name).filter(Boolean));
      for (const probeName of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const p = c[probeName];
        const ref = p?.httpGet?.port ?? p?.tcpSocket?.port;
        if (typeof ref === 'string' && !portNames.has(ref)) {
          const key = p?.httpGet ? 'httpGet' : 'tcpSocket';
          ctx.addIssue({
            code: 'custom',
            path: ['containers', i, probeName, key, 'port'],
            message: `port "${ref}" is not a declared port name of container "${c.name}"`,
          });
        }
      }
    });
  });

export const targetRef = z.strictObject({
  name,
  weight: intRange(0, 10_000).optional(),
  min: intRange(0, 100_000).optional(),
  max: intRange(0, 100_000).optional(),
});

export const spreadConstraint = z.strictObject({
  topologyKey: z.enum(['provider', 'region', 'zone', 'target']),
  maxSkew: intRange(1, 100_000),
  minDomains: intRange(1, 100_000).optional(),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']).default('DoNotSchedule'),
});

export const placementPolicy = z
  .strictObject({
    targets: z.array(targetRef).optional(),
    spread: z.array(spreadConstraint).default([]),
    optimize: z.enum(['spread', 'cost']).default('spread'),
    /** Seconds a recovered domain must stay healthy before replicas return to it. */
    returnAfterSeconds: intRange(0, 86_400).default(60),
  })
  .superRefine((p, ctx) => {
    p.targets?.forEach((t, i) => {
      if (t.min !== undefined && t.max !== undefined && t.min > t.max) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'min'],
          message: `min ${t.min} is greater than max ${t.max}`,
        });
      }
    });
    const names = p.targets?.map((t) => t.name) ?? [];
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `target "${n}" is listed twice` });
    });
  });

export const rollingUpdate = z.strictObject({
  maxSurge: intOrPercent.default('25%'),
  maxUnavailable: intOrPercent.default('25%').refine((v) => typeof v === 'number' || Number(v.slice(0, -1)) <= 100, {
    error: 'expected at most 100%: no more than every replica can be unavailable',
  }),
});

/** "30s", "5m", "1h30m" or plain seconds as a number. */
const DURATION = 'expected a duration like 30s, 5m, 1h30m (or seconds as a number)';
export const durationText = z.union(
  [
    z.number({ error: DURATION }).nonnegative({ error: DURATION }),
    z.string({ error: DURATION }).regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, { error: DURATION }),
  ],
  { error: DURATION },
);

/** A comparison like ">= 0.99" or "<= 300". */
export const threshold = z
  .string()
  .regex(/^\s*(>=|<=|>|<)\s*\d+(\.\d+)?\s*$/, { error: 'expected a comparison such as ">= 0.99" or "<= 300"' });

export const canaryStep = z.union(
  [
    z.strictObject({ setWeight: intRange(0, 100) }),
    z.strictObject({ pause: z.strictObject({ duration: durationText.optional() }) }),
    z.strictObject({
      analysis: z.strictObject({
        successRate: threshold.optional(),
        p99LatencyMs: threshold.optional(),
        /** Window of traffic the analysis looks at; it waits this long after the step starts. */
        window: durationText.default('30s'),
        /** Fewest requests in the window for a verdict; fewer is inconclusive and waits. */
        minRequests: intRange(0, 1_000_000).default(20),
      }),
    }),
  ],
  {
    error:
      'expected a step: { setWeight: N }, { pause: { duration? } } or { analysis: { successRate?, p99LatencyMs?, window? } }',
  },
);

export const strategy = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('RollingUpdate'),
      rollingUpdate: rollingUpdate.default({ maxSurge: '25%', maxUnavailable: '25%' }),
    }),
    z.strictObject({ type: z.literal('Recreate') }),
    z.strictObject({
      type: z.literal('BlueGreen'),
      blueGreen: z
        .strictObject({
          /** Seconds the old revision keeps running after promotion (for a fast abort). */
          scaleDownDelaySeconds: intRange(0, 86_400).default(30),
          /** Promote on its own once the new revision is ready (otherwise wait for `rollout promote`). */
          autoPromote: z.boolean().default(false),
        })
        .default({ scaleDownDelaySeconds: 30, autoPromote: false }),
    }),
    z.strictObject({
      type: z.literal('Canary'),
      canary: z.strictObject({
        steps: z.array(canaryStep).min(1, { error: 'expected at least one step' }),
      }),
    }),
  ],
  { error: 'expected strategy.type RollingUpdate, Recreate, BlueGreen or Canary' },
);

/** The built-in load balancer in front of a deployment. */
export const service = z.strictObject({
  /** Port the listener binds. */
  port: intRange(1, 65535),
  /** Container port (number or name) traffic goes to. */
  targetPort: z.union([intRange(1, 65535), z.string().regex(/^[a-z0-9-]{1,15}$/)]),
  bindAddress: z.string().min(1).default('127.0.0.1'),
  /** BlueGreen: a second listener that serves the new revision before promotion. */
  previewPort: intRange(1, 65535).optional(),
  /**
   * What carries the requests: `builtin`, the router in the controller's process, or `nginx`,
   * an nginx the controller runs and reconfigures (nginx's throughput; needs nginx installed).
   */
  dataPlane: z.enum(['builtin', 'nginx'], { error: 'expected service.dataPlane builtin or nginx' }).default('builtin'),
  /**
   * How the built-in router picks a replica within a revision: `round-robin` (the default when
   * absent, as nginx does: an even spread) or `least-request` (fewest in-flight requests, which
   * keeps an overloaded or stalling replica from queueing more). The nginx data plane is always
   * round robin.
   */
  balancing: z
    .enum(['least-request', 'round-robin'], { error: 'expected service.balancing least-request or round-robin' })
    .optional(),
});

export const deploymentSpec = z
  .strictObject({
    replicas: intRange(0, 100_000).default(1),
    template: podTemplate,
    placement: placementPolicy.default({ spread: [], optimize: 'spread', returnAfterSeconds: 60 }),
    strategy: strategy.default({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }),
    /** Seconds `apply` waits for all replicas to be ready. */
    progressDeadlineSeconds: intRange(1, 86_400).default(600),
    service: service.optional(),
    /** Replicas follow the metrics within [minReplicas, maxReplicas]; `replicas` is where they start. */
    autoscaling: autoscaling.optional(),
  })
  .superRefine((d, ctx) => {
    for (const issue of autoscalingIssues(d)) ctx.addIssue({ code: 'custom', ...issue });
    if (d.service?.dataPlane === 'nginx' && d.service.balancing === 'least-request')
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'balancing'],
        message:
          'the nginx data plane balances round robin (its revision split rides on server weights, which least_conn would bend): leave service.balancing out or set round-robin, or set service.dataPlane to builtin',
      });
    const ref = d.service?.targetPort;
    if (ref === undefined) return;
    const ports = d.template.containers.flatMap((c) => c.ports);
    // A number must be declared too: providers publish only declared ports, so the router could
    // reach no other.
    const found = ports.some((p) => (typeof ref === 'number' ? p.containerPort === ref : p.name === ref));
    if (!found) {
      const declared = ports.map((p) => (p.name ? `${p.name} (${p.containerPort})` : String(p.containerPort)));
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'targetPort'],
        message: `${typeof ref === 'number' ? `port ${ref}` : `port name "${ref}"`} is not declared by any container (declared: ${declared.join(', ') || 'none'}): add it to a container's ports or target a declared one`,
      });
    }
  });

export const deployment = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `expected apiVersion "${API_VERSION}"` }),
  kind: z.literal('Deployment'),
  metadata: z.strictObject({
    name,
    labels: labelMap.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: deploymentSpec,
});

export type Deployment = z.output<typeof deployment>;
export type DeploymentInput = z.input<typeof deployment>;
export type DeploymentSpec = Deployment['spec'];
export type PodTemplate = z.output<typeof podTemplate>;
export type Container = z.output<typeof container>;
export type Probe = z.output<typeof probe>;
export type EnvVar = z.output<typeof envVar>;
export type ContainerPort = z.output<typeof containerPort>;
export type PlacementPolicy = z.output<typeof placementPolicy>;
export type SpreadConstraint = z.output<typeof spreadConstraint>;
export type TargetRef = z.output<typeof targetRef>;
export type Strategy = z.output<typeof strategy>;
export type CanaryStep = z.output<typeof canaryStep>;
export type Service = z.output<typeof service>;

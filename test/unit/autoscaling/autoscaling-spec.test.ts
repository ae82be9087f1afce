import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { jsonSchemas } from '../../../src/spec/json-schema.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { revisionOf } from '../../../src/spec/revision.js';

/** A Deployment document as a user writes it; tests write any value into it. */
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    template: { containers: Array<Record<string, unknown>> };
    service?: unknown;
    autoscaling: Record<string, unknown>;
  };
}

const base = (): Doc => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image: 'hello/web:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '250m', memory: '64Mi' },
        },
      ],
    },
    service: { port: 9000, targetPort: 'http' },
    autoscaling: { minReplicas: 1, maxReplicas: 20, metrics: [{ type: 'concurrency', target: 10 }] },
  },
});

type Mut = (d: Doc) => void;

function problems(mut: Mut): Array<{ path: string; message: string }> {
  const d = base();
  mut(d);
  try {
    parseDeployment(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  return [];
}

describe('spec.autoscaling', () => {
  it('takes the shape of the issue with Kubernetes HPA defaults', () => {
    const d = parseDeployment(base());
    expect(d.spec.autoscaling).toEqual({
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [{ type: 'concurrency', target: 10 }],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Pods', value: 4, periodSeconds: 15 },
          ],
          selectPolicy: 'Max',
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
          selectPolicy: 'Max',
        },
      },
      scaleToZero: { idleSeconds: 60, activationTimeoutSeconds: 30 },
    });
    // replicas stays: it is the starting point
    expect(d.spec.replicas).toBe(2);
  });

  it('accepts the issue example in full, and fills a direction given in part', () => {
    const d = parseDeployment({
      ...base(),
      spec: {
        ...base().spec,
        autoscaling: {
          minReplicas: 0,
          maxReplicas: 20,
          metrics: [
            { type: 'concurrency', target: 10 },
            { type: 'requestsPerSecond', target: 50 },
            { type: 'cpu', targetUtilization: 70 },
            { type: 'memory', targetUtilization: 80 },
            { type: 'p99LatencyMs', target: 300 },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 }, scaleUp: { selectPolicy: 'Min' } },
          scaleToZero: { idleSeconds: 120 },
        },
      },
    });
    const a = d.spec.autoscaling!;
    expect(a.metrics).toHaveLength(5);
    expect(a.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 60,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      selectPolicy: 'Max',
    });
    expect(a.behavior.scaleUp.selectPolicy).toBe('Min');
    expect(a.behavior.scaleUp.policies).toHaveLength(2);
    expect(a.scaleToZero).toEqual({ idleSeconds: 120, activationTimeoutSeconds: 30 });
  });

  it.each([
    ['no behavior', undefined],
    ['an empty behavior', {}],
    ['empty directions', { scaleUp: {}, scaleDown: {} }],
  ])('gives each deployment its own default rules (%s: no shared objects)', (_n, behavior) => {
    const doc = () => {
      const d = base();
      Object.assign(d.spec.autoscaling, { behavior });
      return d;
    };
    const a = parseDeployment(doc()).spec.autoscaling!;
    expect(a.behavior).toEqual(parseDeployment(base()).spec.autoscaling!.behavior);
    a.behavior.scaleUp.policies[0]!.value = 1;
    a.behavior.scaleDown.policies.push({ type: 'Pods', value: 1, periodSeconds: 1 });
    a.behavior.scaleUp.selectPolicy = 'Disabled';
    expect(parseDeployment(doc()).spec.autoscaling!.behavior).toEqual(
      parseDeployment(base()).spec.autoscaling!.behavior,
    );
    expect(parseDeployment(doc()).spec.autoscaling!.behavior.scaleUp.policies[0]!.value).toBe(100);
  });

  it.each<[string, Mut, string, RegExp]>([
    [
      'minReplicas above maxReplicas',
      (d) => Object.assign(d.spec.autoscaling, { minReplicas: 5, maxReplicas: 3 }),
      'spec.autoscaling.minReplicas',
      /^minReplicas 5 is greater than maxReplicas 3: lower minReplicas or raise maxReplicas$/,
    ],
    [
      'a concurrency target of 0',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'concurrency', target: 0 }]),
      'spec.autoscaling.metrics[0].target',
      /expected a number above 0 .*a target of 0 would ask for unbounded replicas, got 0/,
    ],
    [
      'a requestsPerSecond target below 0',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'requestsPerSecond', target: -5 }]),
      'spec.autoscaling.metrics[0].target',
      /expected a number above 0/,
    ],
    [
      'a cpu target of 0%',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'cpu', targetUtilization: 0 }]),
      'spec.autoscaling.metrics[0].targetUtilization',
      /expected a whole percentage 1-1000 .*, got 0/,
    ],
    [
      'a latency target of 0',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'p99LatencyMs', target: 0 }]),
      'spec.autoscaling.metrics[0].target',
      /expected a number above 0 \(milliseconds\)/,
    ],
    [
      'an unknown metric type',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'gpu', target: 1 }]),
      'spec.autoscaling.metrics[0].type',
      /^expected metric type concurrency, requestsPerSecond, cpu, memory, p99LatencyMs, got "gpu"$/,
    ],
    [
      'a metric without a type',
      (d) => (d.spec.autoscaling.metrics = [{ target: 1 }]),
      'spec.autoscaling.metrics[0].type',
      /^required: expected metric type concurrency, requestsPerSecond/,
    ],
    [
      'a cpu metric with `target` (the other members name theirs)',
      (d) => (d.spec.autoscaling.metrics = [{ type: 'cpu', target: 70 }]),
      'spec.autoscaling.metrics[0].target',
      /^unknown field; allowed: type, targetUtilization$/,
    ],
    [
      'cpu without resources.cpu on every container',
      (d) => {
        d.spec.template.containers.push({ name: 'side', image: 'hello/side:1', resources: { memory: '32Mi' } });
        d.spec.autoscaling.metrics = [{ type: 'cpu', targetUtilization: 70 }];
      },
      'spec.autoscaling.metrics[0].targetUtilization',
      /^a cpu target is a percentage of resources.cpu, which container "side" \(template.containers\[1\]\) does not set: set resources.cpu on every container/,
    ],
    [
      'memory without resources.memory',
      (d) => {
        d.spec.template.containers[0]!.resources = { cpu: 1 };
        d.spec.autoscaling.metrics = [
          { type: 'concurrency', target: 5 },
          { type: 'memory', targetUtilization: 70 },
        ];
      },
      'spec.autoscaling.metrics[1].targetUtilization',
      /percentage of resources.memory, which container "web"/,
    ],
    [
      'minReplicas 0 without spec.service',
      (d) => {
        delete d.spec.service;
        d.spec.autoscaling.minReplicas = 0;
        d.spec.autoscaling.metrics = [{ type: 'cpu', targetUtilization: 70 }];
      },
      'spec.autoscaling.minReplicas',
      /^minReplicas 0 scales to zero, which needs spec.service .*: add spec.service or set minReplicas to 1 or more$/,
    ],
    [
      'a listener metric without spec.service',
      (d) => delete d.spec.service,
      'spec.autoscaling.metrics[0].type',
      /^concurrency is measured at the deployment's listener, and there is none: add spec.service/,
    ],
    [
      'no metric',
      (d) => (d.spec.autoscaling.metrics = []),
      'spec.autoscaling.metrics',
      /^expected at least one metric/,
    ],
    ['metrics left out', (d) => delete d.spec.autoscaling.metrics, 'spec.autoscaling.metrics', /^required/],
    [
      'maxReplicas left out',
      (d) => delete d.spec.autoscaling.maxReplicas,
      'spec.autoscaling.maxReplicas',
      /^required: expected an integer 1-100000/,
    ],
    [
      'a metric listed twice',
      (d) =>
        (d.spec.autoscaling.metrics = [
          { type: 'concurrency', target: 5 },
          { type: 'concurrency', target: 8 },
        ]),
      'spec.autoscaling.metrics[1].type',
      /^metric concurrency is already listed at metrics\[0\]: list each metric once$/,
    ],
    [
      'a policy of an unknown type',
      (d) =>
        (d.spec.autoscaling.behavior = { scaleUp: { policies: [{ type: 'Replicas', value: 2, periodSeconds: 15 }] } }),
      'spec.autoscaling.behavior.scaleUp.policies[0].type',
      /expected policy type Percent or Pods, got "Replicas"/,
    ],
    [
      'a policy period above Kubernetes’ 1800 s',
      (d) =>
        (d.spec.autoscaling.behavior = { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 3600 }] } }),
      'spec.autoscaling.behavior.scaleDown.policies[0].periodSeconds',
      /expected an integer 1-1800, got 3600/,
    ],
    [
      'no policy',
      (d) => (d.spec.autoscaling.behavior = { scaleDown: { policies: [] } }),
      'spec.autoscaling.behavior.scaleDown.policies',
      /expected at least one policy \(selectPolicy: Disabled turns this direction off\)/,
    ],
    [
      'an unknown selectPolicy',
      (d) => (d.spec.autoscaling.behavior = { scaleDown: { selectPolicy: 'Off' } }),
      'spec.autoscaling.behavior.scaleDown.selectPolicy',
      /expected selectPolicy Max, Min or Disabled, got "Off"/,
    ],
    [
      'a typo in scaleToZero',
      (d) => (d.spec.autoscaling.scaleToZero = { idleSecond: 30 }),
      'spec.autoscaling.scaleToZero.idleSecond',
      /did you mean "idleSeconds"/,
    ],
  ])('refuses %s, naming the field', (_name, mut, path, message) => {
    const ps = problems(mut);
    const hit = ps.find((p) => p.path === path);
    expect(hit, `issues were ${JSON.stringify(ps)}`).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('names every container missing the request', () => {
    const ps = problems((d) => {
      d.spec.template.containers[0]!.resources = {};
      d.spec.template.containers.push({ name: 'side', image: 'hello/side:1' });
      d.spec.autoscaling.metrics = [{ type: 'cpu', targetUtilization: 70 }];
    });
    expect(ps).toEqual([
      {
        path: 'spec.autoscaling.metrics[0].targetUtilization',
        message:
          'a cpu target is a percentage of resources.cpu, which containers "web" (template.containers[0]), "side" (template.containers[1]) do not set: set resources.cpu on every container or scale on another metric',
      },
    ]);
  });

  it('accepts scale to zero with a service, and cpu-only scaling without one', () => {
    const zero = base();
    Object.assign(zero.spec.autoscaling, { minReplicas: 0 });
    expect(parseDeployment(zero).spec.autoscaling!.minReplicas).toBe(0);
    const { service: _, ...withoutService } = base().spec;
    const cpuOnly = {
      ...base(),
      spec: { ...withoutService, autoscaling: { maxReplicas: 5, metrics: [{ type: 'cpu', targetUtilization: 70 }] } },
    };
    expect(parseDeployment(cpuOnly).spec.autoscaling!.metrics).toEqual([{ type: 'cpu', targetUtilization: 70 }]);
  });

  it('is in the Deployment JSON Schema (`skyfleet schema`), with its metric types and defaults', () => {
    const schema = jsonSchemas().Deployment as {
      properties: { spec: { properties: Record<string, unknown> } };
    };
    const a = schema.properties.spec.properties.autoscaling;
    expect(a).toBeDefined();
    const text = JSON.stringify(a);
    for (const t of ['concurrency', 'requestsPerSecond', 'cpu', 'memory', 'p99LatencyMs'])
      expect(text).toContain(`"${t}"`);
    expect(text).toContain('"stabilizationWindowSeconds"');
    expect(text).toContain('"idleSeconds"');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('the revision and autoscaling', () => {
  // revisionOf hashes spec.template only: scaling is not a new revision, so changing the bounds,
  // metrics or behaviour never starts a rollout.
  it('does not change when only autoscaling changes', () => {
    const plain = parseDeployment({ ...base(), spec: { ...base().spec, autoscaling: undefined } });
    const a = parseDeployment(base());
    const b = parseDeployment({
      ...base(),
      spec: {
        ...base().spec,
        autoscaling: {
          minReplicas: 0,
          maxReplicas: 50,
          metrics: [{ type: 'cpu', targetUtilization: 50 }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
        },
      },
    });
    expect(revisionOf(a.spec.template)).toBe(revisionOf(plain.spec.template));
    expect(revisionOf(b.spec.template)).toBe(revisionOf(a.spec.template));
    // and the template still matters
    const c = base();
    c.spec.template.containers[0]!.image = 'hello/web:2';
    expect(revisionOf(parseDeployment(c).spec.template)).not.toBe(revisionOf(a.spec.template));
  });
});

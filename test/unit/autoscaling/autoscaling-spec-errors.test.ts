import { describe, expect, it } from 'vitest';
import { parseDeployment } from '../../../src/spec/load.js';
import { base, type Mut, problems } from './deployment-doc.js';

// Bad input: each refused with its field path and a message that says how to fix it (issue 16,
// "Bad input"), before anything is touched.
describe('spec.autoscaling input rules', () => {
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
      /^no policy: add at least one, or set selectPolicy: Disabled to turn this direction off$/,
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

  it('accepts no policies in a Disabled direction', () => {
    const d = base();
    Object.assign(d.spec.autoscaling, { behavior: { scaleDown: { selectPolicy: 'Disabled', policies: [] } } });
    expect(parseDeployment(d).spec.autoscaling!.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      policies: [],
      selectPolicy: 'Disabled',
    });
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
});

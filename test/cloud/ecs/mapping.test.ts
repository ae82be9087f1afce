import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fargateSize,
  healthCheckOf,
  mapSlice,
  replicaFromTask,
  secretValueFrom,
  sliceFromService,
} from '../../../providers/aws-ecs/index.js';
import { ValidationError } from '../../../src/errors/index.js';
import { podTemplate } from '../../../src/spec/deployment.js';
import { BotocoreChecker, ECS_EXAMPLES_PATH, ecsTestbed } from '../../emulators/ecs/index.js';
import { sliceOf, webTemplate } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
const bed = ecsTestbed();
afterAll(() => {
  bed.close();
  nock.enableNetConnect();
});

const container = (c: Record<string, unknown>) =>
  podTemplate.parse({ containers: [{ name: 'app', image: 'busybox', ...c }] }).containers[0]!;

describe('Fargate task size', () => {
  it('takes exact valid pairs, fills the smallest partner, defaults to 256/512', () => {
    expect(fargateSize(webTemplate())).toEqual({ cpu: 256, memory: 512 });
    expect(fargateSize(webTemplate({ resources: {} }))).toEqual({ cpu: 256, memory: 512 });
    expect(fargateSize(webTemplate({ resources: { cpu: 1 } }))).toEqual({ cpu: 1024, memory: 2048 });
    expect(fargateSize(webTemplate({ resources: { memory: '3Gi' } }))).toEqual({ cpu: 512, memory: 3072 });
    expect(fargateSize(webTemplate({ resources: { cpu: '2', memory: '16Gi' } }))).toEqual({ cpu: 2048, memory: 16384 });
    expect(fargateSize(webTemplate({ resources: { cpu: 16, memory: '120Gi' } }))).toEqual({
      cpu: 16384,
      memory: 122880,
    });
  });

  it('rejects an invalid pair BEFORE any call, naming the valid pairs', async () => {
    const bad = webTemplate({ resources: { cpu: '300m', memory: '512Mi' } });
    expect(() => fargateSize(bad)).toThrow(ValidationError);
    const mark = bed.emulator.log.mark();
    const err = await bed
      .provider()
      .apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1, bad))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('cpu 256 (0.25 vCPU): memory 512, 1024 or 2048 MiB');
    expect((err as ValidationError).message).toContain('300m');
    expect(bed.emulator.log.since(mark)).toEqual([]);
    expect(() => fargateSize(webTemplate({ resources: { cpu: '250m', memory: '4Gi' } }))).toThrow(/valid pairs/);
  });
});

describe('health checks within ECS limits (model HealthCheck; AWS docs: interval 5-300, timeout 2-60, retries 1-10, startPeriod 0-300)', () => {
  it('maps httpGet to a CMD-SHELL curl || wget, resolving named ports, and clamps values', () => {
    const hc = healthCheckOf(
      container({
        ports: [{ name: 'http', containerPort: 9000 }],
        readinessProbe: {
          httpGet: { path: "/it's", port: 'http', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 50,
          initialDelaySeconds: 900,
        },
      }),
    )!;
    expect(hc.command![0]).toBe('CMD-SHELL');
    expect(hc.command![1]).toBe(
      "curl -fsS -o /dev/null -H 'X-Probe: 1' 'http://localhost:9000/it'\\''s' || wget -q -O /dev/null --header 'X-Probe: 1' 'http://localhost:9000/it'\\''s' || exit 1",
    );
    expect([hc.interval, hc.timeout, hc.retries, hc.startPeriod]).toEqual([5, 2, 10, 300]);
  });

  it('maps tcpSocket to nc -z, exec to CMD, prefers readiness over liveness, adds the startup budget', () => {
    expect(healthCheckOf(container({ livenessProbe: { tcpSocket: { port: 5432 } } }))!.command).toEqual([
      'CMD-SHELL',
      'nc -z localhost 5432 || exit 1',
    ]);
    const both = container({
      readinessProbe: { exec: { command: ['/bin/ready'] }, periodSeconds: 400 },
      livenessProbe: { tcpSocket: { port: 1 } },
      startupProbe: { exec: { command: ['/bin/up'] }, periodSeconds: 10, failureThreshold: 6 },
    });
    expect(healthCheckOf(both)).toEqual({
      command: ['CMD', '/bin/ready'],
      interval: 300,
      timeout: 2,
      retries: 3,
      startPeriod: 60,
    });
    expect(healthCheckOf(container({}))).toBeUndefined();
  });
});

describe('container mapping', () => {
  it('maps command/args to entryPoint/command, env, ports, and secrets as valueFrom ARNs (values never sent)', () => {
    const sm = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';
    const settings = { ...bed.settings, secrets: { db: sm, cfg: 'arn:aws:ssm:us-east-1:123456789012:parameter/app' } };
    const t = podTemplate.parse({
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['/bin/sh', '-c'],
          args: ['exec httpd -f'],
          env: [
            { name: 'A', value: '1' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'LEVEL', valueFrom: { secretKeyRef: { name: 'cfg', key: 'level' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: `${sm}`, key: 'token' } } },
          ],
          ports: [{ containerPort: 53, protocol: 'UDP' }],
        },
      ],
    });
    const m = mapSlice('aws-east', settings, {
      ...sliceOf('f', 'app', 'us-east-1a', 1, t),
      secrets: { DB_PASSWORD: 'hunter2-value' },
    });
    const c = m.taskDefinition.containerDefinitions[0]!;
    expect(c.entryPoint).toEqual(['/bin/sh', '-c']);
    expect(c.command).toEqual(['exec httpd -f']);
    expect(c.environment).toEqual([{ name: 'A', value: '1' }]);
    expect(c.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: `${sm}:password::` },
      { name: 'LEVEL', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/level' },
      { name: 'TOKEN', valueFrom: `${sm}:token::` },
    ]);
    expect(c.portMappings).toEqual([{ containerPort: 53, protocol: 'udp' }]);
    expect(JSON.stringify(m)).not.toContain('hunter2-value');
    expect(
      new BotocoreChecker().check('RegisterTaskDefinitionRequest', { ...m.taskDefinition, tags: m.taskDefTags }),
    ).toEqual([]);
    expect(secretValueFrom({ name: 'nope', key: 'k' }, settings)).toBeUndefined();
  });

  it('rejects unknown secret names, secrets without an execution role and unknown zones, listing each problem', () => {
    const t = podTemplate.parse({
      containers: [
        {
          name: 'app',
          image: 'busybox',
          env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }],
        },
      ],
    });
    const err = (() => {
      try {
        mapSlice('aws-east', { ...bed.settings, executionRoleArn: undefined }, sliceOf('f', 'app', 'eu-west-9z', 1, t));
      } catch (e) {
        return e as ValidationError;
      }
    })()!;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues.map((i) => i.path)).toEqual([
      'zone',
      'spec.template.containers[0].env[0].valueFrom.secretKeyRef.name',
    ]);
  });
});

describe('official examples (reference aws-ecs/ecs-2014-11-13.examples-1.subset.json)', () => {
  const examples = JSON.parse(readFileSync(ECS_EXAMPLES_PATH, 'utf8')).examples as Record<
    string,
    Array<{ id: string; input: unknown; output?: unknown }>
  >;
  const checker = new BotocoreChecker();

  it('every example input and output fits the botocore model the emulator checks against', () => {
    const problems: string[] = [];
    for (const [op, list] of Object.entries(examples)) {
      for (const ex of list) {
        problems.push(
          ...checker.checkExample(checker.inputShape(op)!, ex.input).map((p) => `${op} ${ex.id} input ${p}`),
        );
        if (ex.output)
          problems.push(
            ...checker.checkExample(checker.outputShape(op)!, ex.output).map((p) => `${op} ${ex.id} output ${p}`),
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('DescribeServices and DescribeTasks example outputs parse through the provider mapping', () => {
    const svc = (examples.DescribeServices![0]!.output as { services: Array<Record<string, unknown>> }).services[0]!;
    const slice = sliceFromService('aws-east', { fleet: 'f', deployment: 'd', revision: 'r', zone: 'z' }, svc, []);
    expect(slice.replicas).toBe(svc.desiredCount);
    expect(slice.replicaStatus).toHaveLength(Number(svc.desiredCount));
    expect(slice.replicaStatus.every((r) => !r.ready && r.message)).toBe(true);
    const tasks = (examples.DescribeTasks![0]!.output as { tasks: Array<Record<string, unknown>> }).tasks;
    for (const t of tasks) {
      const r = replicaFromTask(t, { healthChecked: false, ports: [{ containerPort: 80 }] });
      expect(r.id).toBe(t.taskArn);
      expect(r.state).toBe(t.lastStatus === 'RUNNING' ? 'ready' : 'pending');
    }
  });
});

import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AwsEcsProvider, awsEcsTargetSettings } from '../../../providers/aws-ecs/index.js';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { MemoryCallLog, withEnvCallLog } from '../../../src/calllog/index.js';
import { createFleet } from '../../../src/fleet.js';
import { LABELS } from '../../../src/provider/labels.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { type EcsEmulator, realTimeEcsEmulator, testEcsClient } from '../../emulators/ecs/index.js';

// A hybrid fleet through the public facade: a local (memory) target and an ECS target whose real SDK
// client talks to the emulator. fleet.apply polls in real time, so this emulator runs on the system
// clock with millisecond lifecycle timings instead of a ManualClock.
const FLEET = 'hybrid';
const SECRET = 'tok-ecs-5b4a3c2d1e';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web-Ab12Cd';
let em: EcsEmulator;

beforeAll(() => {
  nock.disableNetConnect();
  em = realTimeEcsEmulator();
  em.secretStores.createSecret('web', SECRET_ARN);
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

const web = (image: string, replicas: number, cpu = '250m'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web', key: 'token' } } }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu, memory: '512Mi' },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
        },
      ],
    },
    placement: { targets: [{ name: 'local', min: 1, max: 1 }, { name: 'aws' }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

it('places, rolls out, scales and deletes across local + ECS; a re-apply writes nothing', async () => {
  const callLog = new MemoryCallLog();
  const local = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'local', kind: 'memory', provider: 'docker', zones: ['laptop'] }),
    { fleet: FLEET },
    { cloud: new MemoryCloud() },
  );
  const client = testEcsClient(3);
  const settings = awsEcsTargetSettings.parse({
    name: 'aws',
    kind: 'aws-ecs',
    region: 'us-east-1',
    cluster: 'skyfleet',
    subnets: { 'us-east-1a': ['subnet-0aaa1111'], 'us-east-1b': ['subnet-0bbb2222'] },
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    secrets: { web: SECRET_ARN },
  });
  // its own client, not the testbed's: tee with $SKYFLEET_CALL_LOG here
  const aws = new AwsEcsProvider(settings, { fleet: FLEET }, { client, callLog: withEnvCallLog(callLog)! });
  const fleet = createFleet({ name: FLEET, targets: [local, aws], store: ':memory:', secrets: () => SECRET });
  const opts = { timeoutMs: 20_000, pollIntervalMs: 5 };
  const active = () => [...em.services.values()].filter((s) => s.status === 'ACTIVE');
  const awsReplicas = () => active().reduce((n, s) => n + s.desiredCount, 0);
  const revisions = () => new Set(active().map((s) => s.tags.find((t) => t.key === LABELS.revision)?.value));
  try {
    const first = await fleet.apply(web('app:1', 5), opts);
    expect(first.progress.ready).toBe(5);
    const byTarget = (t: string) =>
      first.placement.assignments.filter((a) => a.target === t).reduce((n, a) => n + a.replicas, 0);
    expect([byTarget('local'), byTarget('aws')]).toEqual([1, 4]);
    expect(active()).toHaveLength(2); // one service per zone
    expect(active().map((s) => s.desiredCount)).toEqual([2, 2]);

    let mark = em.log.mark();
    const again = await fleet.apply(web('app:1', 5), opts);
    expect(again.writes).toBe(0);
    expect(em.log.writes(mark)).toEqual([]);

    // a change ECS could never run (300m is no Fargate task size) is refused at admission, with
    // the field: the local target does not start the new revision either (nothing half-done)
    const localRevisions = async () =>
      new Set((await local.observe({ fleet: FLEET, deployment: 'web' })).map((s) => s.key.revision));
    await expect(fleet.apply(web('app:3', 5, '300m'), opts)).rejects.toThrow(
      /spec\.template\.containers\[\]\.resources: target aws \(aws-ecs\): not a valid AWS Fargate task size \(cpu 300m/,
    );
    expect(await localRevisions()).toEqual(new Set([first.revision]));
    expect(em.log.writes(mark)).toEqual([]);
    expect((await fleet.history('web')).map((h) => h.number)).toEqual([1]);

    const roll = await fleet.apply(web('app:2', 5), opts);
    expect(roll.revision).not.toBe(first.revision);
    expect(revisions()).toEqual(new Set([roll.revision]));
    expect(awsReplicas()).toBe(4);
    expect(await fleet.status('web')).toMatchObject({ replicas: 5, ready: 5, current: 5 });
    // the old revision's task definition was deregistered once its services were gone
    expect(em.taskDefs.get('sf_hybrid_aws_web')!.map((t) => t.status)).toEqual(['INACTIVE', 'ACTIVE']);

    await fleet.scale('web', 7, opts);
    expect(awsReplicas()).toBe(6);
    await fleet.scale('web', 3, opts);
    expect(awsReplicas()).toBe(2);
    mark = em.log.mark();
    expect((await fleet.apply(web('app:2', 3), opts)).writes).toBe(0);
    expect(em.log.writes(mark)).toEqual([]);

    await fleet.delete('web');
    expect(active()).toEqual([]);
    expect(em.taskDefs.get('sf_hybrid_aws_web')!.every((t) => t.status === 'INACTIVE')).toBe(true);

    expect(JSON.stringify(callLog.entries)).not.toContain(SECRET);
    expect(JSON.stringify(em.log.entries)).not.toContain(SECRET);
    expect(callLog.entries.some((e) => e.reason !== 'observe' && e.deployment === 'web')).toBe(true);
    expect(em.violations.problems).toEqual([]);
  } finally {
    await fleet.close();
    client.destroy();
  }
});

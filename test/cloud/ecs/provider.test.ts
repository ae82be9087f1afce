import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsEcsProvider, awsEcsTargetSettings, serviceName } from '../../../providers/aws-ecs/index.js';
import { ProviderError } from '../../../src/errors/index.js';
import { LABELS } from '../../../src/provider/labels.js';
import { ecsTestbed } from '../../emulators/ecs/index.js';
import { converge, sliceOf, webTemplate } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

let bed = ecsTestbed();
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
  bed = ecsTestbed();
});

const body = (op: string, mark = 0) =>
  bed.emulator.log.since(mark).find((e) => e.operation === op && e.status === 200)?.body as Record<string, unknown>;

describe('aws-ecs provider against the ECS emulator', () => {
  it('creates one Fargate service per slice pinned to the zone subnets, with identity tags and a bounded clientToken', async () => {
    const p = bed.provider();
    const s = sliceOf(bed.fleet, 'web', 'us-east-1b', 2);
    expect(await p.apply(s)).toEqual({ changed: true, writes: 2 });
    expect(bed.emulator.log.operations()).toEqual([
      'DescribeServices',
      'DescribeClusters',
      'ListTaskDefinitions',
      'RegisterTaskDefinition',
      'CreateService',
    ]);
    const td = body('RegisterTaskDefinition');
    expect(td).toMatchObject({
      family: 'sf_fleet1_aws-east_web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      containerDefinitions: [
        {
          name: 'web',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          essential: true,
          environment: [{ name: 'MODE', value: 'prod' }],
          portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http' }],
          healthCheck: {
            command: ['CMD-SHELL', expect.stringContaining("curl -fsS -o /dev/null 'http://localhost:8080/healthz'")],
            interval: 10,
            timeout: 2,
            retries: 3,
            startPeriod: 0,
          },
        },
      ],
    });
    const cs = body('CreateService');
    expect(cs).toMatchObject({
      cluster: 'skyfleet',
      serviceName: `sf_fleet1_aws-east_web_${s.key.revision}_us-east-1b`,
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/sf_fleet1_aws-east_web:1',
      desiredCount: 2,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0bbb2222'],
          securityGroups: ['sg-0123abcd'],
          assignPublicIp: 'DISABLED',
        },
      },
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
    });
    expect(String(cs.clientToken).length).toBeLessThanOrEqual(36);
    const tags = Object.fromEntries((cs.tags as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      [LABELS.managedBy]: 'skyfleet',
      [LABELS.fleet]: 'fleet1',
      [LABELS.deployment]: 'web',
      [LABELS.revision]: s.key.revision,
      [LABELS.domain]: 'us-east-1b',
      team: 'web',
    });
    const [observed] = await converge(bed, p, [s]);
    expect(observed!.replicaStatus.map((r) => r.endpoints[0])).toEqual([
      expect.objectContaining({
        host: expect.stringMatching(/^10\.0\./),
        port: 8080,
        containerPort: 8080,
        portName: 'http',
      }),
      expect.objectContaining({ host: expect.stringMatching(/^10\.0\./), port: 8080 }),
    ]);
    expect(bed.emulator.aliveTasks(cs.serviceName as string).every((t) => t.az === 'us-east-1b')).toBe(true);
  });

  it('a CreateService whose answer is lost is retried with the same clientToken and makes one service', async () => {
    bed.emulator.loseNextAnswers(1, ['CreateService']);
    const r = await bed.provider().apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1));
    expect(r.changed).toBe(true);
    const creates = bed.emulator.log.entries.filter((e) => e.operation === 'CreateService');
    expect(creates.map((e) => e.status)).toEqual([500, 200]);
    expect(creates[0]!.body).toEqual(creates[1]!.body);
    expect([...bed.emulator.services.values()].filter((s) => s.status === 'ACTIVE')).toHaveLength(1);
  });

  it('registers a task definition only when the revision changes; a new instance finds it again by its tags', async () => {
    const p = bed.provider();
    await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 1), sliceOf(bed.fleet, 'web', 'us-east-1b', 1)]);
    await bed.provider().apply(sliceOf(bed.fleet, 'web', 'us-east-1c', 1)); // fresh instance, no memory
    expect(bed.emulator.log.count('RegisterTaskDefinition')).toBe(1);
    expect(bed.emulator.log.count('DescribeTaskDefinition')).toBe(1);
    const v2 = webTemplate({}, 'public.ecr.aws/nginx/nginx:1.28');
    await p.apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1, v2));
    expect(bed.emulator.log.count('RegisterTaskDefinition')).toBe(2);
    expect(bed.emulator.taskDefs.get('sf_fleet1_aws-east_web')!.map((t) => t.revision)).toEqual([1, 2]);
  });

  it('remove scales to 0 then deletes with force; deregisters the task definition once no service uses it; absent is success', async () => {
    const p = bed.provider();
    const a = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
    const b = sliceOf(bed.fleet, 'web', 'us-east-1b', 1);
    await converge(bed, p, [a, b]);
    const m1 = bed.emulator.log.mark();
    expect(await p.remove(a.key)).toEqual({ changed: true, writes: 2 });
    expect(bed.emulator.log.operations(m1)).toEqual([
      'DescribeServices',
      'UpdateService',
      'DeleteService',
      'ListServices',
      'DescribeServices',
    ]);
    expect(body('UpdateService', m1)).toEqual({
      cluster: 'skyfleet',
      service: serviceName('aws-east', a.key),
      desiredCount: 0,
    });
    expect(body('DeleteService', m1)).toEqual({
      cluster: 'skyfleet',
      service: serviceName('aws-east', a.key),
      force: true,
    });
    const m2 = bed.emulator.log.mark();
    expect(await p.remove(b.key)).toEqual({ changed: true, writes: 3 });
    // the first slice's service is still DRAINING: listed and described, but it does not hold the task definition
    expect(bed.emulator.log.operations(m2)).toEqual([
      'DescribeServices',
      'UpdateService',
      'DeleteService',
      'ListServices',
      'DescribeServices',
      'DeregisterTaskDefinition',
    ]);
    expect(bed.emulator.taskDefs.get('sf_fleet1_aws-east_web')![0]!.status).toBe('INACTIVE');
    expect(await p.remove(b.key)).toEqual({ changed: false, writes: 0 });
    expect(await p.observe({ fleet: bed.fleet })).toEqual([]);
    bed.advance(5000);
    expect([...bed.emulator.services.values()].map((s) => s.status)).toEqual(['INACTIVE', 'INACTIVE']);
  });

  it('a changed target setting (security groups) updates the service in place and re-tags it; no second service', async () => {
    const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 1);
    await converge(bed, bed.provider(), [s]);
    const changed = new AwsEcsProvider(
      { ...bed.settings, securityGroups: ['sg-0new0000'] },
      { fleet: bed.fleet },
      { client: bed.client, clock: bed.clock },
    );
    const mark = bed.emulator.log.mark();
    expect(await changed.apply(s)).toEqual({ changed: true, writes: 2 });
    expect(bed.emulator.log.operations(mark)).toEqual(['DescribeServices', 'UpdateService', 'TagResource']);
    expect(body('UpdateService', mark)).toMatchObject({
      forceNewDeployment: true,
      networkConfiguration: { awsvpcConfiguration: { securityGroups: ['sg-0new0000'] } },
    });
    expect(await changed.apply(s)).toEqual({ changed: false, writes: 0 });
    await converge(bed, changed, [s]);
    expect(bed.emulator.services.size).toBe(1);
  });

  it('reports public IPs through the ENI resolver when assignPublicIp is on', async () => {
    const settings = awsEcsTargetSettings.parse({ ...bed.settings, assignPublicIp: true });
    const p = new AwsEcsProvider(
      settings,
      { fleet: bed.fleet },
      {
        client: bed.client,
        clock: bed.clock,
        resolvePublicIps: async (enis) => Object.fromEntries(enis.map((e) => [e, bed.emulator.publicIpOf(e)!])),
      },
    );
    const [o] = await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 1)]);
    expect(body('CreateService')).toMatchObject({
      networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'ENABLED' } },
    });
    expect(o!.replicaStatus[0]!.endpoints[0]!.host).toMatch(/^54\.0\./);
  });

  it('classifies errors: AccessDenied/InvalidParameter terminal, Throttling/Server retryable, with AWS message and request id', async () => {
    const p = bed.provider();
    bed.emulator.denyNext(1);
    const denied = (await p.observe({ fleet: bed.fleet }).catch((e: unknown) => e)) as ProviderError;
    expect(denied).toBeInstanceOf(ProviderError);
    expect(denied).toMatchObject({
      retryable: false,
      providerCode: 'AccessDeniedException',
      status: 400,
      operation: 'ListServices',
    });
    expect(denied.requestId).toMatch(/^00000000-0000-4000-8000-/);
    expect(denied.message).toContain('is not authorized to perform this action');
    bed.emulator.throttle(1);
    const throttled = (await p.observe({ fleet: bed.fleet }).catch((e: unknown) => e)) as ProviderError;
    expect(throttled).toMatchObject({ retryable: true, providerCode: 'ThrottlingException', status: 400 });
    expect(throttled.message).toContain('Rate exceeded');
    expect(bed.emulator.log.count('ListServices')).toBe(1 + bed.maxAttempts); // the SDK's own bounded retries
    bed.emulator.throttle(0);
    bed.emulator.failNextWithServerError(bed.maxAttempts);
    expect(await p.observe({ fleet: bed.fleet }).catch((e: unknown) => e)).toMatchObject({
      retryable: true,
      providerCode: 'ServerException',
      status: 500,
    });
    // a task definition the service rejects (bypassing the provider's own checks) is terminal with ECS's message
    const bad = new AwsEcsProvider(
      { ...bed.settings, cluster: 'no-such-cluster' },
      { fleet: bed.fleet },
      { client: bed.client, clock: bed.clock },
    );
    expect(await bad.observe({ fleet: bed.fleet }).catch((e: unknown) => e)).toMatchObject({
      retryable: false,
      providerCode: 'ClusterNotFoundException',
      message: expect.stringContaining('Cluster not found.'),
    });
  });

  it('a crashed task drops out of the ready count and ECS replaces it', async () => {
    const p = bed.provider();
    const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
    await converge(bed, p, [s]);
    const victim = bed.emulator.aliveTasks(serviceName('aws-east', s.key))[0]!;
    bed.emulator.crashTask(victim.arn);
    const [o] = await p.observe({ fleet: bed.fleet });
    expect(o!.ready).toBe(1);
    expect(o!.replicaStatus.map((r) => r.id)).not.toContain(victim.arn);
    expect(o!.replicaStatus.filter((r) => !r.ready).map((r) => r.state)).toEqual(['pending']);
    expect(bed.emulator.tasks.get(victim.arn)).toMatchObject({ stopCode: 'EssentialContainerExited', exitCode: 1 });
    const [after] = await converge(bed, p, [s]);
    expect(after!.replicaStatus.map((r) => r.id)).not.toContain(victim.arn);
  });

  it('a scale-in stops exactly the tasks the reconciler drained (`remove`): the others get scale-in protection first', async () => {
    const p = bed.provider();
    const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 3);
    const [o] = await converge(bed, p, [s]);
    const name = serviceName('aws-east', s.key);
    // left to itself, ECS (the emulator) stops the newest task first; the load balancer drained
    // the one it would stop last
    const byStopOrder = [...bed.emulator.aliveTasks(name)].sort((a, b) => b.launchedAt - a.launchedAt);
    const oldest = byStopOrder[byStopOrder.length - 1]!;
    expect(o!.replicaStatus.map((r) => r.id)).toContain(oldest.arn);
    const mark = bed.emulator.log.mark();
    expect(await p.apply({ ...s, replicas: 2, remove: [oldest.arn] })).toEqual({ changed: true, writes: 2 });
    expect(bed.emulator.log.since(mark).map((e) => e.operation)).toEqual([
      'DescribeServices',
      'ListTasks',
      'UpdateTaskProtection',
      'UpdateService',
    ]);
    expect(body('UpdateTaskProtection', mark)).toMatchObject({ protectionEnabled: true, expiresInMinutes: 5 });
    const [after] = await converge(bed, p, [{ ...s, replicas: 2 }]);
    const left = after!.replicaStatus.map((r) => r.id);
    expect(left).toHaveLength(2);
    expect(left).not.toContain(oldest.arn);
    expect(bed.emulator.tasks.get(oldest.arn)).toMatchObject({ stopCode: 'ServiceSchedulerInitiated' });
  });

  it('zone outage: the zone’s replicas are reported not ready with the reason; other zones stay ready', async () => {
    const p = bed.provider();
    const a = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
    const b = sliceOf(bed.fleet, 'web', 'us-east-1b', 2);
    await converge(bed, p, [a, b]);
    bed.emulator.zoneDown('us-east-1a');
    bed.advance(15_000);
    const obs = await p.observe({ fleet: bed.fleet });
    const inA = obs.find((o) => o.key.zone === 'us-east-1a')!;
    const inB = obs.find((o) => o.key.zone === 'us-east-1b')!;
    expect([inA.replicas, inA.ready, inB.ready]).toEqual([2, 0, 2]);
    expect(inA.replicaStatus).toHaveLength(2);
    for (const r of inA.replicaStatus) {
      expect(r.ready).toBe(false);
      expect(r.message).toMatch(/us-east-1a/);
      expect(r.message).toMatch(/unavailable|unreachable/i);
    }
    bed.emulator.zoneUp('us-east-1a');
    await converge(bed, p, [a, b]);
  });
});

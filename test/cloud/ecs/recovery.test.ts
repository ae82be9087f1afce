/**
 * ECS recovery: what a real account does when tasks cannot start, and what skyfleet does about it.
 *
 * - A task whose image cannot be pulled goes PROVISIONING -> PENDING -> STOPPED with stopCode
 *   TaskFailedToStart and the agent's "CannotPullContainerError: ..." stoppedReason (e.g. Fargate
 *   in a public subnet without a public IP or NAT: https://repost.aws/knowledge-center/ecs-fargate-pull-container-error).
 * - The deployment circuit breaker (deploymentConfiguration.deploymentCircuitBreaker, botocore
 *   model shape DeploymentCircuitBreaker {enable, rollback}) fails the deployment once
 *   clamp(ceil(0.5 x desired), 3, 200) tasks failed
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html):
 *   rolloutState FAILED (enum DeploymentRolloutState), and it launches no more tasks
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html).
 * - Capacity providers are attached to a cluster (Cluster.capacityProviders in DescribeClusters).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceName } from '../../../providers/aws-ecs/index.js';
import { retryDelayMs } from '../../../providers/aws-ecs/recovery.js';
import { type EcsTestbed, ecsTestbed } from '../../emulators/ecs/index.js';
import { converge, sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

const forced = (b: EcsTestbed) =>
  b.emulator.log.entries.filter(
    (e) => e.operation === 'UpdateService' && (e.body as { forceNewDeployment?: boolean }).forceNewDeployment === true,
  );

describe('aws-ecs recovery', () => {
  it('image pulls that fail: failed replicas with ECS’s stopped reason, the circuit breaker trips, nothing is written until the backoff is due, then a forced new deployment converges once the cause is fixed', async () => {
    bed = ecsTestbed();
    const p = bed.provider();
    const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
    bed.emulator.failImagePulls(/nginx/);
    await p.apply(s);
    // the first two tasks stop: they keep stopping for a cause, so they are failed, not pending
    bed.advance(4000);
    const [early] = await p.observe({ fleet: bed.fleet });
    expect(early!.replicaStatus.map((r) => r.state)).toEqual(['failed', 'failed']);
    expect(early!.replicaStatus[0]!.message).toMatch(/stopped: CannotPullContainerError: pull image manifest/);
    // two more fail: the threshold (3 for 2 replicas) is reached and the deployment is FAILED
    bed.advance(4000);
    const [o] = await p.observe({ fleet: bed.fleet });
    const svc = bed.emulator.services.get(`skyfleet/${serviceName('aws-east', s.key)}`)!;
    expect(svc.deployments[0]!.state).toBe('FAILED');
    expect(o!.ready).toBe(0);
    expect(o!.replicaStatus.map((r) => r.state)).toEqual(['failed', 'failed']);
    expect(o!.replicaStatus[0]!.message).toMatch(
      /^ECS deployment circuit breaker: tasks failed to start\. task \w+ stopped: CannotPullContainerError: /,
    );
    // a failed deployment launches nothing more
    const launched = bed.emulator.tasks.size;
    bed.advance(10_000);
    await p.observe({ fleet: bed.fleet });
    expect(bed.emulator.tasks.size).toBe(launched);
    // the reconciler's repair re-applies: no write before the backoff is due
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    expect(forced(bed)).toHaveLength(0);
    // the cause is fixed outside skyfleet (a NAT gateway, the image pushed): the next due retry converges
    bed.emulator.failImagePulls(null);
    bed.advance(retryDelayMs(0));
    // the forced deployment, and the count on the service (TagResource): the backoff survives a restart
    expect(await p.apply(s)).toEqual({ changed: true, writes: 2 });
    expect(forced(bed)).toHaveLength(1);
    expect(svc.tags.find((t) => t.key === 'skyfleet.dev/forced-deployments')?.value).toBe(
      `1 ${svc.deployments[0]!.id}`,
    );
    const [after] = await converge(bed, p, [s]);
    expect(after!.ready).toBe(2);
    expect(svc.deployments[0]!.state).toBe('COMPLETED');
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
  });

  it('while the cause stays, new deployments are forced with exponential backoff', async () => {
    bed = ecsTestbed();
    const policy = { baseMs: 5000, maxMs: 600_000 };
    const p = bed.provider({ deploymentRetry: policy });
    const s = sliceOf(bed.fleet, 'web', 'us-east-1b', 1);
    bed.emulator.failImagePulls(/nginx/);
    await p.apply(s);
    // from when observe first shows the deployment FAILED to the forced new deployment
    const waits: number[] = [];
    let failedSince: number | undefined;
    for (let step = 0; step < 500 && waits.length < 4; step++) {
      bed.advance(1000);
      const [o] = await p.observe({ fleet: bed.fleet });
      const failed = o!.replicaStatus.some((r) => r.message?.startsWith('ECS deployment circuit breaker'));
      if (failed && failedSince === undefined) failedSince = bed.clock.now();
      const before = forced(bed).length;
      await p.apply(s);
      if (forced(bed).length > before) {
        waits.push(bed.clock.now() - failedSince!);
        failedSince = undefined;
      }
    }
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000]);
  });

  it("a restarted provider goes on with the backoff ECS keeps: from the failed deployment's updatedAt, counting the forced deployments on the service", async () => {
    bed = ecsTestbed();
    const policy = { baseMs: 5000, maxMs: 600_000 };
    const s = sliceOf(bed.fleet, 'web', 'us-east-1b', 1);
    const svc = () => bed.emulator.services.get(`skyfleet/${serviceName('aws-east', s.key)}`)!;
    const failedAt = () => (svc().deployments[0]!.state === 'FAILED' ? svc().deployments[0]!.updatedAt : undefined);
    bed.emulator.failImagePulls(/nginx/);
    let p = bed.provider({ deploymentRetry: policy });
    await p.apply(s);
    // the first failure, and the first forced deployment 5 s after it
    for (let i = 0; i < 60 && failedAt() === undefined; i++) {
      bed.advance(1000);
      await p.observe({ fleet: bed.fleet });
    }
    const first = failedAt()!;
    expect(first).toBeDefined();
    bed.advance(first + 5000 - bed.clock.now());
    await p.apply(s);
    expect(forced(bed)).toHaveLength(1);
    // the forced deployment fails too
    for (let i = 0; i < 60 && failedAt() === undefined; i++) {
      bed.advance(1000);
      await p.observe({ fleet: bed.fleet });
    }
    const second = failedAt()!;
    expect(second).toBeGreaterThan(first);

    // the controller restarts: a new provider, nothing in memory. One forced deployment is on
    // record, so the next is due 10 s after the second failure, not 5 s after this one sees it
    p = bed.provider({ deploymentRetry: policy });
    bed.advance(second + 10_000 - 1 - bed.clock.now());
    await p.observe({ fleet: bed.fleet });
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    expect(forced(bed)).toHaveLength(1);
    bed.advance(1);
    expect(await p.apply(s)).toEqual({ changed: true, writes: 2 });
    expect(forced(bed)).toHaveLength(2);
    expect(svc().tags.find((t) => t.key === 'skyfleet.dev/forced-deployments')?.value).toBe(
      `2 ${svc().deployments[0]!.id}`,
    );
  });

  it('a cluster without the FARGATE capacity provider: a terminal error naming the cluster and the fix, before any write', async () => {
    bed = ecsTestbed({ emulator: { capacityProviders: { skyfleet: [] } } });
    const p = bed.provider();
    const err = await p.apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      retryable: false,
      providerCode: 'CapacityProviderNotAttached',
      message: expect.stringMatching(
        /cluster skyfleet has no FARGATE capacity provider \(attached: none\); attach it: aws ecs put-cluster-capacity-providers --cluster skyfleet/,
      ),
    });
    expect(bed.emulator.log.writes()).toEqual([]);
    expect(bed.emulator.log.operations()).toEqual(['DescribeServices', 'DescribeClusters']);
  });
});

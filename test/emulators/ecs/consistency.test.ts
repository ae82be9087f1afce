/**
 * The ECS emulator's eventual consistency, through the real ECSClient. "The Amazon ECS API follows
 * an eventual consistency model ... the result of an API command you run that affects your Amazon
 * ECS resources might not be immediately visible to all subsequent commands you run" (RunTask in
 * emulators/reference/aws-ecs/ecs-2014-11-13.service-2.full.json;
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html): for
 * `consistencyLagMs` after a write, lists and describes show what was there before it, and a
 * service's tags show `tagLagMs` after they were written.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import nock from 'nock';
import { afterEach, beforeAll, afterAll, expect, it } from 'vitest';
import { type EcsTestbed, ecsTestbed } from './index.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

const cluster = 'skyfleet';

async function register(image: string): Promise<string> {
  const res = await bed.client.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image, essential: true }],
    }),
  );
  return res.taskDefinition!.taskDefinitionArn!;
}

const create = (taskDefinition: string) =>
  bed.client.send(
    new CreateServiceCommand({
      cluster,
      serviceName: 'web',
      taskDefinition,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0aaa1111'] } },
      tags: [{ key: 'team', value: 'a' }],
    }),
  );
const listed = async () => (await bed.client.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
const described = async () =>
  bed.client.send(new DescribeServicesCommand({ cluster, services: ['web'], include: ['TAGS'] }));
const taskArns = async () => (await bed.client.send(new ListTasksCommand({ cluster }))).taskArns ?? [];

it('a new service and its tasks are missing from lists and describes for the lag; its tags show later still', async () => {
  bed = ecsTestbed({ emulator: { consistencyLagMs: 2000, tagLagMs: 5000 } });
  const created = await create(await register('nginx:1'));
  const arn = created.service!.serviceArn!;
  // the writer's own answer is current
  expect(created.service).toMatchObject({ status: 'ACTIVE', desiredCount: 2 });
  expect(await listed()).toEqual([]);
  expect(await described()).toMatchObject({ services: [], failures: [{ arn, reason: 'MISSING' }] });
  // the scheduler started 2 tasks: not listed, and MISSING when described by ARN
  const started = bed.emulator.aliveTasks('web', cluster).map((t) => t.arn);
  expect(started).toHaveLength(2);
  expect(await taskArns()).toEqual([]);
  const tasks = await bed.client.send(new DescribeTasksCommand({ cluster, tasks: started }));
  expect(tasks.tasks).toEqual([]);
  expect(tasks.failures?.map((f) => f.reason)).toEqual(['MISSING', 'MISSING']);

  bed.advance(2000);
  expect(await listed()).toEqual([arn]);
  expect((await taskArns()).sort()).toEqual([...started].sort());
  // the service shows, its tags do not yet
  const early = await described();
  expect(early.services?.[0]).toMatchObject({ serviceName: 'web', desiredCount: 2, tags: [] });
  expect((await bed.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([]);

  bed.advance(3000);
  expect((await described()).services?.[0]?.tags).toEqual([{ key: 'team', value: 'a' }]);
  expect((await bed.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([
    { key: 'team', value: 'a' },
  ]);
});

it('after UpdateService, TagResource and DeleteService, describes show the service as it was for the lag', async () => {
  bed = ecsTestbed({ emulator: { consistencyLagMs: 2000, tagLagMs: 2000 } });
  const td1 = await register('nginx:1');
  const arn = (await create(td1)).service!.serviceArn!;
  bed.advance(2000);
  const td2 = await register('nginx:2');
  const updated = await bed.client.send(
    new UpdateServiceCommand({ cluster, service: 'web', desiredCount: 3, taskDefinition: td2 }),
  );
  await bed.client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'team', value: 'b' }] }));
  expect(updated.service).toMatchObject({ desiredCount: 3, taskDefinition: td2 });
  expect((await described()).services?.[0]).toMatchObject({
    desiredCount: 2,
    taskDefinition: td1,
    tags: [{ key: 'team', value: 'a' }],
  });
  bed.advance(2000);
  expect((await described()).services?.[0]).toMatchObject({
    desiredCount: 3,
    taskDefinition: td2,
    tags: [{ key: 'team', value: 'b' }],
  });

  await bed.client.send(new DeleteServiceCommand({ cluster, service: 'web', force: true }));
  expect((await described()).services?.[0]?.status).toBe('ACTIVE');
  expect(await listed()).toEqual([arn]);
  bed.advance(2000);
  expect((await described()).services?.[0]?.status).not.toBe('ACTIVE');
});

it('consistencyLagMs 0: every read shows every write at once', async () => {
  bed = ecsTestbed({ emulator: { consistencyLagMs: 0, tagLagMs: 0 } });
  const arn = (await create(await register('nginx:1'))).service!.serviceArn!;
  expect(await listed()).toEqual([arn]);
  expect((await described()).services?.[0]?.tags).toEqual([{ key: 'team', value: 'a' }]);
  expect(await taskArns()).toHaveLength(2);
});

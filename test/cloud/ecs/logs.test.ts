/**
 * Container logs on ECS: a default `awslogs` log configuration (model: ContainerDefinition.logConfiguration,
 * LogConfiguration {logDriver, options}) so users can see why a container died. One log group per
 * fleet, `/skyfleet/<fleet>`, in the target's region, streams `<deployment>/<container>/<task id>`,
 * created by ECS when missing through `awslogs-create-group` (needs logs:CreateLogGroup on the
 * execution role: https://repost.aws/knowledge-center/ecs-tasks-fargate-log-drivers). Fargate sends
 * awslogs with the execution role, so without one logs are off by default and asking for them is an error.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsEcsTargetSettings } from '../../../providers/aws-ecs/index.js';
import { type EcsTestbed, ecsTestbed } from '../../emulators/ecs/index.js';
import { converge, sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

const registered = (b: EcsTestbed) =>
  b.emulator.log.entries.find((e) => e.operation === 'RegisterTaskDefinition' && e.status === 200)?.body as {
    containerDefinitions: Array<{ logConfiguration?: unknown }>;
  };

describe('aws-ecs container logs', () => {
  it('by default: awslogs into /skyfleet/<fleet> in the target region, stream prefix = deployment, group created when missing', async () => {
    bed = ecsTestbed({ fleet: 'shop' });
    await converge(bed, bed.provider(), [sliceOf(bed.fleet, 'web', 'us-east-1a', 1)]);
    expect(registered(bed).containerDefinitions[0]!.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/skyfleet/shop',
        'awslogs-region': 'us-east-1',
        'awslogs-stream-prefix': 'web',
        'awslogs-create-group': 'true',
      },
    });
  });

  it('a group the user made (createGroup false), a custom prefix, or logs: false', async () => {
    bed = ecsTestbed({ settings: { logs: { group: '/team/web', streamPrefix: 'app', createGroup: false } } });
    await bed.provider().apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1));
    expect(registered(bed).containerDefinitions[0]!.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/team/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' },
    });
    bed.close();
    bed = ecsTestbed({ settings: { logs: false } });
    await bed.provider().apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1));
    expect(registered(bed).containerDefinitions[0]!.logConfiguration).toBeUndefined();
  });

  it('without an execution role logs are off by default, and asking for them is an error naming the field', async () => {
    bed = ecsTestbed({ settings: { executionRoleArn: undefined } });
    await bed.provider().apply(sliceOf(bed.fleet, 'web', 'us-east-1a', 1));
    expect(registered(bed).containerDefinitions[0]!.logConfiguration).toBeUndefined();
    const r = awsEcsTargetSettings.safeParse({ ...bed.settings, executionRoleArn: undefined, logs: {} });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ path: ['logs'], message: expect.stringMatching(/needs an executionRoleArn/) }),
    ]);
  });

  it('the emulator rejects awslogs on Fargate without an execution role, as ECS does', async () => {
    bed = ecsTestbed();
    const { ECSClient, RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    expect(bed.client).toBeInstanceOf(ECSClient);
    const err = await bed.client
      .send(
        new RegisterTaskDefinitionCommand({
          family: 'f',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            {
              name: 'web',
              image: 'nginx:1',
              logConfiguration: {
                logDriver: 'awslogs',
                options: { 'awslogs-group': '/g', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' },
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ClientException', message: expect.stringMatching(/execution role ARN/) });
  });
});

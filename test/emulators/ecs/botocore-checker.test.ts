import { expect, it } from 'vitest';
import { BotocoreChecker, type BotocoreModel } from '../../../emulators/aws-ecs/botocore-checker.js';

// The checker behind every ECS "no model violations" assertion (and the strict setup): it must
// actually catch problems. Shapes of ecs-2014-11-13.service-2.full.json: CreateServiceRequest,
// NetworkConfiguration, AwsVpcConfiguration, Tag (TagKey's pattern), CapacityProviderStrategyItem,
// ServiceConnectClientAlias (PortNumber 0..65535), DescribeServicesResponse, Service.
const checker = new BotocoreChecker();

it('accepts a request and a response that fit the model', () => {
  expect(
    checker.check('CreateServiceRequest', {
      cluster: 'c',
      serviceName: 'web',
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
      tags: [{ key: 'skyfleet.dev/fleet', value: 'prod' }],
    }),
  ).toEqual([]);
  expect(
    checker.check('DescribeServicesResponse', {
      services: [{ serviceName: 'web', desiredCount: 2, runningCount: 1, createdAt: 1_700_000_000.5 }],
      failures: [],
    }),
  ).toEqual([]);
});

it('names missing required members, unknown members, bad enums, types, ranges, lengths and patterns', () => {
  const problems = checker.check('CreateServiceRequest', {
    cluster: 7,
    desiredCount: 1.5,
    launchType: 'SPACESHIP',
    colour: 'red',
    networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'MAYBE' } },
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001, base: -1 }],
    tags: [{ key: 'bad\u0007key', value: 'x'.repeat(257) }],
    enableECSManagedTags: 'yes',
  });
  expect(problems.sort()).toEqual(
    [
      'serviceName: required member of CreateServiceRequest is missing',
      'cluster: expected a string (String), got number',
      'desiredCount: expected an integer (BoxedInteger)',
      'launchType: "SPACESHIP" is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES',
      'colour: not a member of CreateServiceRequest',
      'networkConfiguration.awsvpcConfiguration.subnets: required member of AwsVpcConfiguration is missing',
      'networkConfiguration.awsvpcConfiguration.assignPublicIp: "MAYBE" is not one of ENABLED, DISABLED',
      'capacityProviderStrategy[0].weight: 1001 is above the maximum 1000',
      'capacityProviderStrategy[0].base: -1 is below the minimum 0',
      'tags[0].key: "bad\u0007key" does not match ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)',
      'tags[0].value: longer than 256',
      'enableECSManagedTags: expected a boolean (Boolean)',
    ].sort(),
  );
});

it('in a response: a list that is not a list, a timestamp as text, a port out of range', () => {
  const problems = checker.check('DescribeServicesResponse', {
    services: [
      {
        serviceName: 'web',
        createdAt: '2026-01-01T00:00:00Z',
        loadBalancers: { targetGroupArn: 'x' },
        deployments: [{ id: 'd', runningCount: 'two' }],
      },
    ],
  });
  expect(problems.sort()).toEqual(
    [
      'services[0].createdAt: expected epoch seconds (Timestamp)',
      'services[0].loadBalancers: expected a list (LoadBalancers)',
      'services[0].deployments[0].runningCount: expected an integer (Integer)',
    ].sort(),
  );
  expect(checker.check('ServiceConnectClientAlias', { port: 70_000 })).toEqual([
    'port: 70000 is above the maximum 65535',
  ]);
});

it('a pattern that does not compile is a problem, not skipped', () => {
  const model: BotocoreModel = {
    metadata: {},
    operations: {},
    shapes: {
      Thing: { type: 'structure', members: { name: { shape: 'Name' } } },
      Name: { type: 'string', pattern: '[unclosed' },
    },
  };
  const problems = new BotocoreChecker(model).check('Thing', { name: 'x' });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(/^name: the pattern \[unclosed of Name does not compile: /);
});

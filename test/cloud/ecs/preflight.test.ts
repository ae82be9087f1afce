import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AwsEcsProvider, awsEcsTargetSettings } from '../../../providers/aws-ecs/index.js';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { type EcsEmulator, realTimeEcsEmulator, testEcsClient } from '../../emulators/ecs/index.js';

// Issue 19: a cluster without the FARGATE capacity provider is detected up front. Admission reads
// the cluster of every ECS target a change places replicas on (Provider.preflight) before anything
// is recorded or written, so a hybrid change does not start on the local target and then fail on ECS.
let em: EcsEmulator;
beforeAll(() => {
  nock.disableNetConnect();
  em = realTimeEcsEmulator({ capacityProviders: { skyfleet: [] } }); // a cluster made without "AWS Fargate"
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

const web: DeploymentInput = {
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    template: {
      containers: [{ name: 'web', image: 'app:1', resources: { cpu: '250m', memory: '512Mi' } }],
    },
    placement: { targets: [{ name: 'local', min: 1, max: 1 }, { name: 'aws' }] },
  },
};

it('a cluster without the FARGATE capacity provider: apply refused with the fix, nothing recorded, no target touched', async () => {
  const cloud = new MemoryCloud();
  const local = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'local', kind: 'memory', zones: ['laptop'] }),
    { fleet: 'pre' },
    { cloud },
  );
  const client = testEcsClient(2);
  const aws = new AwsEcsProvider(
    awsEcsTargetSettings.parse({
      name: 'aws',
      kind: 'aws-ecs',
      region: 'us-east-1',
      cluster: 'skyfleet',
      subnets: { 'us-east-1a': ['subnet-0aaa1111'] },
    }),
    { fleet: 'pre' },
    { client },
  );
  const fleet = createFleet({ name: 'pre', targets: [local, aws], store: ':memory:' });
  try {
    await expect(fleet.apply(web, { timeoutMs: 10_000, pollIntervalMs: 5 })).rejects.toMatchObject({
      retryable: false,
      providerCode: 'CapacityProviderNotAttached',
      message: expect.stringMatching(/cluster skyfleet has no FARGATE capacity provider \(attached: none\); attach it/),
    });
    expect(await fleet.get('web')).toBeUndefined();
    expect(await local.observe({ fleet: 'pre' })).toEqual([]);
    expect(em.log.operations()).toEqual(['DescribeClusters']);
    // validate (the CLI's --dry-run=server) says the same
    await expect(fleet.validate(web)).rejects.toThrow(/no FARGATE capacity provider/);

    // attached: the same apply goes through
    em.capacityProviders.set('skyfleet', ['FARGATE', 'FARGATE_SPOT']);
    const fixed = createFleet({
      name: 'pre',
      targets: [local, new AwsEcsProvider(aws.settings, { fleet: 'pre' }, { client })],
      store: ':memory:',
    });
    try {
      expect((await fixed.apply(web, { timeoutMs: 20_000, pollIntervalMs: 5 })).progress.ready).toBe(3);
      await fixed.delete('web');
    } finally {
      await fixed.close();
    }
  } finally {
    await fleet.close();
  }
});

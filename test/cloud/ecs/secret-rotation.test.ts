import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AwsEcsProvider, awsEcsTargetSettings } from '../../../providers/aws-ecs/index.js';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import { createFleet } from '../../../src/fleet.js';
import { LABELS } from '../../../src/provider/labels.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { type EcsEmulator, realTimeEcsEmulator, testEcsClient } from '../../emulators/ecs/index.js';

// Issue 19: a secret rotated in AWS's own store (a new AWSCURRENT version of a Secrets Manager
// secret, a new version of an SSM parameter) must reach every task, not only tasks started later.
// The revision's keyed secrets digest includes the version a task would read now (DescribeSecret,
// DescribeParameters: metadata only), and a deployment only on ECS needs no value where skyfleet runs.
const FLEET = 'rot';
let em: EcsEmulator;
let dbArn: string;
const PARAM_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api';

beforeAll(() => {
  nock.disableNetConnect();
  em = realTimeEcsEmulator();
  dbArn = em.secretStores.createSecret('db');
  em.secretStores.putParameter('/prod/api/token');
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

const web = (image = 'app:1'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
            { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '250m', memory: '512Mi' },
        },
      ],
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

const opts = { timeoutMs: 20_000, pollIntervalMs: 5 };

function ecsFleet(settings: Record<string, unknown> = {}) {
  const client = testEcsClient(2);
  const callLog = new MemoryCallLog();
  const aws = new AwsEcsProvider(
    awsEcsTargetSettings.parse({
      name: 'aws',
      kind: 'aws-ecs',
      region: 'us-east-1',
      cluster: 'skyfleet',
      subnets: { 'us-east-1a': ['subnet-0aaa1111'] },
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      secrets: { db: dbArn, api: PARAM_ARN },
      ...settings,
    }),
    { fleet: FLEET },
    { client, callLog },
  );
  // no resolver holds a value: ECS reads the secrets itself
  const fleet = createFleet({ name: FLEET, targets: [aws], store: ':memory:', secrets: () => undefined });
  return { fleet, callLog };
}

const active = () => [...em.services.values()].filter((s) => s.status === 'ACTIVE');
const revisions = () => new Set(active().map((s) => s.tags.find((t) => t.key === LABELS.revision)?.value));

afterEach(async () => {
  const { fleet } = ecsFleet();
  await fleet.delete('web').catch(() => undefined);
  await fleet.close();
});

it('needs no value, and a rotation in Secrets Manager or SSM is a new revision that replaces every task', async () => {
  const { fleet, callLog } = ecsFleet();
  try {
    const first = await fleet.apply(web(), opts);
    expect(first.progress.ready).toBe(2);
    expect(revisions()).toEqual(new Set([first.revision]));
    // metadata reads only: one DescribeSecret for the secret both keys name, one DescribeParameters
    const reads = callLog.entries.map((e) => new URL(e.url).hostname + ' ' + (e.headers?.['x-amz-target'] ?? ''));
    expect(reads.filter((r) => r.startsWith('secretsmanager.'))).toEqual([
      'secretsmanager.us-east-1.amazonaws.com secretsmanager.DescribeSecret',
    ]);
    expect(reads.filter((r) => r.startsWith('ssm.'))).toEqual([
      'ssm.us-east-1.amazonaws.com AmazonSSM.DescribeParameters',
    ]);
    expect(em.secretStores.log.operations()).not.toContain('GetSecretValue');

    // nothing rotated: the same revision, nothing written
    const again = await fleet.apply(web(), opts);
    expect(again.revision).toBe(first.revision);
    expect(again.writes).toBe(0);

    // a rotation in Secrets Manager: plan says so, apply rolls every task over
    em.secretStores.rotateSecret(dbArn);
    const planned = (await fleet.plan(web())).revision;
    expect(planned).not.toBe(first.revision);
    const second = await fleet.apply(web(), opts);
    expect(second.revision).toBe(planned);
    expect(revisions()).toEqual(new Set([second.revision]));
    expect(await fleet.status('web')).toMatchObject({ replicas: 2, ready: 2, current: 2 });

    // a new version of the SSM parameter: again
    em.secretStores.putParameter('/prod/api/token');
    const third = await fleet.apply(web(), opts);
    expect(third.revision).not.toBe(second.revision);
    expect(revisions()).toEqual(new Set([third.revision]));
    // the versions are in the digest, not in what skyfleet records
    const recorded = JSON.stringify([await fleet.get('web'), await fleet.history('web'), await fleet.events()]);
    expect(recorded).not.toContain(em.secretStores.currentVersion(dbArn)!);
  } finally {
    await fleet.close();
  }
});

it('without DescribeSecret permission: a terminal error naming the permission and the way out, nothing written', async () => {
  const { fleet } = ecsFleet();
  try {
    const mark = em.log.mark();
    em.secretStores.denyNext(1, 'DescribeSecret');
    const err = await fleet.apply(web(), opts).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('provider_terminal');
    expect(err?.message).toMatch(
      /secret db\/(password|user) \(arn:aws:secretsmanager:.*\): User: .* is not authorized to perform: secretsmanager:DescribeSecret/,
    );
    expect(err?.message).toMatch(
      /allow secretsmanager:DescribeSecret .* or set the target's trackSecretVersions: false/,
    );
    expect(em.log.writes(mark)).toEqual([]);
  } finally {
    await fleet.close();
  }
});

it("a secret that does not exist fails the apply with AWS's message, before any write", async () => {
  const { fleet } = ecsFleet({
    secrets: { db: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-Zz99Yy', api: PARAM_ARN },
  });
  try {
    const mark = em.log.mark();
    await expect(fleet.apply(web(), opts)).rejects.toThrow(/Secrets Manager can't find the specified secret/);
    expect(em.log.writes(mark)).toEqual([]);
  } finally {
    await fleet.close();
  }
});

it('trackSecretVersions: false reads no version: a rotation then changes nothing', async () => {
  const { fleet, callLog } = ecsFleet({ trackSecretVersions: false });
  try {
    const first = await fleet.apply(web(), opts);
    em.secretStores.rotateSecret(dbArn);
    expect((await fleet.apply(web(), opts)).revision).toBe(first.revision);
    expect(callLog.entries.filter((e) => /secretsmanager|ssm\./.test(e.url))).toEqual([]);
  } finally {
    await fleet.close();
  }
});

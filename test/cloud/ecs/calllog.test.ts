import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import { podTemplate } from '../../../src/spec/deployment.js';
import { ecsTestbed } from '../../emulators/ecs/index.js';
import { sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
const bed = ecsTestbed({
  settings: { secrets: { db: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf' } },
});
afterAll(() => {
  bed.close();
  nock.enableNetConnect();
});

const SECRET = 'pa55-w0rd-do-not-log';
const template = (image: string) =>
  podTemplate.parse({
    containers: [
      {
        name: 'web',
        image,
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
        ports: [{ containerPort: 8080 }],
      },
    ],
  });

it('records each HTTP attempt from inside the SDK pipeline, in order, with deployment and reason; no secret value anywhere', async () => {
  const log = new MemoryCallLog();
  const p = bed.provider({ callLog: log });
  const v1 = {
    ...sliceOf(bed.fleet, 'web', 'us-east-1a', 2, template('nginx:1.27')),
    secrets: { DB_PASSWORD: SECRET },
  };
  const v2 = {
    ...sliceOf(bed.fleet, 'web', 'us-east-1a', 2, template('nginx:1.28')),
    secrets: { DB_PASSWORD: SECRET },
  };

  await p.apply(v1, { reason: 'create' });
  bed.advance(10_000);
  await p.apply(v2, { reason: 'create' }); // the update: a new revision is a new slice...
  await p.remove(v1.key, { reason: 'delete' }); // ...and the old one goes
  bed.advance(10_000);
  bed.emulator.faults.failNext(1, { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' }, [
    'UpdateService',
  ]);
  await p.apply({ ...v2, replicas: 3 }, { reason: 'scale' });
  bed.advance(10_000);
  await p.remove(v2.key, { reason: 'delete' });

  const lines = log.entries.map((e) => `${e.reason} ${e.headers['x-amz-target']?.split('.')[1]} ${e.status}`);
  expect(lines).toEqual([
    'create DescribeServices 200',
    'create DescribeClusters 200', // the cluster's capacity providers, checked once before the first create
    'create ListTaskDefinitions 200',
    'create RegisterTaskDefinition 200',
    'create CreateService 200',
    'create DescribeServices 200',
    'create ListTaskDefinitions 200',
    'create DescribeTaskDefinition 200',
    'create RegisterTaskDefinition 200',
    'create CreateService 200',
    'delete DescribeServices 200',
    'delete UpdateService 200',
    'delete DeleteService 200',
    'delete ListServices 200',
    'delete DescribeServices 200',
    'delete DeregisterTaskDefinition 200',
    'scale DescribeServices 200',
    'scale UpdateService 400', // the throttled attempt, then the SDK's retry
    'scale UpdateService 200',
    'delete DescribeServices 200',
    'delete UpdateService 200',
    'delete DeleteService 200',
    'delete ListServices 200',
    'delete DeregisterTaskDefinition 200',
  ]);
  // the emulator saw exactly these requests, in the same order
  expect(bed.emulator.log.entries.map((e) => `${e.operation} ${e.status}`)).toEqual(
    log.entries.map((e) => `${e.headers['x-amz-target']?.split('.')[1]} ${e.status}`),
  );
  const first = log.entries[0]!;
  expect(first).toMatchObject({
    cloud: 'aws-ecs',
    target: 'aws-east',
    method: 'POST',
    url: 'https://ecs.us-east-1.amazonaws.com/',
    deployment: 'web',
    body: { cluster: 'skyfleet', services: [expect.stringMatching(/^sf_fleet1_aws-east_web_/)], include: ['TAGS'] },
  });
  expect(first.headers.authorization).toBe('<redacted>');
  expect(first.headers['content-type']).toBe('application/x-amz-json-1.1');
  expect(new Date(first.time).getTime()).toBe(1_700_000_000_000); // the injected clock
  const register = log.entries.find((e) => e.headers['x-amz-target']?.endsWith('RegisterTaskDefinition'))!;
  expect(register.body).toMatchObject({
    containerDefinitions: [
      {
        secrets: [
          {
            name: 'DB_PASSWORD',
            valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::',
          },
        ],
      },
    ],
  });
  // observe is logged with reason "observe"
  await p.observe({ fleet: bed.fleet });
  expect(log.entries.at(-1)).toMatchObject({ reason: 'observe', deployment: null });

  const everything = JSON.stringify(log.entries) + JSON.stringify(bed.emulator.log.entries);
  for (const s of [SECRET, 'test-secret']) expect(everything).not.toContain(s);
  expect(bed.emulator.violations.problems).toEqual([]);
});

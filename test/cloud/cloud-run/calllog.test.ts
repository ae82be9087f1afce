/**
 * Call log (issue 9) for Cloud Run: every HTTP request the SDK sends, recorded from inside its HTTP
 * layer (the auth client's fetch that gax's REST stub calls), one line per attempt, in order.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'calls';
const log = new MemoryCallLog();
const h = runHarness({ fleet: FLEET, provider: { callLog: log } });
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const SECRET = 'p4ssw0rd-do-not-log';
const TOKEN_SECRET = 'tok-123456789-secret';
const template = (image: string): PodTemplate => ({
  containers: [
    {
      name: 'api',
      image,
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: '3' } } }],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: {},
    },
  ],
});
const slice = (t: PodTemplate, replicas: number): DesiredSlice => ({
  key: { fleet: FLEET, deployment: 'api', revision: revisionOf(t), zone: 'us-central1' },
  replicas,
  template: t,
  secrets: { DB_PASSWORD: SECRET, API_TOKEN: TOKEN_SECRET },
});

it('create, update, scale, delete produce exactly the expected calls, in order, with no secret', async () => {
  const p = h.provider();
  const t1 = template('gcr.io/p/api:1');
  const t2 = template('gcr.io/p/api:2');
  h.emulator.faults.failNext(1, { status: 429, code: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' }, [
    'services.create',
  ]);
  await p.apply(slice(t1, 1), { reason: 'create' });
  await p.apply(slice(t2, 1), { reason: 'update' });
  await p.remove(slice(t1, 0).key, { reason: 'delete' });
  await p.apply(slice(t2, 3), { reason: 'scale' });
  await p.observe({ fleet: FLEET, deployment: 'api' });
  await p.remove(slice(t2, 0).key, { reason: 'delete' });

  const SVC = '/v2/projects/skyfleet-test/locations/us-central1/services';
  const OPS = '/v2/projects/skyfleet-test/locations/us-central1/operations/';
  const lines = log.entries.map((e) => {
    const u = new URL(e.url);
    const path = u.pathname.startsWith(OPS) ? `${OPS}*` : u.pathname.replace(/services\/[a-z0-9-]+$/, 'services/ID');
    return `${e.reason} ${e.method} ${path} ${e.status}`;
  });
  const poll = (reason: string, n: number) => Array.from({ length: n }, () => `${reason} GET ${OPS}* 200`);
  expect(lines).toEqual([
    `create GET ${SVC}/ID 404`,
    `create POST ${SVC} 429`, // the throttled attempt is its own line
    `create POST ${SVC} 200`,
    ...poll('create', 3), // a new revision is ready after 3 s; polls every 1 s
    `update GET ${SVC}/ID 200`,
    `update PATCH ${SVC}/ID 200`,
    ...poll('update', 3),
    `delete GET ${SVC}/ID 200`,
    `delete PATCH ${SVC}/ID 200`, // removing the old slice drops it from traffic
    ...poll('delete', 1),
    `scale GET ${SVC}/ID 200`,
    `scale PATCH ${SVC}/ID 200`, // scaling is a service-level change: no new revision
    ...poll('scale', 1),
    `observe GET ${SVC}/ID 200`,
    `delete GET ${SVC}/ID 200`,
    `delete DELETE ${SVC}/ID 200`, // the last slice takes the service with it
    ...poll('delete', 1),
  ]);
  const first = log.entries[1]!;
  expect(first).toMatchObject({ cloud: 'gcp-cloud-run', target: 'gcr', deployment: 'api', status: 429 });
  expect(first.url).toMatch(/\?serviceId=api-calls-[0-9a-f]{8}&\$alt=json%3Benum-encoding=int$/);
  // the shared redactor blanks any field named `secret`, here the Secret Manager reference name too
  expect(first.body).toMatchObject({
    template: {
      containers: [
        { env: [{ name: 'DB_PASSWORD', valueSource: { secretKeyRef: { secret: '<redacted>', version: '3' } } }] },
      ],
    },
  });
  expect(first.headers['x-goog-request-params']).toBe('location=us-central1');
  expect(log.entries.every((e) => e.durationMs >= 0 && typeof e.time === 'string')).toBe(true);
  const scale = log.entries.find((e) => e.reason === 'scale' && e.method === 'PATCH')!;
  expect(scale.url).toContain('updateMask=annotations%2Cscaling');
  expect(scale.body).toMatchObject({ scaling: { minInstanceCount: 3 } });

  const all = JSON.stringify(log.entries);
  for (const secret of [SECRET, TOKEN_SECRET, 'fake-token']) expect(all).not.toContain(secret);
});

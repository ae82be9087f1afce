/**
 * The Cloud Run emulator's ListServices lags writes: for `consistencyLagMs` after a create, update
 * or delete it shows the service as it was before (absent, the previous generation, still there);
 * GetService is current. Cloud Run documents no read-after-write guarantee for its list, so the
 * cloud tests assume none, as ECS documents and ARM lists show (issue 19). Through the real
 * ServicesClient (REST).
 */
import type { ServicesClient } from '@google-cloud/run';
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../framework/index.js';
import { CloudRunEmulator } from './emulator.js';
import { fakeAuthClient } from './harness.js';

const PARENT = 'projects/p1/locations/us-central1';
const clock = new ManualClock();
const em = new CloudRunEmulator({ clock, consistencyLagMs: 5000 });
let run: ServicesClient;

beforeAll(async () => {
  nock.disableNetConnect();
  em.install();
  const { ServicesClient } = await import('@google-cloud/run');
  run = new ServicesClient({ fallback: true, authClient: fakeAuthClient(), projectId: 'p1' });
});
afterAll(async () => {
  await run.close();
  em.uninstall();
  nock.enableNetConnect();
  expect(em.violations.problems).toEqual([]);
});

const listed = async () =>
  (await run.listServices({ parent: PARENT }, { autoPaginate: false }))[0].map(
    (s) => `${s.name?.split('/').pop()}@${s.generation}`,
  );

it('a list leaves out a new service, shows the previous generation of an updated one and keeps a deleted one, for the lag', async () => {
  const name = `${PARENT}/services/web`;
  await run.createService({
    parent: PARENT,
    serviceId: 'web',
    service: { template: { containers: [{ image: 'img:1', ports: [{ containerPort: 8080 }] }] } },
  });
  expect(await listed()).toEqual([]);
  expect((await run.getService({ name }))[0].generation).toBe('1');
  clock.advance(5000);
  expect(await listed()).toEqual(['web@1']);

  await run.updateService({ service: { name, labels: { app: 'x' } }, updateMask: { paths: ['labels'] } });
  expect((await run.getService({ name }))[0].generation).toBe('2');
  expect(await listed()).toEqual(['web@1']);
  clock.advance(5000);
  expect(await listed()).toEqual(['web@2']);

  await run.deleteService({ name });
  await expect(run.getService({ name })).rejects.toThrow(/does not exist/);
  expect(await listed()).toEqual(['web@2']);
  clock.advance(5000);
  expect(await listed()).toEqual([]);
});

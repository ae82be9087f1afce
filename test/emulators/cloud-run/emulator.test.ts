/**
 * The Cloud Run emulator itself, through the real ServicesClient (REST): its answers parse in the
 * SDK and fit the protos (/work/shared/reference/gcp-cloud-run-v2/proto service.proto Service,
 * ListServicesResponse; google_longrunning_operations.proto Operation), its checker catches what
 * the protos forbid, and it keeps Cloud Run's rules (pagination newest first, etags, revision names).
 */
import type { ServicesClient } from '@google-cloud/run';
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../framework/index.js';
import { CloudRunEmulator } from './emulator.js';
import { fakeAuthClient } from './harness.js';
import { ProtoModel } from '../../../emulators/gcp-cloud-run/proto-model.js';

const PARENT = 'projects/p1/locations/us-central1';
const clock = new ManualClock();
const em = new CloudRunEmulator({ clock });
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
});

const svc = (image: string, revision?: string) => ({
  template: { ...(revision ? { revision } : {}), containers: [{ image, ports: [{ containerPort: 8080 }] }] },
  labels: { app: 'x' },
});

it('the proto checker accepts proto3 JSON and names what the protos forbid', () => {
  const m = new ProtoModel();
  expect(
    m.check('google.cloud.run.v2.Service', {
      generation: '3',
      ingress: 'INGRESS_TRAFFIC_ALL',
      template: { timeout: '300s', containers: [{ image: 'a' }] },
    }),
  ).toEqual([]);
  expect(m.check('google.cloud.run.v2.Service', { ingress: 2, template: { containers: [{ image: 'a' }] } })).toEqual(
    [],
  );
  const problems = m.check(
    'google.cloud.run.v2.Service',
    {
      ingres: 'x',
      generation: 'many',
      template: {
        timeout: 300,
        containers: [{ ports: [{ containerPort: 'http' }], env: [{ name: 'A', value: 'b', valueSource: {} }] }],
      },
      traffic: { percent: 100 },
    },
    { request: true },
  );
  expect(problems.join('\n')).toMatch(/ingres: no field "ingres" in google.cloud.run.v2.Service/);
  expect(problems.join('\n')).toMatch(/generation: expected an int64/);
  expect(problems.join('\n')).toMatch(/template.timeout: expected a duration/);
  expect(problems.join('\n')).toMatch(/containerPort: expected an int32/);
  expect(problems.join('\n')).toMatch(/oneof values already has value/);
  expect(problems.join('\n')).toMatch(/containers\[0\]\.image: required by google.cloud.run.v2.Container/);
  expect(problems.join('\n')).toMatch(/traffic: expected a list/);
});

it('int32 is signed 32-bit: 2^31-1 fits, 2^31 and -2^31-1 do not (as text or as numbers)', () => {
  const m = new ProtoModel();
  const port = (containerPort: number | string) =>
    m.check('google.cloud.run.v2.Service', { template: { containers: [{ image: 'a', ports: [{ containerPort }] }] } });
  expect(port(2 ** 31 - 1)).toEqual([]);
  expect(port(-(2 ** 31))).toEqual([]);
  expect(port(String(2 ** 31 - 1))).toEqual([]);
  for (const bad of [2 ** 31, -(2 ** 31) - 1, String(2 ** 31), 2 ** 32]) {
    expect(port(bad).join('\n')).toMatch(
      /containerPort: -?\d+ is out of range for int32 \(-2147483648\.\.2147483647\)/,
    );
  }
});

it('create is an operation that completes over the clock; get/list/update/delete parse in the SDK', async () => {
  const [op] = await run.createService({ parent: PARENT, serviceId: 'web', service: svc('img:1') });
  expect(op.done).toBe(false);
  clock.advance(3000);
  const check = await run.checkCreateServiceProgress(op.name!);
  expect(check.done).toBe(true);
  const [got] = await run.getService({ name: `${PARENT}/services/web` });
  expect(got.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
  expect(got.trafficStatuses?.[0]).toMatchObject({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 });
  expect(got.latestReadyRevision).toMatch(
    /^projects\/p1\/locations\/us-central1\/services\/web\/revisions\/web-00001-/,
  );
  expect([got.generation, got.observedGeneration]).toEqual(['1', '1']);

  for (const id of ['b', 'c']) {
    clock.advance(10);
    await run.createService({ parent: PARENT, serviceId: id, service: svc('img:1') });
  }
  clock.advance(em.consistencyLagMs); // the list lags writes (see the eventual consistency test)
  const [page1, , res1] = await run.listServices({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
  expect(page1.map((s) => s.name?.split('/').pop())).toEqual(['c', 'b']); // newest first
  const [page2] = await run.listServices(
    { parent: PARENT, pageSize: 2, pageToken: res1?.nextPageToken ?? '' },
    { autoPaginate: false },
  );
  expect(page2.map((s) => s.name?.split('/').pop())).toEqual(['web']);

  // a stale etag is 409 ABORTED; an existing revision name with another template is 409 ALREADY_EXISTS
  const stale = got.etag!;
  const [u] = await run.updateService({
    service: { name: got.name, etag: stale, labels: { app: 'y' } },
    updateMask: { paths: ['labels'] },
  });
  expect(u.name).toMatch(/operations\//);
  await expect(
    run.updateService({
      service: { name: got.name, etag: stale, labels: { app: 'z' } },
      updateMask: { paths: ['labels'] },
    }),
  ).rejects.toMatchObject({ status: 409 });
  await run.updateService({
    service: { name: got.name, ...svc('img:2', 'web-two') },
    updateMask: { paths: ['template'] },
  });
  await expect(
    run.updateService({ service: { name: got.name, ...svc('img:3', 'web-two') }, updateMask: { paths: ['template'] } }),
  ).rejects.toMatchObject({ status: 409 });
  clock.advance(3000);
  const [after] = await run.getService({ name: got.name! });
  expect(after.latestCreatedRevision?.endsWith('/web-two')).toBe(true);
  expect(after.labels).toEqual({ app: 'y' });

  const [d] = await run.deleteService({ name: got.name! });
  clock.advance(1000);
  expect((await run.checkDeleteServiceProgress(d.name!)).done).toBe(true);
  await expect(run.getService({ name: got.name! })).rejects.toMatchObject({ status: 404 });
  expect(em.violations.problems).toEqual([]);
});

it('a request the protos reject is a 400 INVALID_ARGUMENT and a recorded violation', async () => {
  const res = await em.handle(
    'POST',
    `/v2/${PARENT}/services`,
    new URLSearchParams({ serviceId: 'bad' }),
    {},
    { template: { containers: [{ image: 'a', ports: [{ containerPort: 'http' }] }] } },
  );
  expect(res.status).toBe(400);
  expect(em.violations.problems.join('\n')).toMatch(/containerPort: expected an int32/);
  em.violations.clear();
});

it('refuses what Cloud Run refuses in probes: a TCP liveness probe, a timeout not below the period', async () => {
  const probe = (p: Record<string, unknown>) => ({
    template: { containers: [{ image: 'a', ports: [{ containerPort: 8080 }], ...p }] },
  });
  const tcpLive = await run
    .createService({
      parent: PARENT,
      serviceId: 'probe-tcp',
      service: probe({ livenessProbe: { tcpSocket: { port: 8080 } } }),
    })
    .catch((e: unknown) => e);
  expect(String((tcpLive as Error).message)).toMatch(/liveness_probe: tcp_socket is not supported/);
  const slow = await run
    .createService({
      parent: PARENT,
      serviceId: 'probe-slow',
      service: probe({ startupProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 10, periodSeconds: 10 } }),
    })
    .catch((e: unknown) => e);
  expect(String((slow as Error).message)).toMatch(/timeout_seconds: must be smaller than period_seconds/);
  // a TCP startup probe with a timeout below its period is fine
  const [op] = await run.createService({
    parent: PARENT,
    serviceId: 'probe-ok',
    service: probe({ startupProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 10 } }),
  });
  expect(op.name).toBeTruthy();
});

/**
 * The Cloud Run provider through the real @google-cloud/run client (REST) against the emulator.
 * Wire shapes are checked by the emulator against /work/shared/reference/gcp-cloud-run-v2/proto
 * (service.proto Service, revision_template.proto RevisionTemplate, k8s.min.proto Container, Probe,
 * EnvVar/SecretKeySelector, traffic_target.proto TrafficTarget, vendor_settings.proto ServiceScaling);
 * every test ends with no model violation.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revisionName, serviceId } from '../../../providers/gcp-cloud-run/index.js';
import { templateIssues } from '../../../providers/gcp-cloud-run/mapping.js';
import { ProviderError, ValidationError } from '../../../src/errors/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'prov';
const h = runHarness({
  fleet: FLEET,
  target: {
    serviceAccount: 'runner@skyfleet-test.iam.gserviceaccount.com',
    vpcConnector: 'conn-1',
    maxInstanceCount: 20,
  },
});
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
  h.emulator.faults.reset();
});
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const REGION = 'us-central1';
const template = (image: string, extra: Partial<PodTemplate['containers'][number]> = {}): PodTemplate => ({
  containers: [
    {
      name: 'web',
      image,
      env: [
        { name: 'MODE', value: 'prod' },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-password', key: 'latest' } } },
      ],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      resources: { cpu: '1', memory: '1Gi' },
      readinessProbe: {
        httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' },
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 1,
        failureThreshold: 3,
        successThreshold: 1,
      },
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
        initialDelaySeconds: 10,
        periodSeconds: 20,
        timeoutSeconds: 2,
        failureThreshold: 3,
        successThreshold: 1,
      },
      ...extra,
    },
  ],
});
const slice = (deployment: string, t: PodTemplate, replicas: number): DesiredSlice => ({
  key: { fleet: FLEET, deployment, revision: revisionOf(t), zone: REGION },
  replicas,
  template: t,
  secrets: { DB_PASSWORD: 'hunter2-very-secret' },
  labels: { team: 'payments', 'example.com/tier': 'Gold' },
});

describe('mapping onto the wire', () => {
  it('creates one service: template, env + Secret Manager ref, probes, limits, scaling, identity labels', async () => {
    const p = h.provider();
    const t = template('gcr.io/p/web:1');
    const s = slice('mapweb', t, 3);
    const mark = h.emulator.log.mark();
    expect(await p.apply(s)).toEqual({ changed: true, writes: 1 });
    const create = h.emulator.log.since(mark).find((e) => e.operation === 'services.create')!;
    const id = serviceId(FLEET, 'gcr', 'mapweb');
    expect(create.path).toContain(`serviceId=${id}`);
    // biome-ignore lint/suspicious/noExplicitAny: wire JSON under test
    const body = create.body as Record<string, any>;
    expect(body.template.revision).toBe(revisionName(id, s.key.revision));
    // public (ingress all) and invocable without an identity token: skyfleet's router can call it
    expect(body.invokerIamDisabled).toBe(true);
    expect(p.describe().capabilities.publicEndpoints).toBe(true);
    expect(body.template.serviceAccount).toBe('runner@skyfleet-test.iam.gserviceaccount.com');
    expect(body.template.vpcAccess).toEqual({
      connector: 'projects/skyfleet-test/locations/us-central1/connectors/conn-1',
      egress: 2,
    });
    const c = body.template.containers[0];
    expect(c.env).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'DB_PASSWORD', valueSource: { secretKeyRef: { secret: 'db-password', version: 'latest' } } },
    ]);
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '1024Mi' }, cpuIdle: true });
    // readiness maps to the startup probe (Cloud Run holds traffic until it passes)
    expect(c.startupProbe).toMatchObject({
      httpGet: { path: '/ready', port: 8080 },
      periodSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 3,
    });
    expect(c.livenessProbe).toMatchObject({
      httpGet: { path: '/healthz', port: 8080 },
      initialDelaySeconds: 10,
      periodSeconds: 20,
    });
    expect(body.scaling).toEqual({ minInstanceCount: 3, maxInstanceCount: 20 });
    expect(body.traffic).toEqual([{ type: 2, revision: revisionName(id, s.key.revision), percent: 100 }]);
    expect(body.labels).toMatchObject({
      'skyfleet-managed-by': 'skyfleet',
      'skyfleet-fleet': FLEET,
      'skyfleet-deployment': 'mapweb',
      team: 'payments',
      example_com_tier: 'gold',
    });
    expect(JSON.stringify(h.emulator.log.entries)).not.toContain('hunter2-very-secret');

    const [obs] = await p.observe({ fleet: FLEET, deployment: 'mapweb' });
    expect(obs).toMatchObject({ key: s.key, replicas: 3, ready: 3, revision: s.key.revision, target: 'gcr' });
    const ep = obs!.replicaStatus[0]!.endpoints[0]!;
    expect(ep.port).toBe(443);
    expect(ep.url).toBe(`https://${ep.host}`);
    expect(ep.containerPort).toBe(8080);
  });

  it('rejects what Cloud Run cannot run BEFORE any call, with a ValidationError per problem', async () => {
    const p = h.provider();
    const mark = h.emulator.log.mark();
    const bad: PodTemplate = {
      containers: [
        {
          ...template('x:1').containers[0]!,
          ports: [
            { containerPort: 8080, protocol: 'TCP' },
            { containerPort: 9090, protocol: 'TCP' },
          ],
          resources: { cpu: '3', memory: '64Gi' },
          livenessProbe: {
            exec: { command: ['true'] },
            initialDelaySeconds: 0,
            periodSeconds: 10,
            timeoutSeconds: 1,
            failureThreshold: 3,
            successThreshold: 1,
          },
        },
      ],
    };
    const err = await p.apply(slice('bad', bad, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const messages = (err as ValidationError).issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(messages).toMatch(/exactly one container port/);
    expect(messages).toMatch(/cpu below 1, or exactly 1, 2, 4, 6 or 8/);
    expect(messages).toMatch(/at most 32Gi/);
    expect(messages).toMatch(/not exec/);
    // 4 cpu needs 2Gi; more than 4Gi needs 2 cpu
    const e2 = await p
      .apply(slice('bad', template('x:1', { resources: { cpu: '4', memory: '1Gi' } }), 1))
      .catch((e: unknown) => e);
    expect((e2 as ValidationError).issues[0]?.message).toMatch(/at least 2048Mi memory for 4 cpu/);
    const e3 = await p
      .apply(slice('bad', template('x:1', { resources: { cpu: '1', memory: '6Gi' } }), 1))
      .catch((e: unknown) => e);
    expect((e3 as ValidationError).issues[0]?.message).toMatch(/at least 2 cpu for 6144Mi/);
    // liveness probes are HTTP or gRPC only (https://cloud.google.com/run/docs/configuring/healthchecks);
    // a TCP probe is fine for startup (readiness maps onto it)
    const tcpLive = template('x:1');
    const c0 = tcpLive.containers[0]!;
    c0.livenessProbe = { ...c0.livenessProbe!, httpGet: undefined, tcpSocket: { port: 8080 } };
    const e4 = await p.apply(slice('bad', tcpLive, 1)).catch((e: unknown) => e);
    expect((e4 as ValidationError).issues.map((i) => i.path)).toEqual([
      'spec.template.containers[0].livenessProbe.tcpSocket',
    ]);
    const tcpReady = template('x:1');
    const c1 = tcpReady.containers[0]!;
    c1.readinessProbe = { ...c1.readinessProbe!, httpGet: undefined, tcpSocket: { port: 8080 } };
    expect(templateIssues(tcpReady)).toEqual([]);
    // a probe's timeout must be smaller than its period (Probe.timeout_seconds in k8s.min.proto)
    const even = template('x:1');
    const c2 = even.containers[0]!;
    c2.livenessProbe = { ...c2.livenessProbe!, timeoutSeconds: 20, periodSeconds: 20 };
    expect(templateIssues(even).map((i) => i.path)).toEqual([
      'spec.template.containers[0].livenessProbe.timeoutSeconds',
    ]);
    expect(h.emulator.log.since(mark)).toEqual([]);
    expect(p.describe().capabilities).toMatchObject({
      maxPorts: 1,
      nativeTrafficSplit: true,
      maxCpuMillis: 8000,
      maxMemoryMiB: 32768,
    });
    expect(p.describe().topology).toEqual({ provider: 'gcp', region: REGION, zones: [REGION] });
  });
});

describe('several revisions of one deployment share one service', () => {
  const t1 = template('gcr.io/p/roll:1');
  const t2 = template('gcr.io/p/roll:2');

  it('a new revision becomes the template; both slices are observed; traffic follows replicas', async () => {
    const p = h.provider();
    await p.apply(slice('roll', t1, 3));
    const mark = h.emulator.log.mark();
    expect(await p.apply(slice('roll', t2, 1))).toEqual({ changed: true, writes: 1 });
    const patch = h.emulator.log.since(mark).find((e) => e.operation === 'services.patch')!;
    expect(patch.path).toMatch(/updateMask=annotations%2Cscaling%2Ctemplate%2Ctraffic/);
    const obs = await p.observe({ fleet: FLEET, deployment: 'roll' });
    expect(obs.map((s) => [s.revision, s.replicas, s.ready])).toEqual(
      [
        [revisionOf(t1), 3, 3],
        [revisionOf(t2), 1, 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const svc = h.emulator.services.get(
      `projects/skyfleet-test/locations/${REGION}/services/${serviceId(FLEET, 'gcr', 'roll')}`,
    )!;
    expect(svc.revisions.size).toBe(2);
    expect(svc.routing.map((r) => r.percent).sort()).toEqual([25, 75]);
    expect((svc.spec.scaling as { minInstanceCount: number }).minInstanceCount).toBe(4);
    expect(h.emulator.created.filter((n) => n.endsWith(serviceId(FLEET, 'gcr', 'roll')))).toHaveLength(1);
  });

  it('scaling the OLD slice keeps the new template and makes no revision; removing it drops it from traffic', async () => {
    const p = h.provider();
    const svcName = `projects/skyfleet-test/locations/${REGION}/services/${serviceId(FLEET, 'gcr', 'roll')}`;
    expect(await p.apply(slice('roll', t1, 1))).toEqual({ changed: true, writes: 1 });
    const svc = h.emulator.services.get(svcName)!;
    expect((svc.spec.template as { revision: string }).revision).toBe(revisionName(svc.id, revisionOf(t2)));
    expect(svc.revisions.size).toBe(2);
    expect(await p.remove(slice('roll', t1, 0).key)).toEqual({ changed: true, writes: 1 });
    expect(svc.routing).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: revisionName(svc.id, revisionOf(t2)), percent: 100 },
    ]);
    expect((await p.observe({ fleet: FLEET, deployment: 'roll' })).map((s) => s.revision)).toEqual([revisionOf(t2)]);
    expect(await p.remove(slice('roll', t1, 0).key)).toEqual({ changed: false, writes: 0 });
  });

  it('setTraffic splits natively; an unchanged apply keeps the split and writes nothing', async () => {
    const p = h.provider();
    await p.apply(slice('roll', t1, 2)); // rollback candidate back in the service (reused revision)
    const svc = h.emulator.services.get(
      `projects/skyfleet-test/locations/${REGION}/services/${serviceId(FLEET, 'gcr', 'roll')}`,
    )!;
    expect(svc.revisions.size).toBe(2);
    expect(
      await p.setTraffic('roll', [
        { revision: revisionOf(t1), percent: 10 },
        { revision: revisionOf(t2), percent: 90 },
      ]),
    ).toEqual({ changed: true, writes: 1 });
    expect(svc.routing.find((r) => r.revision.endsWith(revisionOf(t1)))?.percent).toBe(10);
    const mark = h.emulator.log.mark();
    expect(await p.apply(slice('roll', t1, 2))).toEqual({ changed: false, writes: 0 });
    expect(await p.apply(slice('roll', t2, 1))).toEqual({ changed: false, writes: 0 });
    expect(h.emulator.log.writes(mark)).toEqual([]);
    const bad = await p.setTraffic('roll', [{ revision: 'nope', percent: 100 }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    await p.remove(slice('roll', t1, 0).key);
    expect(await p.remove(slice('roll', t2, 0).key)).toEqual({ changed: true, writes: 1 });
    expect(h.emulator.services.has(svc.name)).toBe(false);
  });
});

describe('errors', () => {
  const t = template('gcr.io/p/err:1');

  it('429 and 503 are retried by the provider (the REST transport does not) and then succeed', async () => {
    const p = h.provider();
    h.emulator.faults.failNext(2, {
      status: 429,
      code: 'RESOURCE_EXHAUSTED',
      message: 'Quota exceeded',
      retryAfterSeconds: 1,
    });
    h.emulator.faults.failNext(1, { status: 503, code: 'UNAVAILABLE', message: 'unavailable' });
    const mark = h.emulator.log.mark();
    const before = h.clock.now();
    expect(await p.observe({ fleet: FLEET, deployment: 'err' })).toEqual([]);
    expect(h.emulator.log.since(mark).map((e) => e.status)).toEqual([429, 429, 503, 404]);
    expect(h.clock.now() - before).toBeGreaterThanOrEqual(2000); // Retry-After honoured
  });

  it('retries are bounded: a persistent 503 surfaces as a retryable ProviderError', async () => {
    const p = h.provider();
    h.emulator.faults.failNext(100, { status: 503, code: 'UNAVAILABLE', message: 'backend down' });
    const mark = h.emulator.log.mark();
    const err = (await p.observe({ fleet: FLEET }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect([err.retryable, err.status, err.providerCode, err.provider]).toEqual([
      true,
      503,
      'UNAVAILABLE',
      'gcp-cloud-run',
    ]);
    expect(err.message).toContain('backend down');
    expect(h.emulator.log.since(mark)).toHaveLength(6);
  });

  it('400 and 403 are terminal; 404 on observe/remove means absent', async () => {
    const p = h.provider();
    h.emulator.faults.failNext(1, {
      status: 403,
      code: 'PERMISSION_DENIED',
      message: "Permission 'run.services.create' denied",
    });
    const e403 = (await p.apply(slice('err', t, 1)).catch((e: unknown) => e)) as ProviderError;
    expect([e403.retryable, e403.status, e403.providerCode]).toEqual([false, 403, 'PERMISSION_DENIED']);
    h.emulator.faults.failNext(1, { status: 400, code: 'INVALID_ARGUMENT', message: 'bad field' });
    const e400 = (await p.apply(slice('err', t, 1)).catch((e: unknown) => e)) as ProviderError;
    expect([e400.retryable, e400.status]).toEqual([false, 400]);
    expect(await p.remove(slice('err', t, 1).key)).toEqual({ changed: false, writes: 0 });
  });

  it('a region outage is retryable on every call', async () => {
    const p = h.provider({ retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    h.emulator.faults.regionDown(REGION);
    const err = (await p.apply(slice('err', t, 1)).catch((e: unknown) => e)) as ProviderError;
    expect([err.retryable, err.status]).toEqual([true, 503]);
    h.emulator.faults.regionUp(REGION);
    expect((await p.apply(slice('err', t, 1))).changed).toBe(true);
    expect((await p.remove(slice('err', t, 1).key)).changed).toBe(true);
  });

  it('a service id taken by something skyfleet does not manage is a terminal error, not an overwrite', async () => {
    const p = h.provider();
    await p.apply(slice('taken', t, 1));
    const svc = h.emulator.services.get(
      `projects/skyfleet-test/locations/${REGION}/services/${serviceId(FLEET, 'gcr', 'taken')}`,
    )!;
    svc.spec.labels = { owner: 'someone-else' };
    const err = (await p.apply(slice('taken', t, 2)).catch((e: unknown) => e)) as ProviderError;
    expect([err.retryable, err.providerCode]).toEqual([false, 'NAME_TAKEN']);
    expect(await p.observe({ fleet: FLEET, deployment: 'taken' })).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isValidGroupName, TAGS } from '../../../providers/azure-aci/index.js';
import { ProviderError, ValidationError } from '../../../src/errors/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { AciEmulator, aciProvider, REFERENCE_DIR } from '../../emulators/aci/index.js';

const FLEET = 'prod';
const RG = 'skyfleet-rg';
let em: AciEmulator;

const web = (over: Partial<PodTemplate['containers'][number]> = {}): PodTemplate => ({
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      env: [
        { name: 'MODE', value: 'prod' },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      ],
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      resources: { cpu: '500m', memory: '1Gi' },
      readinessProbe: {
        httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 1,
        failureThreshold: 3,
        successThreshold: 1,
      },
      ...over,
    },
  ],
});
const SECRET = 'hunter2-s3cr3t-value';
const slice = (
  template: PodTemplate,
  replicas: number,
  zone = 'eastus-1',
  revision = revisionOf(template),
): DesiredSlice => ({
  key: { fleet: FLEET, deployment: 'web', revision, zone },
  replicas,
  template,
  secrets: { DB_PASSWORD: SECRET },
  labels: { 'example.com/team': 'payments' },
});
const puts = (mark: number) =>
  em.log.since(mark).filter((e) => e.operation === 'containerGroups.createOrUpdate' && e.status < 300);
const deletes = (mark: number) =>
  em.log.since(mark).filter((e) => e.operation === 'containerGroups.delete' && e.status < 300);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  em = new AciEmulator();
  em.install();
});
afterEach(() => {
  em.uninstall();
  expect(em.violations.problems).toEqual([]);
});

describe('mapping', () => {
  it('a slice is k container groups: valid names, identity tags, one zone, Always, Linux, secureValue for secrets', async () => {
    const p = aciProvider(em, FLEET);
    const s = slice(web(), 3, 'eastus-2');
    expect(await p.apply(s)).toEqual({ changed: true, writes: 3 });
    const names = em.names(RG);
    expect(names).toHaveLength(3);
    expect(names.every(isValidGroupName)).toBe(true);
    const body = puts(0)[0]!.body as any;
    expect(body.zones).toEqual(['2']);
    expect(body.properties).toMatchObject({
      osType: 'Linux',
      restartPolicy: 'Always',
      ipAddress: { type: 'Public', ports: [{ port: 80, protocol: 'TCP' }] },
    });
    const c = body.properties.containers[0].properties;
    expect(c.resources.requests).toEqual({ cpu: 0.5, memoryInGB: 1 });
    expect(c.environmentVariables).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'DB_PASSWORD', secureValue: SECRET },
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 80, scheme: 'http' });
    expect(body.tags).toMatchObject({
      [TAGS.fleet]: FLEET,
      [TAGS.deployment]: 'web',
      [TAGS.domain]: 'eastus-2',
      'example.com.team': 'payments',
    });
    // ARM never answers a secret, and the provider reports ready replicas with endpoints
    expect(JSON.stringify(em.log.entries.map((e) => e.response))).not.toContain(SECRET);
    const [observed] = await p.observe({ fleet: FLEET });
    expect(observed).toMatchObject({ replicas: 3, ready: 3, key: s.key });
    expect(observed!.replicaStatus[0]!.endpoints[0]).toMatchObject({ port: 80, containerPort: 80, portName: 'http' });
  });

  it('long names are cut deterministically within 63 characters', async () => {
    const p = aciProvider(em, 'a-very-long-fleet-name-that-goes-on-and-on');
    const s = {
      ...slice(web(), 1),
      key: {
        ...slice(web(), 1).key,
        fleet: 'a-very-long-fleet-name-that-goes-on-and-on',
        deployment: 'another-quite-long-deployment-name-here',
      },
    };
    await p.apply(s);
    const [name] = em.names(RG);
    expect(name!.length).toBeLessThanOrEqual(63);
    expect(isValidGroupName(name!)).toBe(true);
  });

  it('rejects what ACI cannot run before any call: too much cpu, tcpSocket probes, args without command', async () => {
    const p = aciProvider(em, FLEET);
    for (const t of [
      web({ resources: { cpu: 8, memory: '1Gi' } }),
      web({ resources: { cpu: 1, memory: '32Gi' } }),
      web({
        livenessProbe: {
          tcpSocket: { port: 80 },
          initialDelaySeconds: 0,
          periodSeconds: 10,
          timeoutSeconds: 1,
          failureThreshold: 3,
          successThreshold: 1,
        },
      }),
      web({ args: ['--verbose'] }),
    ]) {
      const err = await p.apply(slice(t, 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
    }
    expect(em.log.entries).toEqual([]);
    // with tcpSocketProbes: omit, the probe is dropped and the slice runs
    const lax = aciProvider(em, FLEET, { tcpSocketProbes: 'omit' });
    const t = web({
      livenessProbe: {
        tcpSocket: { port: 80 },
        initialDelaySeconds: 0,
        periodSeconds: 10,
        timeoutSeconds: 1,
        failureThreshold: 3,
        successThreshold: 1,
      },
    });
    await lax.apply(slice(t, 1));
    expect((puts(0)[0]!.body as any).properties.containers[0].properties.livenessProbe).toBeUndefined();
  });
});

describe('updates', () => {
  it('an in-place change is a PUT of the same name; a change ACI cannot update replaces the replica', async () => {
    const p = aciProvider(em, FLEET);
    const rev = 'r1';
    await p.apply(slice(web(), 2, 'eastus-1', rev));
    const before = em.names(RG);
    const ipsBefore = (await p.observe({ fleet: FLEET }))[0]!.replicaStatus.map((r) => r.endpoints[0]!.host);

    // image and env: in place (same names, no delete, IP kept)
    let m = em.log.mark();
    expect(await p.apply(slice(web({ image: 'nginx:1.28' }), 2, 'eastus-1', rev))).toEqual({
      changed: true,
      writes: 2,
    });
    expect(
      puts(m)
        .map((e) => e.path.split('?')[0]!.split('/').pop())
        .sort(),
    ).toEqual(before);
    expect(deletes(m)).toEqual([]);
    expect((await p.observe({ fleet: FLEET }))[0]!.replicaStatus.map((r) => r.endpoints[0]!.host)).toEqual(ipsBefore);

    // cpu: ACI answers InvalidContainerGroupUpdate to a PUT, so each replica is deleted then created
    m = em.log.mark();
    expect(
      await p.apply(slice(web({ image: 'nginx:1.28', resources: { cpu: 1, memory: '1Gi' } }), 2, 'eastus-1', rev)),
    ).toEqual({ changed: true, writes: 4 });
    expect(deletes(m)).toHaveLength(2);
    expect(puts(m)).toHaveLength(2);
    expect(em.log.since(m).some((e) => e.status === 409)).toBe(false); // decided before calling
    expect(em.names(RG)).toEqual(before);
    const after = (await p.observe({ fleet: FLEET }))[0]!;
    expect(after.ready).toBe(2);
    expect(after.replicaStatus.map((r) => r.endpoints[0]!.host)).not.toEqual(ipsBefore);

    // steady state, once lists show the writes (they lag them): one list, no writes
    em.advance(em.consistencyLagMs);
    m = em.log.mark();
    expect(
      await p.apply(slice(web({ image: 'nginx:1.28', resources: { cpu: 1, memory: '1Gi' } }), 2, 'eastus-1', rev)),
    ).toEqual({ changed: false, writes: 0 });
    expect(em.log.operations(m)).toEqual(['containerGroups.listByResourceGroup']);
  });

  it('the emulator refuses an in-place update of resources with InvalidContainerGroupUpdate (terminal)', async () => {
    const p = aciProvider(em, FLEET);
    await p.apply(slice(web(), 1, 'eastus-1', 'r1'));
    const { emulatorClient } = await import('../../emulators/aci/index.js');
    const client = emulatorClient(em);
    const [name] = em.names(RG);
    const current = await client.containerGroups.get(RG, name!);
    current.containers[0]!.resources.requests.cpu = 2;
    const err = await client.containerGroups
      .beginCreateOrUpdateAndWait(RG, name!, current, { updateIntervalInMs: 0 })
      .catch((e) => e);
    const { classify } = await import('../../../providers/azure-aci/errors.js');
    const pe = classify(err, { target: 'azure', operation: 'apply' });
    expect(pe).toMatchObject({ retryable: false, providerCode: 'InvalidContainerGroupUpdate', status: 409 });
    expect(pe.requestId).toMatch(/^0000/);
  });
});

describe('faults', () => {
  it('30% of calls answered 429: apply converges (re-run like the reconciler) with no duplicate group', async () => {
    em.throttle(0.3, { retryAfterSeconds: 0, seed: 7 });
    // one SDK retry: some 429s outlast it and surface, and the loop re-runs apply like the reconciler
    const p = aciProvider(em, FLEET, {}, { maxRetries: 1 });
    const s = slice(web(), 5);
    let errors = 0;
    let converged = false;
    for (let i = 0; i < 20; i++) {
      try {
        const r = await p.apply(s);
        if (!r.changed) {
          converged = true;
          break;
        }
      } catch (e) {
        expect(e).toBeInstanceOf(ProviderError);
        expect((e as ProviderError).retryable).toBe(true);
        errors++;
      }
    }
    expect(converged).toBe(true);
    expect(em.faults.injected.throttle).toBeGreaterThan(5);
    expect(errors).toBeGreaterThan(0);
    const names = em.names(RG);
    expect(names).toHaveLength(5);
    expect(new Set(names).size).toBe(5);
    em.faults.reset();
    // a group whose PUT went through while the polls of its operation were throttled is still
    // provisioning: apply does not wait for it again (its spec matches), time does
    em.advance(em.consistencyLagMs);
    const [o] = await p.observe({ fleet: FLEET });
    expect(o).toMatchObject({ replicas: 5, ready: 5 });
  });

  it('a group created while the polls of its operation were throttled: apply leaves it be, observe says provisioning until it is done', async () => {
    em.throttle(1, { retryAfterSeconds: 0, operations: ['operations.get', 'operationResults.get'] });
    const p = aciProvider(em, FLEET, {}, { maxRetries: 0 });
    const s = slice(web(), 1);
    const err = await p.apply(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    em.faults.reset();
    const mark = em.log.mark();
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    expect(puts(mark)).toHaveLength(0);
    const [pending] = await p.observe({ fleet: FLEET });
    expect(pending).toMatchObject({ replicas: 1, ready: 0 });
    expect(pending!.replicaStatus[0]!.message).toMatch(/provisioning Pending/);
    em.advance(em.consistencyLagMs);
    const [done] = await p.observe({ fleet: FLEET });
    expect(done).toMatchObject({ replicas: 1, ready: 1 });
  });

  it('429 beyond the SDK retries: retryable with Retry-After as retryAfterMs, ARM code and request id', async () => {
    em.faults.failNext(1, {
      status: 429,
      code: 'TooManyRequests',
      message: 'The request is being throttled.',
      retryAfterSeconds: 7,
    });
    const p = aciProvider(em, FLEET, {}, { maxRetries: 0 });
    const err = (await p.observe({ fleet: FLEET }).catch((e) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 7000, providerCode: 'TooManyRequests', status: 429 });
    expect(err.requestId).toBeTruthy();
    expect(err.message).toContain('throttled');
  });

  it('5xx and timeouts are retryable; authorization failures are terminal', async () => {
    const p = aciProvider(em, FLEET, {}, { maxRetries: 0 });
    em.serverErrors(1, 500);
    expect(await p.observe({ fleet: FLEET }).catch((e) => e)).toMatchObject({ retryable: true, status: 500 });
    em.denyWrites = true;
    const err = await p.apply(slice(web(), 1)).catch((e) => e);
    expect(err).toMatchObject({ retryable: false, providerCode: 'AuthorizationFailed', status: 403 });
  });

  it('quota reached: a terminal error naming the quota, and nothing half-made left behind', async () => {
    const p = aciProvider(em, FLEET);
    await p.apply(slice(web(), 2));
    em.quota = { containerGroups: 3 };
    const err = (await p.apply(slice(web(), 5)).catch((e) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.retryable).toBe(false);
    expect(err.providerCode).toBe('ContainerGroupQuotaReached');
    expect(err.message).toContain("quota 'ContainerGroups'");
    expect(err.requestId).toBeTruthy();
    // the groups this apply created before hitting the quota were removed again: the slice is as it was
    expect(em.names(RG)).toHaveLength(2);
    em.quota = { standardCores: 1 };
    const cores = (await p.apply(slice(web(), 4)).catch((e) => e)) as ProviderError;
    expect(cores.message).toContain("quota 'StandardCores'");
    expect(em.names(RG)).toHaveLength(2);
  });

  it('zone outage: the replicas in that zone are reported not ready with the reason', async () => {
    const p = aciProvider(em, FLEET);
    await p.apply(slice(web(), 2, 'eastus-1'));
    await p.apply(slice(web(), 2, 'eastus-2'));
    em.zoneDown('eastus', '2');
    const byZone = Object.fromEntries((await p.observe({ fleet: FLEET })).map((s) => [s.key.zone, s]));
    expect(byZone['eastus-1']).toMatchObject({ ready: 2 });
    expect(byZone['eastus-2']).toMatchObject({ replicas: 2, ready: 0 });
    for (const r of byZone['eastus-2']!.replicaStatus) {
      expect(r.state).toBe('unhealthy');
      expect(r.message).toMatch(/Repairing.*zone 2 of eastus is unavailable/);
    }
    // a new replica there fails its provisioning: retryable (capacity), and it is not left behind
    const err = (await p.apply(slice(web(), 3, 'eastus-2')).catch((e) => e)) as ProviderError;
    expect(err).toMatchObject({ retryable: true, providerCode: 'ServiceUnavailable' });
  });

  it('a container crash: not ready with exit code and restarts, ready again after restartPolicy Always restarts it', async () => {
    const p = aciProvider(em, FLEET);
    await p.apply(slice(web(), 1));
    const [name] = em.names(RG);
    em.crash(RG, name!, { exitCode: 137, restartAfterMs: 5000 });
    let [o] = await p.observe({ fleet: FLEET });
    expect(o!.replicaStatus[0]).toMatchObject({ ready: false, state: 'unhealthy' });
    expect(o!.replicaStatus[0]!.message).toContain('exit code 137');
    em.advance(5000);
    [o] = await p.observe({ fleet: FLEET });
    expect(o!.replicaStatus[0]).toMatchObject({ ready: true, restarts: 1 });
    // a failing readiness probe (events "Readiness probe failed") is not ready
    em.failReadiness(RG, name!);
    [o] = await p.observe({ fleet: FLEET });
    expect(o!.replicaStatus[0]).toMatchObject({ ready: false, state: 'unhealthy' });
    expect(o!.replicaStatus[0]!.message).toContain('Readiness probe failed');
  });
});

describe('image pulls', () => {
  it('an image that cannot be pulled: failed with ACI\'s "Failed to pull image" event; ready once it can be', async () => {
    const p = aciProvider(em, FLEET);
    em.failingPulls.add('nginx:1.27');
    await p.apply(slice(web(), 1));
    let [o] = await p.observe({ fleet: FLEET });
    expect(o!.replicaStatus[0]).toMatchObject({ ready: false, state: 'failed' });
    expect(o!.replicaStatus[0]!.message).toMatch(/^container web: Failed to pull image "nginx:1.27": .*not found/);
    em.failingPulls.delete('nginx:1.27');
    [o] = await p.observe({ fleet: FLEET });
    expect(o!.replicaStatus[0]).toMatchObject({ ready: true, state: 'ready' });
  });
});

describe('observe', () => {
  it('follows nextLink across pages and ignores groups that are not this fleet', async () => {
    const small = new AciEmulator({ pageSize: 2 });
    em.uninstall();
    em = small;
    em.install();
    const p = aciProvider(em, FLEET);
    await p.apply(slice(web(), 5));
    await aciProvider(em, 'other-fleet').apply({
      ...slice(web(), 1),
      key: { ...slice(web(), 1).key, fleet: 'other-fleet' },
    });
    const m = em.log.mark();
    const [o] = await p.observe({ fleet: FLEET });
    expect(o).toMatchObject({ replicas: 5, ready: 5 });
    expect(em.log.count('containerGroups.listByResourceGroup', m)).toBe(3);
    expect(em.log.count('containerGroups.get', m)).toBe(5);
  });

  it('parses the official examples (Get_Succeeded, Get_Failed, ListByResourceGroup) through the observe mapping', async () => {
    const ex = (f: string) => JSON.parse(readFileSync(`${REFERENCE_DIR}/examples/${f}`, 'utf8')).responses['200'].body;
    const tag = (b: any, ordinal: number) => ({
      ...b,
      tags: {
        [TAGS.managedBy]: 'skyfleet',
        [TAGS.fleet]: FLEET,
        [TAGS.deployment]: 'demo',
        [TAGS.revision]: 'r0',
        [TAGS.domain]: 'westus',
        [TAGS.ordinal]: String(ordinal),
      },
    });
    em.seedRaw(RG, tag(ex('ContainerGroupsGet_Succeeded.json'), 0));
    em.seedRaw(RG, { ...tag(ex('ContainerGroupsGet_Failed.json'), 1), name: 'demo2' });
    const listed = ex('ContainerGroupsListByResourceGroup.json').value[0];
    em.seedRaw(RG, { ...tag(listed, 2), name: 'demo3' });
    const p = aciProvider(em, FLEET, { location: 'westus', zones: [] });
    const [o] = await p.observe({ fleet: FLEET });
    expect(o!.key).toEqual({ fleet: FLEET, deployment: 'demo', revision: 'r0', zone: 'westus' });
    const [ok, failed, listedOne] = o!.replicaStatus;
    // Get_Succeeded has no instanceView: provisioned but no instance state yet -> starting
    expect(ok).toMatchObject({
      ordinal: 0,
      state: 'starting',
      ready: false,
      endpoints: [{ host: '10.0.0.1', port: 80, containerPort: 80 }],
    });
    expect(failed).toMatchObject({ ordinal: 1, state: 'failed', ready: false });
    expect(failed!.message).toContain('Failed');
    expect(listedOne).toMatchObject({ ordinal: 2, endpoints: [{ host: '10.0.0.1', port: 80 }] });
    // and the examples fit the model the emulator checks against
    const { ArmModelChecker } = await import('../../emulators/aci/index.js');
    const checker = new ArmModelChecker('2026-05-01', 'response');
    expect(checker.check('ContainerGroup', ex('ContainerGroupsGet_Failed.json'))).toEqual([]);
    expect(checker.check('ContainerGroupListResult', ex('ContainerGroupsListByResourceGroup.json'))).toEqual([]);
  });
});

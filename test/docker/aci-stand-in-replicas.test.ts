import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DockerReplicaRuntime, EMULATE_LABEL } from '../../emulators/replica-runtime/docker-replica-runtime.js';
import { standInTargets } from '../../emulators/stand-in/stand-in-fleet.js';
import { type StandIn, startStandIn } from '../../emulators/stand-in/stand-in.js';
import { type TlsMaterial, tlsMaterial } from '../../emulators/stand-in/tls-material.js';
import { createFleet, type Fleet } from '../../src/index.js';
import { eventually } from '../helpers/eventually.js';
import { ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';

// `skyfleet emulate --azure` runs each container group's container as a local container: the
// instance view reports what it does (Running once it runs, a restart after it dies, a readiness
// probe that fails), and the stand-in's TLS front reaches a group by its FQDN
// (`<dnsNameLabel>.eastus.azurecontainer.io`) on 127.0.0.1, where the target's dataPlaneAddress
// points replica traffic. Deleting the group removes its container.

const run = newTestRun();
const FLEET = run.fleet('acirt');
let docker: Docker;
let dir: string;
let tls: TlsMaterial;
let runtime: DockerReplicaRuntime;
let standIn: StandIn;
let fleet: Fleet;

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-aci-rt-'));
  tls = tlsMaterial(join(dir, 'state'));
  runtime = new DockerReplicaRuntime({ docker, instance: run.id, pollMs: 250 });
  standIn = await startStandIn({
    listen: { host: '127.0.0.1', port: 0 },
    dataPlanePort: 0,
    clouds: { aws: false, azure: true, gcp: false },
    tls,
    runtime,
  });
  fleet = createFleet({ name: FLEET, targets: parse(standInTargets(standIn, tls.caFile)), store: ':memory:' });
});

afterAll(async () => {
  await fleet?.close();
  await standIn?.close();
  await runtime?.close();
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${EMULATE_LABEL}=${run.id}`] } }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET through the stand-in's front as `host` (SNI and Host), trusting the stand-in's certificate. */
function viaFront(host: string, path: string): Promise<{ status: number; body: string }> {
  const [addr, port] = standIn.dataPlaneAddress!.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: addr, port: Number(port), path, servername: host, headers: { host }, ca: tls.cert },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const containersOf = () => docker.listContainers({ all: true, filters: { label: [`${EMULATE_LABEL}=${run.id}`] } });

const web = (name: string, readinessPath: string) => ({
  apiVersion: 'skyfleet.dev/v1' as const,
  kind: 'Deployment' as const,
  metadata: { name },
  spec: {
    replicas: 1,
    template: {
      containers: [
        {
          name: 'web',
          image: 'skyfleet-test/web:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: readinessPath, port: 'http' }, periodSeconds: 1 },
          resources: { cpu: '1', memory: '2Gi' },
        },
      ],
    },
    placement: { targets: [{ name: 'azure' }] },
  },
});

it('a group runs as a local container, reached through the front by its FQDN, restarted when it dies, removed with the group', {
  timeout: 120_000,
}, async () => {
  await fleet.apply(web('web', '/version'), { timeoutMs: 60_000 });
  expect((await fleet.status('web')).ready).toBe(1);
  const [group] = [...standIn.aci!.groups.values()];
  const fqdn = `${group!.properties.ipAddress.dnsNameLabel}.eastus.azurecontainer.io`;
  const [container] = await containersOf();
  expect(container?.Labels['skyfleet.dev/emulate-cloud']).toBe('azure-aci');
  expect(container?.State).toBe('running');

  // the replica's endpoint is the front, over TLS as the group's FQDN; the front reaches its container
  const st = await fleet.status('web');
  expect(st.slices[0]?.replicaStatus[0]?.endpoints).toEqual([
    expect.objectContaining({ host: '127.0.0.1', serverName: fqdn, containerPort: 8080 }),
  ]);
  expect(await viaFront(fqdn, '/version')).toEqual({ status: 200, body: '1\n' });
  expect((await viaFront(`nothing.eastus.azurecontainer.io`, '/version')).status).toBe(503);

  // the container dies: restartPolicy Always brings a new one, and the instance view counts the restart
  await docker.getContainer(container!.Id).kill();
  await eventually(
    async () => {
      const s = await fleet.status('web');
      const r = s.slices[0]?.replicaStatus[0];
      return r?.restarts === 1 && r.ready;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: 'the group restarted its container and is ready again' },
  );
  expect(await viaFront(fqdn, '/version')).toEqual({ status: 200, body: '1\n' });

  await fleet.delete('web');
  await eventually(async () => (await containersOf()).length === 0, {
    timeoutMs: 30_000,
    message: 'the group deleted, its container removed',
  });
});

it('a readiness probe that fails keeps the replica from ready, with the probe failure as its message', {
  timeout: 60_000,
}, async () => {
  await fleet.apply(web('notready', '/no-such-page'), { timeoutMs: 1 }).catch(() => undefined);
  await eventually(
    async () => {
      const r = (await fleet.status('notready')).slices[0]?.replicaStatus[0];
      return r !== undefined && !r.ready && /Readiness probe failed/.test(r.message ?? '');
    },
    { timeoutMs: 30_000, intervalMs: 250, message: 'the replica not ready, its probe failing' },
  );
  await fleet.delete('notready');
});

import { ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { refusedCredential } from '../../../emulators/stand-in/stand-in-credentials.js';
import { standInTargets } from '../../../emulators/stand-in/stand-in-fleet.js';
import { type StandIn, startStandIn } from '../../../emulators/stand-in/stand-in.js';
import { tlsMaterial } from '../../../emulators/stand-in/tls-material.js';
import { emulateSecretCommand } from '../../../src/cli/emulate-command.js';
import { createFleet, type Fleet } from '../../../src/index.js';
import { eventually } from '../../helpers/eventually.js';

// `skyfleet emulate`'s stand-in as real HTTP on 127.0.0.1 (no nock): the three providers, through
// their real SDKs and the targets it prints, deploy to it; its emulators check every request and
// response against the official models (the strict setup fails the test on any violation).

let dir: string;
let standIn: StandIn;
let fleet: Fleet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-stand-in-'));
  const tls = tlsMaterial(join(dir, 'state'));
  standIn = await startStandIn({
    listen: { host: '127.0.0.1', port: 0 },
    dataPlanePort: 0,
    clouds: { aws: true, azure: true, gcp: true },
    tls,
    // as `skyfleet emulate` runs by default: lists lag writes, as the clouds' do
    consistencyLagMs: 1000,
  });
  const targets = parse(standInTargets(standIn, tls.caFile));
  fleet = createFleet({ name: 'standin', targets, store: ':memory:' });
});

afterAll(async () => {
  await fleet?.close();
  await standIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('deploys one replica to each of ECS, ACI and Cloud Run through one port, HTTP and TLS', {
  timeout: 60_000,
}, async () => {
  await fleet.apply({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      template: {
        containers: [
          {
            name: 'web',
            image: 'hello/web:1',
            ports: [{ containerPort: 8080 }],
            resources: { cpu: '1', memory: '2Gi' },
          },
        ],
      },
      placement: { targets: [{ name: 'aws' }, { name: 'azure' }, { name: 'gcp' }] },
    },
  });
  const st = await fleet.status('web');
  expect(st.ready).toBe(3);
  const byTarget = Object.fromEntries(st.slices.map((s) => [s.target, s.ready]));
  expect(byTarget).toEqual({ aws: 1, azure: 1, gcp: 1 });
  // each cloud's state is in its emulator: an ECS service, an ACI group, a Cloud Run service
  expect([...standIn.ecs!.services.values()].filter((s) => s.status === 'ACTIVE')).toHaveLength(1);
  expect(standIn.aci!.groups.size).toBe(1);
  expect(standIn.cloudRun!.services.size).toBe(1);
  await fleet.delete('web');
  expect(standIn.cloudRun!.services.size).toBe(0);
});

it('refuses credentials that look real, and any but its own', async () => {
  expect(
    refusedCredential('aws', {
      authorization: 'AWS4-HMAC-SHA256 Credential=skyfleet-emulate/20261205/us-east-1/ecs/aws4_request',
    }),
  ).toBeUndefined();
  expect(
    refusedCredential('aws', {
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/ecs/aws4_request',
    }),
  ).toMatch(/never accepts real credentials/);
  expect(refusedCredential('azure', { authorization: 'Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi' })).toMatch(
    /never accepts real credentials/,
  );
  expect(refusedCredential('gcp', { authorization: 'Bearer ya29.a0AfH6SMB' })).toMatch(
    /never accepts real credentials/,
  );
  expect(refusedCredential('gcp', {})).toMatch(/takes only its own credential/);
  // over the wire: the SDK-shaped request with a real-looking token gets the cloud's own error shape
  const res = await fetch(`${standIn.url.http}/v2/projects/p/locations/us-central1/services`, {
    headers: { authorization: 'Bearer ya29.a0AfH6SMB' },
  });
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  const control = (await (await fetch(`${standIn.url.http}/_emulate`)).json()) as {
    standIn: string;
    consistencyLagMs: number;
  };
  expect(control.standIn).toMatch(/not the clouds/);
  expect(control.consistencyLagMs).toBe(1000);
});

it("lists lag writes (consistencyLagMs) in each emulator of the stand-in, as the clouds' do", () => {
  expect([standIn.ecs!.consistencyLagMs, standIn.aci!.consistencyLagMs, standIn.cloudRun!.consistencyLagMs]).toEqual([
    1000, 1000, 1000,
  ]);
});

it('an outage switched on in the stand-in takes the zone down in each emulator, and off again', async () => {
  await fetch(`${standIn.url.http}/_emulate/outages/us-east-1a`, { method: 'PUT' });
  expect(standIn.ecs!.faults.downZones.has('us-east-1a')).toBe(true);
  const status = (await (await fetch(`${standIn.url.http}/_emulate`)).json()) as { outages: string[] };
  expect(status.outages).toEqual(['us-east-1a']);
  await fetch(`${standIn.url.http}/_emulate/outages/us-east-1a`, { method: 'DELETE' });
  expect(standIn.ecs!.faults.downZones.has('us-east-1a')).toBe(false);
});

it("throttling switched on answers each cloud's own throttling error, and off again", async () => {
  const ctl = (method: string, path: string) => fetch(`${standIn.url.http}/_emulate/${path}`, { method });
  const cloudRunList = () =>
    fetch(`${standIn.url.http}/v2/projects/skyfleet-emulated/locations/us-central1/services`, {
      headers: { authorization: 'Bearer skyfleet-emulate' },
    });
  expect((await ctl('PUT', 'throttling?share=2')).status).toBe(400);
  expect((await ctl('PUT', 'throttling?share=1')).status).toBe(200);
  try {
    const throttled = await cloudRunList();
    expect(throttled.status).toBe(429);
    expect(((await throttled.json()) as { error: { status: string } }).error.status).toBe('RESOURCE_EXHAUSTED');
    const status = (await (await fetch(`${standIn.url.http}/_emulate`)).json()) as { throttling: number };
    expect(status.throttling).toBe(1);
    // through the AWS SDK (one attempt): ECS's ThrottlingException with its message
    const ecs = new ECSClient({
      endpoint: standIn.url.http,
      region: 'us-east-1',
      credentials: { accessKeyId: 'skyfleet-emulate', secretAccessKey: 'skyfleet-emulate' },
      maxAttempts: 1,
    });
    try {
      const error = await ecs.send(new ListServicesCommand({ cluster: 'skyfleet-emulated' })).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe('ThrottlingException');
      expect(error?.message).toBe('Rate exceeded');
    } finally {
      ecs.destroy();
    }
  } finally {
    expect((await ctl('DELETE', 'throttling')).status).toBe(200);
  }
  expect((await cloudRunList()).status).toBe(200);
});

it('a failing image pull switched on stops ECS tasks with CannotPullContainerError, fails ACI containers with "Failed to pull image", and off again', {
  timeout: 60_000,
}, async () => {
  const image = 'hello/web:unpullable';
  const ctl = (method: string) =>
    fetch(`${standIn.url.http}/_emulate/pull-failures/${encodeURIComponent(image)}`, { method });
  expect((await ctl('PUT')).status).toBe(200);
  expect(
    ((await (await fetch(`${standIn.url.http}/_emulate`)).json()) as { pullFailures: string[] }).pullFailures,
  ).toEqual([image]);
  await fleet.apply(
    {
      apiVersion: 'skyfleet.dev/v1',
      kind: 'Deployment',
      metadata: { name: 'pull' },
      spec: {
        template: {
          containers: [
            { name: 'web', image, ports: [{ containerPort: 8080 }], resources: { cpu: '1', memory: '2Gi' } },
          ],
        },
        replicas: 2,
        placement: { targets: [{ name: 'aws' }, { name: 'azure' }] },
      },
    },
    { wait: false },
  );
  const messages = await eventually(
    async () =>
      Object.fromEntries(
        (await fleet.status('pull')).slices.map((s) => [
          s.target,
          s.replicaStatus.map((r) => r.message ?? '').join(' '),
        ]),
      ),
    {
      timeoutMs: 30_000,
      intervalMs: 200,
      until: (m) => /CannotPullContainerError/.test(m.aws ?? '') && /Failed to pull image/.test(m.azure ?? ''),
      message: 'a pull failure on ECS and on ACI',
    },
  );
  expect(messages.aws).toMatch(/CannotPullContainerError: pull image manifest has been retried/);
  expect(messages.azure).toMatch(/^container web: Failed to pull image "hello\/web:unpullable"/);
  expect((await ctl('DELETE')).status).toBe(200);
  expect(standIn.cloudRun!.neverReadyImages.has(image)).toBe(false);
  expect(standIn.aci!.failingPulls.has(image)).toBe(false);
  await fleet.delete('pull');
});

it("a secret rotated in the stand-in's Secrets Manager and Secret Manager is a new revision on ECS and Cloud Run", {
  timeout: 60_000,
}, async () => {
  // `skyfleet emulate secret aws|gcp NAME`, as a user types it
  const printed: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed.push(String(chunk));
    return true;
  });
  const put = async (cloud: string, name: string) => {
    printed.length = 0;
    await emulateSecretCommand(cloud, name, { listen: new URL(standIn.url.http).host });
    return printed.join('');
  };
  const aws = { arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-sfemul' };
  try {
    expect(await put('aws', 'db')).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:db-sfemul: version [0-9a-f-]{36} is current\n$/,
    );
    expect(await put('gcp', 'db')).toBe('projects/skyfleet-emulated/secrets/db: version 1 is current\n');
    await expect(put('azure', 'db')).rejects.toThrow(/CLOUD is aws \(Secrets Manager\) or gcp/);
  } finally {
    write.mockRestore();
  }
  const web = (target: string, key: string) => ({
    apiVersion: 'skyfleet.dev/v1' as const,
    kind: 'Deployment' as const,
    metadata: { name: `sec-${target}` },
    spec: {
      replicas: 1,
      template: {
        containers: [
          {
            name: 'web',
            image: 'hello/web:1',
            env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: target === 'aws' ? aws.arn! : 'db', key } } }],
            ports: [{ containerPort: 8080 }],
            resources: { cpu: '1', memory: '2Gi' },
          },
        ],
      },
      placement: { targets: [{ name: target }] },
    },
  });
  try {
    // no value anywhere here: both clouds read their secrets themselves
    const r1 = await fleet.apply(web('aws', 'password'));
    const g1 = await fleet.apply(web('gcp', 'latest'));
    expect((await fleet.apply(web('aws', 'password'))).revision).toBe(r1.revision);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await put('aws', 'db');
    await put('gcp', 'db');
    vi.restoreAllMocks();
    const r2 = await fleet.apply(web('aws', 'password'));
    const g2 = await fleet.apply(web('gcp', 'latest'));
    expect(r2.revision).not.toBe(r1.revision);
    expect(g2.revision).not.toBe(g1.revision);
    expect((await fleet.status('sec-aws')).slices.map((s) => [s.revision, s.ready])).toEqual([[r2.revision, 1]]);
    expect((await fleet.status('sec-gcp')).slices.map((s) => [s.revision, s.ready])).toEqual([[g2.revision, 1]]);
  } finally {
    await fleet.delete('sec-aws');
    await fleet.delete('sec-gcp');
  }
});

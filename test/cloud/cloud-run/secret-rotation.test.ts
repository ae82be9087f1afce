/**
 * Issue 19: a new version of a Secret Manager secret that a Cloud Run service reads as `latest`
 * must reach every instance, not only instances started later. The revision's keyed secrets
 * digest includes the version `latest` stands for (secretmanager.versions.get, metadata only), and
 * a deployment only on Cloud Run needs no value where skyfleet runs.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revisionName, serviceId } from '../../../providers/gcp-cloud-run/index.js';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { runHarness, steppingClock } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'rot-gcr';
const callLog = new MemoryCallLog();
const h = runHarness({ fleet: FLEET, provider: { callLog } });
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});
h.emulator.secretManager.addVersion('skyfleet-test', 'db');
h.emulator.secretManager.addVersion('other-project', 'api');

const web = (dbKey = 'latest'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image: 'gcr.io/shop/web:1',
          env: [
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: dbKey } } },
            {
              name: 'API_TOKEN',
              valueFrom: { secretKeyRef: { name: 'projects/other-project/secrets/api', key: 'latest' } },
            },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '1', memory: '512Mi' },
        },
      ],
    },
  },
});

const opts = { timeoutMs: 120_000, pollIntervalMs: 1000 };
const id = serviceId(FLEET, 'gcr', 'web');
const service = () => h.emulator.services.get(`projects/skyfleet-test/locations/us-central1/services/${id}`);
const routed = () => service()!.routing.map((r) => r.revision);

function fleetOn(provider = h.provider()) {
  // no resolver holds a value: Cloud Run reads the secrets itself
  return createFleet({
    name: FLEET,
    targets: [provider],
    store: ':memory:',
    secrets: () => undefined,
    clock: steppingClock(h.clock),
  });
}

it('needs no value, and a new version of a `latest` secret is a new revision that replaces every instance', async () => {
  const fleet = fleetOn();
  try {
    const first = await fleet.apply(web(), opts);
    expect(first.progress.ready).toBe(2);
    expect(routed()).toEqual([revisionName(id, first.revision)]);
    const gets = () => h.emulator.secretManager.log.entries.map((e) => `${e.status} ${e.path}`);
    expect(gets()).toEqual([
      '200 /v1/projects/skyfleet-test/secrets/db/versions/latest',
      '200 /v1/projects/other-project/secrets/api/versions/latest',
    ]);
    // recorded in the call log like Cloud Run's own calls
    expect(callLog.entries.filter((e) => e.url.startsWith('https://secretmanager.googleapis.com:443/v1/')).length).toBe(
      2,
    );

    const mark = h.emulator.log.mark();
    expect((await fleet.apply(web(), opts)).writes).toBe(0);
    expect(h.emulator.log.writes(mark)).toEqual([]);

    // a new version: plan says so, and apply rolls the service over to a new Cloud Run revision
    h.emulator.secretManager.addVersion('skyfleet-test', 'db');
    const planned = (await fleet.plan(web())).revision;
    expect(planned).not.toBe(first.revision);
    const second = await fleet.apply(web(), opts);
    expect(second.revision).toBe(planned);
    expect(routed()).toEqual([revisionName(id, second.revision)]);

    // the other project's secret too
    h.emulator.secretManager.addVersion('other-project', 'api');
    const third = await fleet.apply(web(), opts);
    expect(third.revision).not.toBe(second.revision);
    expect(routed()).toEqual([revisionName(id, third.revision)]);

    // a disabled newest version: `latest` is the one before, which this revision did not read
    h.emulator.secretManager.disableVersion('other-project', 'api', 2);
    expect((await fleet.plan(web())).revision).not.toBe(third.revision);
    expect(h.emulator.violations.problems).toEqual([]);
  } finally {
    await fleet.delete('web').catch(() => undefined);
    await fleet.close();
  }
});

it('a pinned version is read by no call; denied reads fail clearly; a missing secret is NOT_FOUND', async () => {
  const fleet = fleetOn();
  try {
    const before = h.emulator.secretManager.log.entries.length;
    await fleet.plan({
      ...web('1'),
      spec: {
        ...web('1').spec,
        template: {
          containers: [
            { ...web('1').spec.template.containers[0]!, env: [web('1').spec.template.containers[0]!.env![0]!] },
          ],
        },
      },
    });
    expect(h.emulator.secretManager.log.entries.length).toBe(before);

    h.emulator.secretManager.denyNext(1);
    await expect(fleet.apply(web(), opts)).rejects.toThrow(
      /the latest version of projects\/skyfleet-test\/secrets\/db: .*Permission 'secretmanager.versions.get' denied.*grant secretmanager.versions.get on it \(roles\/secretmanager.viewer\).*trackSecretVersions: false/,
    );
    await expect(
      fleet.apply(
        {
          ...web(),
          spec: {
            ...web().spec,
            template: {
              containers: [
                {
                  ...web().spec.template.containers[0]!,
                  env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'latest' } } }],
                },
              ],
            },
          },
        },
        opts,
      ),
    ).rejects.toThrow(/Secret \[projects\/123456789012\/secrets\/nope\] not found or has no versions/);
    expect(service()).toBeUndefined();
  } finally {
    await fleet.close();
  }
});

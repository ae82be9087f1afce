/**
 * Cloud Run does not hand back what it was sent: it stores its defaults (the project's service
 * account, concurrency 80, a 300 s timeout, limits of 1 CPU / 512 MiB, probe timings, a default
 * TCP startup probe and the system label `run.googleapis.com/startupProbeType`; see
 * emulators/gcp-cloud-run/normalise.ts for where each is written down), and other clients label
 * services too (the console, a policy tool such as Cloud Custodian's set-labels action,
 * cloud-custodian/cloud-custodian#10658). The provider compares only what it owns: such a read-back
 * is no drift and causes no write, and a change of its own labels keeps the labels others added.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { serviceId } from '../../../providers/gcp-cloud-run/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import { podTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

const FLEET = 'normalised';
const h = runHarness({ fleet: FLEET });
beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
});
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

// no limits, no probe timings, no startup probe: Cloud Run fills them in
const template = podTemplate.parse({
  containers: [
    {
      name: 'web',
      image: 'gcr.io/p/web:1',
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: { httpGet: { port: 'http' } },
    },
  ],
});
const slice = (labels: Record<string, string>): DesiredSlice => ({
  key: { fleet: FLEET, deployment: 'web', revision: revisionOf(template), zone: 'us-central1' },
  replicas: 2,
  template,
  labels,
});
const name = `projects/skyfleet-test/locations/us-central1/services/${serviceId(FLEET, 'gcr', 'web')}`;

it("defaults Cloud Run stored and labels another client added are no drift: a re-apply writes nothing; a change of skyfleet's own labels keeps theirs", async () => {
  const p = h.provider();
  expect(await p.apply(slice({ team: 'web' }))).toEqual({ changed: true, writes: 1 });
  h.emulator.labelService(name, { 'cost-center': '4711' });
  h.clock.advance(h.emulator.consistencyLagMs);

  // what a read returns is not what was sent
  const mark = h.emulator.log.mark();
  const [observed] = await p.observe({ fleet: FLEET, deployment: 'web' });
  expect(observed).toMatchObject({ replicas: 2 });
  const read = h.emulator.log
    .since(mark)
    .map((e) => e.response as { services?: Array<Record<string, unknown>> } | Record<string, unknown>)
    .flatMap((r) => ('services' in r && Array.isArray(r.services) ? r.services : [r]))
    .find((s) => s.name === name) as {
    labels: Record<string, string>;
    template: {
      labels: Record<string, string>;
      serviceAccount: string;
      timeout: string;
      maxInstanceRequestConcurrency: number;
      containers: Array<Record<string, unknown>>;
    };
  };
  expect(read.labels['cost-center']).toBe('4711');
  expect(read.template).toMatchObject({
    labels: { 'run.googleapis.com/startupProbeType': 'Default' },
    serviceAccount: '123456789012-compute@developer.gserviceaccount.com',
    timeout: '300s',
    maxInstanceRequestConcurrency: 80,
  });
  expect(read.template.containers[0]).toMatchObject({
    resources: { limits: { cpu: '1000m', memory: '512Mi' }, cpuIdle: true },
    livenessProbe: { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, httpGet: { path: '/' } },
    startupProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
  });

  // no drift: nothing is written, by this instance or a new one
  const again = h.emulator.log.mark();
  expect(await p.apply(slice({ team: 'web' }))).toEqual({ changed: false, writes: 0 });
  expect(await h.provider().apply(slice({ team: 'web' }))).toEqual({ changed: false, writes: 0 });
  expect(h.emulator.log.writes(again)).toEqual([]);

  // skyfleet's labels change: its old one goes, its new one comes, the other client's stays
  expect(await p.apply(slice({ owner: 'ops' }))).toEqual({ changed: true, writes: 1 });
  const labels = h.emulator.services.get(name)!.spec.labels as Record<string, string>;
  expect(labels).toMatchObject({ owner: 'ops', 'cost-center': '4711', 'skyfleet-fleet': FLEET });
  expect(labels.team).toBeUndefined();
  const settled = h.emulator.log.mark();
  expect(await p.apply(slice({ owner: 'ops' }))).toEqual({ changed: false, writes: 0 });
  expect(h.emulator.log.writes(settled)).toEqual([]);
});

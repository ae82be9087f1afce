/**
 * A Canary rollout on Cloud Run goes through the controller and uses Cloud Run's own traffic
 * split (service.traffic percentages per revision) instead of shifting replicas behind a router.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revisionName } from '../../../providers/gcp-cloud-run/index.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { runHarness } from '../../emulators/cloud-run/index.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls of state a loop running in this process changes: every 25 ms, up to 30 s. */
const poll = { timeoutMs: 30_000, intervalMs: 25 };

beforeAll(() => nock.disableNetConnect());
const FLEET = 'canary-gcr';
const h = runHarness({ fleet: FLEET });
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const web = (image: string): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 4,
    template: {
      containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }], resources: { cpu: '1', memory: '512Mi' } }],
    },
    strategy: { type: 'Canary', canary: { steps: [{ setWeight: 25 }, { pause: {} }] } },
  },
});

/** Percent per skyfleet revision in the emulated service's traffic. */
const traffic = () => {
  const svc = [...h.emulator.services.values()][0];
  return Object.fromEntries((svc?.routing ?? []).filter((t) => t.percent > 0).map((t) => [t.revision, t.percent]));
};

it('sets Cloud Run traffic percentages per step, then moves all traffic on promote', { timeout: 60_000 }, async () => {
  const gcr = h.provider();
  const fleet = createFleet({ name: FLEET, targets: [gcr], store: ':memory:' });
  const ac = new AbortController();
  const running = fleet.run({ signal: ac.signal, leaseTtlMs: 3_000, resyncMs: 500, progressRequeueMs: 20 });
  try {
    const v1 = revisionOf(parseDeployment(web('hello:1')).spec.template);
    const v2 = revisionOf(parseDeployment(web('hello:2')).spec.template);
    const svcId = () => [...h.emulator.services.values()][0]?.id ?? '';
    await eventually(() => fleet.events(), {
      ...poll,
      message: 'the controller leads',
      until: (e) => e.some((x) => x.reason === 'LeaderElected'),
    });
    await fleet.apply(web('hello:1'), { wait: false });
    await eventually(traffic, {
      ...poll,
      message: 'v1 serving 100%',
      until: (t) => t[revisionName(svcId(), v1)] === 100,
    });

    // with a controller leading, apply records the spec and waits until the rollout pauses for promote
    const paused = await fleet.apply(web('hello:2'));
    expect(paused.progress.phase).toMatch(/^Paused: step 2: paused at 25%/);
    const split = await eventually(traffic, {
      ...poll,
      message: 'a 75/25 split',
      until: (t) => t[revisionName(svcId(), v2)] === 25,
    });
    expect(split).toEqual({ [revisionName(svcId(), v1)]: 75, [revisionName(svcId(), v2)]: 25 });
    expect((await fleet.rollout.status('web')).state?.phase).toBe('Paused');
    expect((await fleet.events({ deployment: 'web' })).some((e) => e.reason === 'TrafficShifted')).toBe(true);

    await fleet.rollout.promote('web');
    await eventually(traffic, {
      ...poll,
      message: 'v2 serving 100%',
      until: (t) => t[revisionName(svcId(), v2)] === 100,
    });
    await eventually(async () => (await fleet.rollout.status('web')).state?.phase, {
      ...poll,
      message: 'completed',
      until: (p) => p === 'Completed',
    });
    expect(h.emulator.services.size).toBe(1);
  } finally {
    ac.abort();
    await running;
    await fleet.close();
  }
});

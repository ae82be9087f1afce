/**
 * The gcp-cloud-run provider when ListServices lags writes and GetService does not. Cloud Run
 * documents no read-after-write guarantee for its list; the emulator shows a service as it was
 * before a write for 10 s (test/emulators/cloud-run/consistency.test.ts). A fleet-wide observe (the
 * controller's, one list for the region) must still report what this instance just wrote.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'lagged';
const h = runHarness({ fleet: FLEET, emulator: { consistencyLagMs: 10_000 } });
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
});
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const template: PodTemplate = {
  containers: [
    { name: 'web', image: 'gcr.io/p/web:1', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {} },
  ],
};
const slice = (deployment: string, replicas: number): DesiredSlice => ({
  key: { fleet: FLEET, deployment, revision: revisionOf(template), zone: 'us-central1' },
  replicas,
  template,
});
const lastList = () =>
  (h.emulator.log.entries.filter((e) => e.operation === 'services.list').at(-1)!.response as { services?: unknown[] })
    .services ?? [];

it('right after a create, a scale and a delete, a fleet-wide observe reports what was written, not what the list shows', async () => {
  const p = h.provider();
  await p.apply(slice('web', 2));
  let observed = await p.observe({ fleet: FLEET });
  expect(lastList()).toEqual([]);
  expect(observed.map((o) => [o.key.deployment, o.replicas])).toEqual([['web', 2]]);

  h.clock.advance(10_000);
  await p.observe({ fleet: FLEET }); // the list shows it now
  await p.apply(slice('web', 4));
  observed = await p.observe({ fleet: FLEET });
  expect(observed.map((o) => [o.key.deployment, o.replicas])).toEqual([['web', 4]]);

  h.clock.advance(10_000);
  await p.observe({ fleet: FLEET });
  await p.remove(slice('web', 4).key);
  observed = await p.observe({ fleet: FLEET });
  expect(lastList()).toHaveLength(1); // still listed
  expect(observed).toEqual([]);
  // and once the list shows the delete, nothing is read by name any more
  h.clock.advance(10_000);
  const mark = h.emulator.log.mark();
  expect(await p.observe({ fleet: FLEET })).toEqual([]);
  expect(h.emulator.log.operations(mark)).toEqual(['services.list']);
});

import { afterEach, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { eventually } from '../../helpers/eventually.js';

// An `apply` while a controller leads hands the change over and reports when it is done. The
// controller places with the domain health it watches (a zone back from an outage stays out for
// its cooldown), which the waiting apply does not know: done is the deployment's replicas of the
// new revision all ready and no other left, wherever the controller put them.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const deployment = (name: string, replicas: number): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas, template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] } },
});

it('an apply handed to the controller returns once its replicas are ready, also where a zone in cooldown moved them', async () => {
  const cloud = new MemoryCloud();
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'lab', kind: 'memory', zones: ['x', 'y'] }),
    { fleet: 'handoff' },
    { cloud },
  );
  const fleet: Fleet = createFleet({ name: 'handoff', targets: [provider], store: ':memory:' });
  const ac = new AbortController();
  const running = fleet.run({
    signal: ac.signal,
    leaseTtlMs: 2000,
    resyncMs: 100,
    progressRequeueMs: 20,
    domainHealth: { failureThreshold: 2, cooldownMs: 60_000 },
    traffic: false,
  });
  cleanups.push(async () => {
    ac.abort();
    await running.catch(() => undefined);
    await fleet.close();
  });
  await fleet.apply(deployment('first', 2));
  // zone x goes down and comes back: the controller keeps it out for its 60 s cooldown
  cloud.zoneDown('x');
  await eventually(async () => (await fleet.status('first')).slices.every((s) => s.key.zone === 'y' && s.ready === 2), {
    timeoutMs: 30_000,
    intervalMs: 50,
    message: 'the replicas moved to y',
  });
  cloud.zoneUp('x');
  const result = await fleet.apply(deployment('second', 2), { timeoutMs: 20_000 });
  expect(result.byController).toBe(true);
  const st = await fleet.status('second');
  expect(st.ready).toBe(2);
  expect(st.slices.map((s) => s.key.zone)).toEqual(['y']);
  // an apply of what is already recorded is done at once: the controller converged it before
  expect((await fleet.apply(deployment('first', 2), { timeoutMs: 20_000 })).byController).toBe(true);
});

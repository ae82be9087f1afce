import { afterAll, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { SkyfleetError } from '../../../src/errors/index.js';
import { createFleet } from '../../../src/fleet.js';
import type { TargetDescription } from '../../../src/provider/provider.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';

// A target reached through a front that routes to a replica's first port only (ACI with a
// dataPlaneAddress) cannot serve a service that sends to another port: the replicas would be
// ready and unreachable. Placement leaves such a target out, with the reason and the fix.

class FrontProvider extends MemoryProvider {
  override describe(): TargetDescription {
    const d = super.describe();
    return { ...d, capabilities: { ...d.capabilities, firstPortOnly: true } };
  }
}

const FLEET = 'front';
const cloud = new MemoryCloud();
const settings = (name: string) => memoryTargetSettings.parse({ name, kind: 'memory', zones: ['a'] });
const fleet = createFleet({
  name: FLEET,
  targets: [
    new FrontProvider(settings('azure'), { fleet: FLEET }, { cloud }),
    new MemoryProvider(settings('local'), { fleet: FLEET }, { cloud }),
  ],
  store: ':memory:',
});
afterAll(() => fleet.close());

const web = (ports: number[], targetPort: number | string, targets?: string[]): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image: 'img:1',
          ports: ports.map((p) => ({ containerPort: p, ...(p === 8080 ? { name: 'http' } : {}) })),
        },
      ],
    },
    service: { port: 18080, targetPort },
    ...(targets ? { placement: { targets: targets.map((name) => ({ name })) } } : {}),
  },
});

it('a service on a port other than the first: the front target is filtered with the reason; the other takes the replicas', async () => {
  const plan = await fleet.plan(web([9090, 8080], 'http'));
  expect(plan.placement.explain.find((e) => e.target === 'azure')).toMatchObject({
    status: 'filtered',
    filter: 'capability-match',
    reason: expect.stringMatching(
      /^service\.targetPort 8080 is not the first container port \(9090\).*first port only.*declare port 8080 first, or remove the target's dataPlaneAddress$/,
    ),
  });
  expect(plan.placement.assignments.filter((a) => a.replicas > 0).map((a) => [a.target, a.replicas])).toEqual([
    ['local', 2],
  ]);
});

it('the same service on the first port: both targets take replicas', async () => {
  const plan = await fleet.plan(web([8080, 9090], 8080));
  expect(plan.placement.assignments.map((a) => [a.target, a.replicas])).toEqual([
    ['azure', 1],
    ['local', 1],
  ]);
});

it('apply limited to the front target is refused before anything is written, naming the reason', async () => {
  const err = await fleet.apply(web([9090, 8080], 8080, ['azure'])).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SkyfleetError);
  expect((err as Error).message).toMatch(/service\.targetPort 8080 is not the first container port/);
  expect(await fleet.get('web')).toBeUndefined();
});

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import type { Action } from '../../../src/plan/index.js';
import type { PassReport } from '../../../src/reconcile/controller.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { eventually } from '../../helpers/eventually.js';

// One reconcile pass, three drivers: `plan` runs it without acting, `apply` acts and waits,
// the controller acts from its work queue. From the same stored state and the same spec they
// must decide the same first step.

const FLEET = 'pass';
const web = (image: string, replicas: number, extra: Partial<DeploymentInput['spec']> = {}): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    template: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } },
    ...extra,
  },
});

const fleets: Fleet[] = [];
afterEach(async () => {
  for (const f of fleets.splice(0)) await f.close();
});

/** A fleet of two memory targets (zones a, b) with `web` at img:1 x4 already converged. */
async function converged(): Promise<Fleet> {
  const cloud = new MemoryCloud();
  const mk = (name: string) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', zones: ['a', 'b'] }),
      { fleet: FLEET },
      { cloud },
    );
  const fleet = createFleet({ name: FLEET, targets: [mk('aws'), mk('gcp')], store: ':memory:' });
  fleets.push(fleet);
  await fleet.apply(web('img:1', 4));
  return fleet;
}

const key = (a: Action) => `${a.type} ${a.target}/${a.zone} ${a.revision} ${a.from}->${a.to}`;
const sorted = (actions: readonly Action[]) => actions.map(key).sort();

describe('one reconcile pass through plan, apply and the controller', () => {
  const cases: Array<[string, DeploymentInput]> = [
    ['a rolling update with a scale-up', web('img:2', 6)],
    ['a scale-down', web('img:1', 1)],
    ['a rolling update that moves to one target', web('img:3', 4, { placement: { targets: [{ name: 'gcp' }] } })],
  ];
  it.each(cases)('%s: the same first step', async (_name, spec) => {
    const planned = await (await converged()).plan(spec);
    const applied = await (await converged()).apply(spec, { wait: false });

    const fleet = await converged();
    const passes: PassReport[] = [];
    const ac = new AbortController();
    const run = fleet.run({
      signal: ac.signal,
      traffic: false,
      leaseTtlMs: 2_000,
      onPass: (p) => passes.push(p),
    });
    // once the controller leads, apply only records the spec and hands the work to it
    await eventually(async () => (await fleet.events()).some((e) => e.reason === 'LeaderElected'), {
      message: 'the controller to lead',
      timeoutMs: 30_000,
    });
    expect((await fleet.apply(spec, { wait: false })).byController).toBe(true);
    await eventually(() => passes.some((p) => p.planned?.length), {
      message: 'a controller pass that plans a step',
      timeoutMs: 30_000,
    });
    ac.abort();
    await run;
    const first = passes.find((p) => p.planned?.length)!;

    expect(planned.steps.length).toBeGreaterThan(0);
    expect(sorted(applied.actions)).toEqual(sorted(planned.steps[0]!));
    expect(sorted(first.planned!)).toEqual(sorted(planned.steps[0]!));
  });
});

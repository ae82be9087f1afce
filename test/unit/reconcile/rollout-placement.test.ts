import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls of state the controller running in this process changes: every 25 ms, up to 30 s. */
const poll = { timeoutMs: 30_000, intervalMs: 25 };

const FLEET = 'x';
const web = (image: string, target: string, strategy?: DeploymentInput['spec']['strategy']): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 4,
    template: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
    placement: { targets: [{ name: target }] },
    ...(strategy ? { strategy } : {}),
  },
});
const canary: DeploymentInput['spec']['strategy'] = {
  type: 'Canary',
  canary: { steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 100 }] },
};
const blueGreen: DeploymentInput['spec']['strategy'] = {
  type: 'BlueGreen',
  blueGreen: { autoPromote: false, scaleDownDelaySeconds: 0 },
};

const running: Array<{ fleet: Fleet; stop: () => Promise<void> }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

/** img:1 on aws (zones a1, a2) with a controller leading; gcp (zone g1) empty. */
async function stableOnAws() {
  const cloud = new MemoryCloud();
  const mk = (name: string, zones: string[]) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', provider: name, zones }),
      { fleet: FLEET },
      { cloud },
    );
  const fleet = createFleet({ name: FLEET, targets: [mk('aws', ['a1', 'a2']), mk('gcp', ['g1'])], store: ':memory:' });
  const ac = new AbortController();
  const run = fleet.run({ signal: ac.signal, traffic: false, leaseTtlMs: 5_000, resyncMs: 200, progressRequeueMs: 50 });
  running.push({
    fleet,
    stop: async () => {
      ac.abort();
      await run;
      await fleet.close();
    },
  });
  await eventually(async () => (await fleet.events()).some((e) => e.reason === 'LeaderElected'), {
    ...poll,
    message: 'the controller to lead',
  });
  await fleet.apply(web('img:1', 'aws'), { wait: false });
  await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 4 }), { ...poll, message: 'img:1 on aws' });
  return { cloud, fleet };
}

/** Replicas of `web` per target and image (e.g. `aws img:1`), over its zones. */
function where(cloud: MemoryCloud): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of cloud.slices.values()) {
    if (s.key.deployment !== 'web' || !s.replicas.length) continue;
    const k = `${s.target} ${s.template.containers[0]!.image}`;
    out[k] = (out[k] ?? 0) + s.replicas.length;
  }
  return out;
}

const phase = async (fleet: Fleet) => (await fleet.rollout.status('web')).state?.phase;

describe('a rollout whose new spec places on other targets', () => {
  it('Canary: the stable revision stays on its own targets while paused, promotion moves everything', async () => {
    const { cloud, fleet } = await stableOnAws();
    await fleet.apply(web('img:2', 'gcp', canary), { wait: false });
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Paused', message: 'the pause step' });
    // split by replica counts (no router): 3 stable on aws, the 25% canary on gcp
    await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 3, 'gcp img:2': 1 }), {
      ...poll,
      message: 'stable on aws, canary on gcp',
    });
    const domains = (await fleet.rollout.status('web')).status.domains;
    expect(domains.filter((d) => d.target === 'aws').reduce((a, d) => a + d.old, 0)).toBe(3);
    expect(domains.filter((d) => d.target === 'gcp').reduce((a, d) => a + d.old, 0)).toBe(0);

    await fleet.rollout.promote('web');
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Completed', message: 'completion' });
    await eventually(() => expect(where(cloud)).toEqual({ 'gcp img:2': 4 }), { ...poll, message: 'all on gcp' });
  });

  it('Canary: an abort puts everything back on the stable revision and its own targets', async () => {
    const { cloud, fleet } = await stableOnAws();
    await fleet.apply(web('img:2', 'gcp', canary), { wait: false });
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Paused', message: 'the pause step' });
    await fleet.rollout.abort('web');
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Aborted', message: 'the abort' });
    await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 4 }), {
      ...poll,
      message: 'all back on aws',
    });
  });

  it('BlueGreen: the blue revision stays on its own targets beside the green preview, then abort or promote', async () => {
    const { cloud, fleet } = await stableOnAws();
    await fleet.apply(web('img:2', 'gcp', blueGreen), { wait: false });
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Paused', message: 'green ready' });
    await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 4, 'gcp img:2': 4 }), {
      ...poll,
      message: 'blue on aws, green on gcp',
    });
    await fleet.rollout.abort('web');
    await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 4 }), { ...poll, message: 'all back on aws' });

    await fleet.apply(web('img:3', 'gcp', blueGreen), { wait: false });
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Paused', message: 'green ready' });
    await eventually(() => expect(where(cloud)).toEqual({ 'aws img:1': 4, 'gcp img:3': 4 }), {
      ...poll,
      message: 'blue on aws, green on gcp',
    });
    await fleet.rollout.promote('web');
    await eventually(() => phase(fleet), { ...poll, until: (p) => p === 'Completed', message: 'completion' });
    await eventually(() => expect(where(cloud)).toEqual({ 'gcp img:3': 4 }), { ...poll, message: 'all on gcp' });
  });
});

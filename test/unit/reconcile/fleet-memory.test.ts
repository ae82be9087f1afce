import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import { ConvergeError, NotFoundError, ProviderError, ValidationError } from '../../../src/errors/index.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import type { Progress } from '../../../src/reconcile/progress.js';

const FLEET = 'unit';
const web = (image: string, replicas = 4, extra: Partial<DeploymentInput['spec']> = {}): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { team: 'shop' } },
  spec: {
    replicas,
    template: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...extra,
  },
});

function setup(zones = ['a', 'b']) {
  const cloud = new MemoryCloud();
  const mk = (name: string, provider: string) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', provider, zones }),
      { fleet: FLEET },
      { cloud },
    );
  const fleet = createFleet({ name: FLEET, targets: [mk('aws', 'aws'), mk('gcp', 'gcp')], store: ':memory:' });
  return { cloud, fleet };
}

describe('fleet on memory targets', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
  });

  it('creates, re-applies with zero writes, rolls out within the surge/unavailable bounds, scales and deletes', async () => {
    const s = setup();
    fleet = s.fleet;
    const first = await fleet.apply(web('img:1'));
    expect(first.progress.ready).toBe(4);
    expect(first.placement.assignments.map((a) => a.replicas).reduce((a, b) => a + b)).toBe(4);

    const again = await fleet.apply(web('img:1'));
    expect(again.writes).toBe(0);
    expect(again.actions).toEqual([]);

    // rolling update (maxSurge 1, maxUnavailable 0): sample every progress report, and the
    // cloud's own state (memory replicas are ready at once, so existing = ready)
    const seen: Progress[] = [];
    const inCloud: Array<{ total: number; ready: number; revisions: number }> = [];
    const sample = () => {
      const mine = [...s.cloud.slices.values()].filter((x) => x.key.deployment === 'web');
      const replicas = mine.flatMap((x) => x.replicas);
      inCloud.push({
        total: replicas.length,
        ready: replicas.filter((r) => !r.crashed).length,
        revisions: new Set(mine.filter((x) => x.replicas.length > 0).map((x) => x.key.revision)).size,
      });
    };
    // ... and before every provider call (memory calls change the state at once, after `enter`)
    const enter = s.cloud.enter.bind(s.cloud);
    s.cloud.enter = (...args: Parameters<typeof enter>) => {
      sample();
      return enter(...args);
    };
    const roll = await fleet.apply(web('img:2'), {
      onProgress: (p) => {
        seen.push(p);
        sample();
      },
    });
    s.cloud.enter = enter;
    sample();
    expect(roll.revision).not.toBe(first.revision);
    // 4 replicas replaced one surge at a time: at least one report per step, and the bounds held
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const p of seen) {
      const total = p.domains.reduce((a, d) => a + d.current + d.old, 0);
      expect(total).toBeLessThanOrEqual(4 + 1);
    }
    for (const c of inCloud) {
      expect(c.total).toBeLessThanOrEqual(4 + 1); // maxSurge: 1
      expect(c.ready).toBeGreaterThanOrEqual(4); // maxUnavailable: 0
    }
    // the samples saw the rollout in the middle: both revisions, and the surge in use
    expect(inCloud.some((c) => c.revisions === 2)).toBe(true);
    expect(inCloud.some((c) => c.total === 5)).toBe(true);
    const status = await fleet.status('web');
    expect(status).toMatchObject({ replicas: 4, ready: 4, current: 4, revision: roll.revision, revisionNumber: 2 });
    expect(status.slices.every((x) => x.key.revision === roll.revision)).toBe(true);

    await fleet.scale('web', 6);
    expect((await fleet.status('web')).ready).toBe(6);
    await fleet.scale('web', 1);
    expect((await fleet.status('web')).current).toBe(1);

    const del = await fleet.delete('web');
    expect(del.removed.reduce((a, r) => a + r.replicas, 0)).toBe(1);
    expect(s.cloud.slices.size).toBe(0);
    await expect(fleet.status('web')).rejects.toBeInstanceOf(NotFoundError);
    const history = await fleet.events({ deployment: 'web' });
    expect(history.map((e) => e.reason)).toContain('Deleted');
  });

  it('plan changes nothing and shows the ordered steps', async () => {
    const s = setup();
    fleet = s.fleet;
    await fleet.apply(web('img:1', 2));
    const writes = s.cloud.calls.writes;
    const plan = await fleet.plan(web('img:2', 2));
    expect(s.cloud.calls.writes).toBe(writes);
    expect(plan.converges).toBe(true);
    expect(plan.steps.length).toBeGreaterThan(1);
    expect(plan.steps.flat().some((a) => a.type === 'delete' && a.revision === plan.previousRevision)).toBe(true);
    expect((await fleet.plan(web('img:1', 2))).steps).toEqual([]);
  });

  it('retries retryable provider errors and reports terminal ones at once', async () => {
    const s = setup(['a']);
    fleet = s.fleet;
    s.cloud.failNext(3, { retryable: true, operations: ['apply'] });
    const res = await fleet.apply(web('img:1', 2));
    expect(res.progress.ready).toBe(2);
    expect((await fleet.events({ deployment: 'web' })).some((e) => e.reason === 'ProviderRetry')).toBe(true);

    s.cloud.failNext(1, { retryable: false, operations: ['apply'], message: 'quota exceeded for vCPU' });
    const err = await fleet.apply(web('img:3', 2)).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain('quota exceeded for vCPU');
  });

  it('fails with a ConvergeError naming the replicas that are not ready', async () => {
    const cloud = new MemoryCloud();
    const slow = new MemoryProvider(
      memoryTargetSettings.parse({ name: 'slow', kind: 'memory', readyAfterSeconds: 3600 }),
      { fleet: FLEET },
      { cloud },
    );
    fleet = createFleet({ name: FLEET, targets: [slow], store: ':memory:' });
    const err = await fleet.apply(web('img:1', 2), { timeoutMs: 300, pollIntervalMs: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConvergeError);
    expect(err.notReady).toHaveLength(2);
    expect(err.message).toMatch(/0\/2 replicas of revision \w+ ready/);
    expect(err.message).toContain('slow/a');
  });

  it('rejects a deployment that names an unknown target, before touching anything', async () => {
    const s = setup();
    fleet = s.fleet;
    const err = await fleet.apply(web('img:1', 2, { placement: { targets: [{ name: 'azure' }] } })).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues[0].path).toBe('spec.placement.targets[0].name');
    expect(s.cloud.calls.apply).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { MemoryMetricSource } from '../../../src/autoscaling/memory-metric-source.js';
import { autoscalingLines } from '../../../src/cli/autoscaling-lines.js';
import { silentLogger } from '../../../src/log/logger.js';
import { autoscalingView } from '../../../src/operations/autoscaling-status.js';
import { AutoscalerDriver } from '../../../src/reconcile/autoscale/autoscaler.js';
import { Controller } from '../../../src/reconcile/controller.js';
import { parseDeployment } from '../../../src/spec/load.js';
import type { Store } from '../../../src/store/store.js';
import { systemClock } from '../../../src/util/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { recordSpec, storeWith } from '../../helpers/store.js';

// A target whose platform scales a deployment itself (Cloud Run, here a memory target declaring
// `nativeAutoscaling`) is given the bounds, not a count: skyfleet places the starting replicas,
// each slice carries its autoscaling, and skyfleet's autoscaler decides nothing for it.

const FLEET = 'native';
const poll = { timeoutMs: 30_000, intervalMs: 25 };

const dep = (targets: string[], auto: Record<string, unknown> = {}) =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      service: { port: 18080, targetPort: 8080 },
      placement: { targets: targets.map((name) => ({ name })) },
      template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] },
      autoscaling: { minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'concurrency', target: 10 }], ...auto },
    },
  });

function providers(cloud: MemoryCloud) {
  const make = (name: string, nativeAutoscaling: boolean) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', provider: 'gcp', zones: ['a'], nativeAutoscaling }),
      { fleet: FLEET },
      { cloud },
    );
  const list = [make('run', true), make('vm', false)];
  return new Map(list.map((p) => [p.target, p]));
}

const ctxOf = (store: Store, cloud: MemoryCloud) => ({
  fleet: FLEET,
  providers: providers(cloud),
  store,
  clock: systemClock,
  logger: silentLogger,
  secrets: () => undefined,
});

/** Load far above the target: skyfleet's autoscaler, were it deciding, would scale up at once. */
function overload(source: MemoryMetricSource, revision: string): void {
  const at = Date.now();
  for (const windowMs of [3000, 1000])
    for (const [metric, value] of [
      ['concurrency', 80],
      ['requestsPerSecond', 800],
    ] as const)
      source.set({ deployment: 'web', revision, metric, windowMs }, { value, sampledAt: at, windowMs });
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function startController(store: Store, cloud: MemoryCloud) {
  const controller = new Controller(ctxOf(store, cloud), {
    leaseTtlMs: 600,
    resyncMs: 200,
    progressRequeueMs: 30,
    traffic: false,
    autoscaling: { intervalMs: 50, sources: [new MemoryMetricSource()] },
  });
  const ac = new AbortController();
  const done = controller.run(ac.signal);
  stops.push(async () => {
    ac.abort();
    await done;
  });
}

const slicesOf = (cloud: MemoryCloud, target: string) => [...cloud.slices.values()].filter((s) => s.target === target);

describe('a deployment scaled by its platform', { timeout: 60_000 }, () => {
  it("skyfleet's autoscaler decides nothing for it and says who scales it", async () => {
    const store = await storeWith(dep(['run']));
    const cloud = new MemoryCloud();
    const source = new MemoryMetricSource();
    overload(source, (await store.getDeployment('web'))!.revision);
    const driver = new AutoscalerDriver(ctxOf(store, cloud), { sources: [source], onScaled: () => {} });
    await driver.tick();
    await driver.tick();
    expect((await store.getDeployment('web'))!.spec.spec.replicas).toBe(2);
    const view = await autoscalingView(store, (await store.getDeployment('web'))!);
    expect(view?.status?.reason).toBe(
      "scaled by the platform's own autoscaler on run within 1-10 replicas (its share on each target); skyfleet decides no count",
    );
    expect(view?.status?.delegatedTo).toEqual(['run']);
    expect(autoscalingLines(view!, Date.now()).join('\n')).toMatch(
      /Scaled by: {3}the platform's own autoscaler on run, within its share of the bounds/,
    );
    const events = (await store.listEvents({ deployment: 'web' })).filter((e) => e.reason === 'AutoscalingDelegated');
    expect(events).toHaveLength(1);

    // the same load on a deployment that may also use a target without one: skyfleet scales it
    await recordSpec(store, dep(['run', 'vm']));
    await driver.tick();
    expect((await store.getDeployment('web'))!.spec.spec.replicas).toBeGreaterThan(2);
  });

  it('each slice carries the bounds; new bounds reach the platform without a change of count', async () => {
    const store = await storeWith(dep(['run']));
    const cloud = new MemoryCloud();
    startController(store, cloud);
    const want = { minReplicas: 1, maxReplicas: 10, deploymentReplicas: 2, concurrency: 10 };
    await eventually(
      () => {
        const s = slicesOf(cloud, 'run');
        return (
          s.length === 1 && s[0]!.replicas.length === 2 && JSON.stringify(s[0]!.autoscaling) === JSON.stringify(want)
        );
      },
      { ...poll, message: '2 replicas on run, carrying the bounds' },
    );
    await recordSpec(store, dep(['run'], { maxReplicas: 30, metrics: [{ type: 'concurrency', target: 25 }] }));
    await eventually(() => slicesOf(cloud, 'run')[0]?.autoscaling?.maxReplicas === 30, {
      ...poll,
      message: 'the new bounds on the slice',
    });
    expect(slicesOf(cloud, 'run')[0]!.autoscaling).toEqual({ ...want, maxReplicas: 30, concurrency: 25 });
    expect(slicesOf(cloud, 'run')[0]!.replicas).toHaveLength(2);
    const repaired = (await store.listEvents({ deployment: 'web', limit: 50 })).filter(
      (e) => e.reason === 'ReplicasRepaired',
    );
    expect(repaired.map((e) => e.message).join('\n')).toMatch(
      /autoscaling bounds 1-10 of 2, concurrency 10 -> 1-30 of 2, concurrency 25/,
    );

    // a target without a native autoscaler joins: skyfleet scales it, and the bounds are taken back
    await recordSpec(store, dep(['run', 'vm']));
    await eventually(() => slicesOf(cloud, 'run').every((s) => s.autoscaling === undefined), {
      ...poll,
      message: 'bounds taken back from run',
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { MemoryMetricSource } from '../../../src/autoscaling/memory-metric-source.js';
import { startingReplicas } from '../../../src/autoscaling/starting-replicas.js';
import { silentLogger } from '../../../src/log/logger.js';
import { autoscalingView } from '../../../src/operations/autoscaling-status.js';
import { Controller } from '../../../src/reconcile/controller.js';
import { recordDesired } from '../../../src/reconcile/record-desired.js';
import { parseDeployment } from '../../../src/spec/load.js';
import type { Store } from '../../../src/store/store.js';
import { systemClock } from '../../../src/util/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { storeWith } from '../../helpers/store.js';

const FLEET = 'auto';
const poll = { timeoutMs: 30_000, intervalMs: 25 };

const dep = (replicas: number, auto: Record<string, unknown> = {}) =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas,
      service: { port: 18080, targetPort: 8080 },
      template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] },
      autoscaling: { minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'concurrency', target: 10 }], ...auto },
    },
  });

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function start(store: Store, cloud: MemoryCloud, source: MemoryMetricSource) {
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'aws', kind: 'memory', provider: 'aws', zones: ['a'] }),
    { fleet: FLEET },
    { cloud },
  );
  const controller = new Controller(
    {
      fleet: FLEET,
      providers: new Map([[provider.target, provider]]),
      store,
      clock: systemClock,
      logger: silentLogger,
      secrets: () => undefined,
    },
    {
      leaseTtlMs: 600,
      resyncMs: 300,
      progressRequeueMs: 30,
      traffic: false,
      autoscaling: { intervalMs: 50, sources: [source] },
    },
  );
  const ac = new AbortController();
  const done = controller.run(ac.signal);
  const stop = async () => {
    ac.abort();
    await done;
  };
  stops.push(stop);
  return stop;
}

/**
 * The listener's concurrency per replica, fresh: `stable` over the decision window, `short` over
 * the fast path's (kept under 2x the target, so the fast path stays out of it).
 */
function load(source: MemoryMetricSource, stable: number, short = 15): void {
  const at = Date.now();
  for (const [windowMs, v] of [
    [3000, stable],
    [1000, short],
  ] as const) {
    source.set(
      { deployment: 'web', revision: revisionOf(), metric: 'concurrency', windowMs },
      { value: v, sampledAt: at, windowMs },
    );
    source.set(
      { deployment: 'web', revision: revisionOf(), metric: 'requestsPerSecond', windowMs },
      { value: v * 10, sampledAt: at, windowMs },
    );
  }
}
let currentRevision = '';
const revisionOf = () => currentRevision;

const replicasIn = (cloud: MemoryCloud) => [...cloud.slices.values()].reduce((a, s) => a + s.replicas.length, 0);

describe('the autoscaler in the controller', { timeout: 60_000 }, () => {
  it('scales up on load within the scale-up policy, says why, and the pass realises the count', async () => {
    const store = await storeWith(dep(2));
    currentRevision = (await store.getDeployment('web'))!.revision;
    const cloud = new MemoryCloud();
    const source = new MemoryMetricSource();
    load(source, 38);
    start(store, cloud, source);
    // HPA: ceil(2 x 38 / 10) = 8; the default policies allow max(100%, 4 pods) per 15 s: 6
    await eventually(async () => (await store.getDeployment('web'))!.spec.spec.replicas === 6, {
      ...poll,
      message: 'spec.replicas 6',
    });
    const events = await store.listEvents({ deployment: 'web', limit: 50 });
    const up = events.find((e) => e.reason === 'ScaledUp');
    expect(up?.message).toMatch(/^2 -> 6: concurrency 38\/10 per replica/);
    await eventually(() => replicasIn(cloud) === 6, { ...poll, message: '6 replicas in the cloud' });
    const view = await autoscalingView(store, (await store.getDeployment('web'))!);
    expect(view?.status?.metrics[0]).toMatchObject({ type: 'concurrency', value: 38, target: 10 });
    expect(view?.lastScale).toMatchObject({ from: 2, to: 6 });
  });

  it('a restarted controller resumes the same decision: the policy period counts the scale made before', async () => {
    const store = await storeWith(dep(2));
    currentRevision = (await store.getDeployment('web'))!.revision;
    const cloud = new MemoryCloud();
    const source = new MemoryMetricSource();
    load(source, 38);
    const stop = start(store, cloud, source);
    await eventually(async () => (await store.getDeployment('web'))!.spec.spec.replicas === 6, {
      ...poll,
      message: 'first scale to 6',
    });
    await stop();
    // much more load: a fresh autoscaler would go 6 -> 10 at once; one that remembers the +4
    // of this period (replicas 2 at its start) may not add any
    load(source, 100);
    const restartedAt = Date.now();
    start(store, cloud, source);
    const view = await eventually(
      async () => {
        const v = await autoscalingView(store, (await store.getDeployment('web'))!);
        return v?.status && v.status.at > restartedAt ? v : false;
      },
      { ...poll, message: 'a decision of the new controller' },
    );
    expect(view.status!.desired).toBe(6);
    expect(view.status!.reason).toMatch(/policy|Pods|Percent/);
    expect((await store.getDeployment('web'))!.spec.spec.replicas).toBe(6);
  });

  it('an apply of the same file keeps the count the autoscaler reached (within the bounds)', async () => {
    const store = await storeWith(dep(2));
    const ctx = {
      fleet: FLEET,
      providers: new Map(),
      store,
      clock: systemClock,
      logger: silentLogger,
      secrets: () => undefined,
    };
    const rec = (await store.getDeployment('web'))!;
    await store.putDeployment(
      { ...rec, spec: { ...rec.spec, spec: { ...rec.spec.spec, replicas: 7 } } },
      { expectGeneration: rec.generation },
    );
    const again = await recordDesired(ctx, dep(2));
    expect(again.record.spec.spec.replicas).toBe(7);
    const narrower = await recordDesired(ctx, dep(2, { maxReplicas: 5 }));
    expect(narrower.record.spec.spec.replicas).toBe(5);
    expect(startingReplicas(dep(0, { minReplicas: 2 }).spec, undefined)).toBe(2);
    expect(startingReplicas({ ...dep(3).spec, autoscaling: undefined }, dep(9).spec)).toBe(3);
  });
});

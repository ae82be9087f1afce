import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { Provider } from '../../../src/provider/provider.js';
import { Controller, type PassReport } from '../../../src/reconcile/controller.js';
import { createControllerMetrics } from '../../../src/reconcile/metrics.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { systemClock } from '../../../src/util/clock.js';
import { storeWith as newStore, recordSpec } from '../../helpers/store.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls of state a loop running in this process changes: every 25 ms, up to 30 s. */
const poll = { timeoutMs: 30_000, intervalMs: 25 };

const FLEET = 'ctl';

const dep = (replicas: number, extra: Partial<DeploymentInput['spec']> = {}, image = 'img:1') =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas, template: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] }, ...extra },
  });

/** Replicas per zone (ready/total) of the deployment in a memory cloud. */
function perZone(cloud: MemoryCloud, revision?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of cloud.slices.values()) {
    if (revision && s.key.revision !== revision) continue;
    const ready = s.replicas.filter((r) => !r.crashed && !cloud.downZones.has(s.key.zone)).length;
    out[s.key.zone] = `${ready}/${s.replicas.length}`;
  }
  return out;
}

interface Running {
  controller: Controller;
  stop: () => Promise<void>;
  passes: PassReport[];
}

const runs: Running[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
  for (const s of stores.splice(0)) await s.close();
});

function start(
  store: Store,
  providers: Provider[],
  options: ConstructorParameters<typeof Controller>[1] = {},
): Running {
  const passes: PassReport[] = [];
  const controller = new Controller(
    {
      fleet: FLEET,
      providers: new Map(providers.map((p) => [p.target, p])),
      store,
      clock: systemClock,
      logger: silentLogger,
      secrets: () => undefined,
    },
    {
      leaseTtlMs: 600,
      resyncMs: 300,
      progressRequeueMs: 30,
      domainHealth: { failureThreshold: 2, cooldownMs: 60_000 },
      onPass: (p) => passes.push(p),
      ...options,
    },
  );
  const ac = new AbortController();
  const done = controller.run(ac.signal);
  const r: Running = {
    controller,
    passes,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
  runs.push(r);
  return r;
}

async function storeWith(...deployments: ReturnType<typeof dep>[]): Promise<Store> {
  const store = await newStore(...deployments);
  stores.push(store);
  return store;
}

const memory = (cloud: MemoryCloud, zones = ['a', 'b', 'c'], name = 'aws') =>
  new MemoryProvider(
    memoryTargetSettings.parse({ name, kind: 'memory', provider: 'aws', zones }),
    { fleet: FLEET },
    { cloud },
  );

describe('controller on memory targets', { timeout: 30_000 }, () => {
  it('converges what the store holds and replaces a crashed replica', async () => {
    const cloud = new MemoryCloud();
    const d = dep(3);
    const store = await storeWith(d);
    start(store, [memory(cloud, ['a'])]);
    await eventually(() => perZone(cloud), { ...poll, message: '3 ready', until: (z) => z.a === '3/3' });
    const [slice] = [...cloud.slices.values()];
    const crashed = slice!.replicas[1]!.id;
    cloud.crash('aws', slice!.key, 1);
    await eventually(() => slice!.replicas.map((r) => r.id), {
      ...poll,
      message: 'the crashed replica replaced',
      until: (ids) => ids.length === 3 && !ids.includes(crashed) && perZone(cloud).a === '3/3',
    });
    const events = await store.listEvents({ deployment: 'web' });
    expect(events.some((e) => e.reason === 'ReplicasRepaired' && e.message.includes('failed'))).toBe(true);
    const conditions = await eventually(() => store.getConditions('web'), {
      ...poll,
      message: 'conditions',
      until: (c) => c.some((x) => x.type === 'Available' && x.status === 'True'),
    });
    expect(conditions.find((c) => c.type === 'Degraded')?.status).toBe('False');
  });

  it('moves replicas off a zone that goes down, keeping the spread, and brings them back after the return window', async () => {
    const cloud = new MemoryCloud();
    const d = dep(6, { placement: { spread: [{ topologyKey: 'zone', maxSkew: 1 }], returnAfterSeconds: 1 } });
    const store = await storeWith(d);
    start(store, [memory(cloud)]);
    await eventually(() => perZone(cloud), {
      ...poll,
      message: '2/2/2',
      until: (z) => z.a === '2/2' && z.b === '2/2' && z.c === '2/2',
    });

    cloud.zoneDown('a');
    const moved = await eventually(() => perZone(cloud), {
      ...poll,
      message: 'replicas off zone a',
      until: (z) => z.a === undefined && z.b === '3/3' && z.c === '3/3',
    });
    expect(moved).toEqual({ b: '3/3', c: '3/3' });
    const events = await store.listEvents({ deployment: 'web' });
    expect(events.some((e) => e.reason === 'Replaced')).toBe(true);

    const upAt = Date.now();
    cloud.zoneUp('a');
    await eventually(() => perZone(cloud), {
      ...poll,
      message: 'back to 2/2/2',
      until: (z) => z.a === '2/2' && z.b === '2/2' && z.c === '2/2',
      timeoutMs: 15_000,
    });
    expect(Date.now() - upAt).toBeGreaterThanOrEqual(1000);
  });

  it('converges while 30% of provider calls fail retryably, backing off between attempts', async () => {
    const cloud = new MemoryCloud();
    cloud.failRandomly(0.3, true, 7);
    const store = await storeWith(dep(5));
    const r = start(store, [memory(cloud, ['a', 'b'])]);
    await eventually(() => perZone(cloud), {
      ...poll,
      message: '5 ready',
      until: (z) => Object.values(z).reduce((a, v) => a + Number(v.split('/')[0]), 0) === 5,
      timeoutMs: 20_000,
    });
    expect(r.passes.some((p) => p.result === 'retry')).toBe(true);
    const retries = (await store.listEvents({ deployment: 'web', limit: 500 })).filter(
      (e) => e.reason === 'ReconcileRetry',
    );
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]!.message).toMatch(/attempt \d+, retrying in \d+ ms: memory\/aws/);
  });

  it('parks a terminal error with a Degraded condition until the spec changes', async () => {
    const cloud = new MemoryCloud();
    cloud.failNext(1, { retryable: false, operations: ['apply'], message: 'quota exceeded' });
    const store = await storeWith(dep(2));
    const r = start(store, [memory(cloud, ['a'])]);
    const degraded = await eventually(() => store.getConditions('web'), {
      ...poll,
      message: 'Degraded',
      until: (c) => c.some((x) => x.type === 'Degraded' && x.status === 'True'),
    });
    expect(degraded.find((c) => c.type === 'Degraded')).toMatchObject({
      reason: 'TerminalError',
      message: expect.stringContaining('quota exceeded'),
    });
    await eventually(() => r.passes, {
      ...poll,
      message: 'a parked pass',
      until: (p) => p.some((x) => x.result === 'parked'),
    });
    expect(cloud.slices.size).toBe(0);
    // a new spec (generation) un-parks it
    await recordSpec(store, dep(2, {}, 'img:2'));
    await eventually(() => perZone(cloud), { ...poll, message: '2 ready', until: (z) => z.a === '2/2' });
  });

  it('removes resources with the fleet label that belong to no deployment', async () => {
    const cloud = new MemoryCloud();
    const p = memory(cloud, ['a']);
    await p.apply({
      key: { fleet: FLEET, deployment: 'stray', revision: 'r1', zone: 'a' },
      replicas: 2,
      template: dep(1).spec.template,
    });
    const store = await storeWith(dep(1));
    start(store, [p]);
    await eventually(() => [...cloud.slices.values()].map((s) => s.key.deployment), {
      ...poll,
      message: 'stray removed',
      until: (ds) => ds.length === 1 && ds[0] === 'web',
    });
    expect((await store.listEvents({ deployment: 'stray' })).map((e) => e.reason)).toContain('OrphanRemoved');
  });

  it('lets only the lease holder act, and a standby takes over within the TTL when the leader dies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyfleet-ctl-'));
    try {
      const path = join(dir, 'state.db');
      const cloud = new MemoryCloud();
      const storeA = await SqliteStore.open(path);
      const storeB = await SqliteStore.open(path);
      stores.push(storeA, storeB);
      await recordSpec(storeA, dep(2));
      // a "crashed" leader never releases its lease
      const crashedStore: Store = Object.assign(Object.create(storeA), { releaseLease: async () => undefined });
      const pa = memory(cloud, ['a']);
      const pb = memory(cloud, ['a']);
      const writes = { a: 0, b: 0 };
      const count = (p: Provider, k: 'a' | 'b') => {
        const apply = p.apply.bind(p);
        const remove = p.remove.bind(p);
        p.apply = async (...args) => {
          const r = await apply(...args);
          writes[k] += r.writes;
          return r;
        };
        p.remove = async (...args) => {
          const r = await remove(...args);
          writes[k] += r.writes;
          return r;
        };
      };
      count(pa, 'a');
      count(pb, 'b');
      const a = start(crashedStore, [pa], { identity: 'A' });
      await eventually(() => a.controller.leading, { ...poll, message: 'A leads', until: (x) => x });
      const b = start(storeB, [pb], { identity: 'B' });
      await eventually(() => perZone(cloud), { ...poll, message: '2 ready', until: (z) => z.a === '2/2' });
      cloud.crash('aws', [...cloud.slices.values()][0]!.key, 0);
      await eventually(() => perZone(cloud), { ...poll, message: 'repaired by A', until: (z) => z.a === '2/2' });
      expect(writes.a).toBeGreaterThan(0);
      expect(writes.b).toBe(0);
      expect(b.controller.leading).toBe(false);

      const diedAt = Date.now();
      await a.stop();
      await eventually(() => b.controller.leading, { ...poll, message: 'B leads', until: (x) => x, timeoutMs: 5_000 });
      expect(Date.now() - diedAt).toBeLessThan(600 + 500);
      cloud.crash('aws', [...cloud.slices.values()][0]!.key, 0);
      await eventually(() => writes.b, { ...poll, message: 'repaired by B', until: (n) => n > 0 });
      expect((await storeB.getLease('fleet/ctl'))?.holder).toBe('B');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports reconcile counts, desired and ready replicas per domain as Prometheus metrics', async () => {
    const cloud = new MemoryCloud();
    const metrics = await createControllerMetrics();
    const store = await storeWith(dep(2));
    start(store, [memory(cloud, ['a'])], { metrics });
    await eventually(() => perZone(cloud), { ...poll, message: '2 ready', until: (z) => z.a === '2/2' });
    const text = await eventually(() => metrics.registry.metrics(), {
      ...poll,
      message: 'metrics',
      until: (t) => t.includes('skyfleet_ready_replicas{deployment="web",target="aws",zone="a"} 2'),
    });
    expect(text).toMatch(/skyfleet_reconcile_total\{deployment="web",result="(done|progressing)"\} \d+/);
    expect(text).toContain('skyfleet_controller_leader 1');
    expect(text).toContain('skyfleet_desired_replicas{deployment="web",target="aws",zone="a"} 2');
  });
});

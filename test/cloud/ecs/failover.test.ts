/**
 * Zone failover on ECS through the controller: an availability-zone outage in the emulator makes
 * that zone's tasks stop and new ones fail; the controller marks the domain unhealthy and moves its
 * replicas to the other zones within the spread constraint, and they come back after the zone
 * recovers and the return window passes.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { Controller } from '../../../src/reconcile/controller.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { systemClock } from '../../../src/util/clock.js';
import { ecsTestbed } from '../../emulators/ecs/index.js';
import { storeWith } from '../../helpers/store.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls of state a loop running in this process changes: every 25 ms, up to 30 s. */
const poll = { timeoutMs: 30_000, intervalMs: 25 };

beforeAll(() => nock.disableNetConnect());
const bed = ecsTestbed({ fleet: 'failover' });
afterAll(() => {
  bed.close();
  nock.enableNetConnect();
});

it('moves replicas off a zone in outage and back after it recovers', { timeout: 90_000 }, async () => {
  const provider = bed.provider();
  const d = parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 4,
      template: {
        containers: [
          {
            name: 'web',
            image: 'public.ecr.aws/nginx/nginx:1',
            ports: [{ containerPort: 80 }],
            resources: { cpu: '0.25', memory: '512Mi' },
          },
        ],
      },
      placement: { spread: [{ topologyKey: 'zone', maxSkew: 1 }], returnAfterSeconds: 1 },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    },
  });
  const store = await storeWith(d);
  const controller = new Controller(
    {
      fleet: bed.fleet,
      providers: new Map([[provider.target, provider]]),
      store,
      clock: systemClock,
      logger: silentLogger,
      secrets: () => undefined,
    },
    {
      leaseTtlMs: 3_000,
      resyncMs: 300,
      progressRequeueMs: 30,
      minObserveIntervalMs: 0,
      domainHealth: { failureThreshold: 3, failureWindowMs: 300, unreadyWindowMs: 500, cooldownMs: 2_000 },
    },
  );
  // emulated ECS time runs 50x faster than the test's
  const ticker = setInterval(() => bed.advance(1_000), 20);
  const ac = new AbortController();
  const running = controller.run(ac.signal);
  const perZone = async () => {
    const out: Record<string, string> = {};
    for (const s of await provider.observe({ fleet: bed.fleet })) out[s.key.zone] = `${s.ready}/${s.replicas}`;
    return out;
  };
  try {
    await eventually(perZone, {
      ...poll,
      message: '4 ready over 3 zones',
      until: (z) =>
        Object.values(z).reduce((a, v) => a + Number(v.split('/')[0]), 0) === 4 && Object.keys(z).length === 3,
    });

    bed.emulator.zoneDown('us-east-1a');
    const moved = await eventually(perZone, {
      ...poll,
      message: 'replicas off us-east-1a',
      until: (z) => !z['us-east-1a'] && z['us-east-1b'] === '2/2' && z['us-east-1c'] === '2/2',
    });
    expect(moved).toEqual({ 'us-east-1b': '2/2', 'us-east-1c': '2/2' });
    const events = await store.listEvents({ deployment: 'web', limit: 500 });
    const replaced = events.find((e) => e.reason === 'Replaced');
    // the tasks ECS could not start there (stopCode TaskFailedToStart: no capacity) fail the zone
    expect(replaced?.message).toMatch(
      /aws-east\/us-east-1a: replicas cannot become ready: .*Capacity is unavailable at this time in us-east-1a/,
    );
    const degraded = (await store.getConditions('web')).find((c) => c.type === 'Degraded');
    expect(degraded?.message ?? '').toMatch(/us-east-1a/);

    bed.emulator.zoneUp('us-east-1a');
    await eventually(perZone, {
      ...poll,
      message: 'back in us-east-1a',
      until: (z) =>
        Object.keys(z).length === 3 && Object.values(z).reduce((a, v) => a + Number(v.split('/')[0]), 0) === 4,
      timeoutMs: 60_000,
    });
  } finally {
    clearInterval(ticker);
    ac.abort();
    await running;
    await store.close();
  }
});

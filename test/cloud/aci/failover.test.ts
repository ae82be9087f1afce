/**
 * Zone failover on Azure Container Instances through the controller: an availability-zone outage
 * in the ARM emulator leaves that zone's container groups repairing (not ready) and new ones
 * failing; the controller marks the domain unhealthy, moves its replicas to the other zones, and
 * brings them back once the zone recovers and the return window passes.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { Controller } from '../../../src/reconcile/controller.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { systemClock } from '../../../src/util/clock.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';
import { storeWith } from '../../helpers/store.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls of state a loop running in this process changes: every 25 ms, up to 30 s. */
const poll = { timeoutMs: 30_000, intervalMs: 25 };

const FLEET = 'aci-failover';
let em: AciEmulator;
beforeAll(() => {
  nock.disableNetConnect();
  // no list lag here: this emulator's clock moves only with operation polls (the controller runs on
  // the system clock), so a lag measured on it would not pass while nothing is written; lists
  // lagging writes are tested in consistency.test.ts
  em = new AciEmulator({ consistencyLagMs: 0 });
  em.install();
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

it('moves replicas off a zone in outage and back after it recovers', { timeout: 90_000 }, async () => {
  const provider = aciProvider(em, FLEET);
  const d = parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      template: {
        containers: [
          {
            name: 'web',
            image: 'mcr.microsoft.com/azuredocs/aci-helloworld:latest',
            ports: [{ containerPort: 80 }],
            resources: { cpu: '1', memory: '1.5Gi' },
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
      fleet: FLEET,
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
  const ac = new AbortController();
  const running = controller.run(ac.signal);
  const perZone = async () => {
    const out: Record<string, string> = {};
    for (const s of await provider.observe({ fleet: FLEET })) out[s.key.zone] = `${s.ready}/${s.replicas}`;
    return out;
  };
  try {
    await eventually(perZone, {
      ...poll,
      message: '1/1/1',
      until: (z) => z['eastus-1'] === '1/1' && z['eastus-2'] === '1/1' && z['eastus-3'] === '1/1',
    });
    em.zoneDown('eastus', '2');
    const moved = await eventually(perZone, {
      ...poll,
      message: 'replicas off zone 2',
      until: (z) => !z['eastus-2'] && Object.values(z).reduce((a, v) => a + Number(v.split('/')[0]), 0) === 3,
    });
    expect(Object.keys(moved).sort()).toEqual(['eastus-1', 'eastus-3']);
    const replaced = (await store.listEvents({ deployment: 'web', limit: 500 })).find((e) => e.reason === 'Replaced');
    expect(replaced?.message).toMatch(/azure\/eastus-2/);
    em.zoneUp('eastus', '2');
    await eventually(perZone, {
      ...poll,
      message: 'back to 1/1/1',
      until: (z) => z['eastus-1'] === '1/1' && z['eastus-2'] === '1/1' && z['eastus-3'] === '1/1',
      timeoutMs: 60_000,
    });
  } finally {
    ac.abort();
    await running;
    await store.close();
  }
});

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalingView } from '../../src/operations/autoscaling-status.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import {
  type ControllerProcess,
  cli,
  deploymentYaml,
  fleetContainers,
  fleetYaml,
  killAllControllers,
  REPO,
  removeWithLabels,
  spawnController,
  tempDir,
  webDeployment,
  writeFile,
} from '../helpers/controller/index.js';
import { cleanupRun, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';
import { freePort, startLoad } from '../helpers/traffic/load.js';

// A controller process SIGKILLed right after the autoscaler recorded a scale-up, while the new
// replicas are being made: the next controller realises that count and resumes the same decision
// from the store. The load is far above the target, so the scale-up takes the fast path to
// maxReplicas; then the load stops. An autoscaler that forgot the decision would see no traffic
// and scale down at once (the scale-down policy allows 100%); one that resumes it is still in
// the fast path's hold (60 s from its last trigger, in which nothing scales down) and keeps 3.

const run = newTestRun();
const FLEET = run.fleet('autocrash');
let docker: Docker;
let dir: string;
let global: string[];
let store: Store;
let port: number;

const decisionAfter = async (at: number) => {
  const rec = await store.getDeployment('web');
  const v = rec && (await autoscalingView(store, rec));
  return v?.status && v.status.at > at ? v : false;
};

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist/src/cli/main.js')))
    throw new Error('the CLI is not built: run `npx tsc -p tsconfig.build.json` first');
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  dir = tempDir('skyfleet-autocrash-');
  const config = writeFile(dir, 'fleet.yaml', fleetYaml(FLEET));
  const storePath = join(dir, 'state.db');
  global = ['--config', config, '--store', storePath];
  port = await freePort();
  const d = webDeployment({ image: 'skyfleet-test/web:1', replicas: 1, labels: run.labels });
  d.spec.service = { port, targetPort: 8080 };
  d.spec.autoscaling = {
    minReplicas: 1,
    maxReplicas: 3,
    metrics: [{ type: 'requestsPerSecond', target: 1 }],
    behavior: {
      scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
    },
  } as NonNullable<typeof d.spec.autoscaling>;
  const res = await cli([...global, 'apply', '-f', writeFile(dir, 'web.yaml', deploymentYaml(d)), '--timeout', '90s']);
  expect(res.code, res.stderr).toBe(0);
  store = await openStore(storePath);
}, 180_000);

afterAll(async () => {
  await killAllControllers();
  await store?.close();
  if (docker) {
    await cleanupRun(docker, run);
    await removeWithLabels(docker, `skyfleet.dev/fleet=${FLEET}`);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a controller killed mid-scale', { timeout: 240_000 }, () => {
  it('the next one realises the recorded count and resumes the same decision', async () => {
    let a: ControllerProcess | undefined = spawnController(global, {
      identity: 'auto-a',
      leaseTtl: '2s',
      resync: '3s',
    });
    await a.waitFor(/leads fleet/, 30_000);
    const load = startLoad(port, { concurrency: 4, expectBodies: ['v1'], maxMs: 180_000 });
    let scaledAt = 0;
    try {
      const up = await eventually(
        async () =>
          (await store.listEvents({ deployment: 'web', limit: 50 })).find((e) => e.reason === 'ScaledUp') ?? false,
        { timeoutMs: 90_000, intervalMs: 20, message: 'a ScaledUp decision' },
      );
      // mid-scale: the count is recorded, the new replica not yet ready
      await a.kill('SIGKILL');
      a = undefined;
      scaledAt = up.time;
      expect(up.message).toMatch(/^1 -> 3: requestsPerSecond [\d.]+\/1 per replica/);
    } finally {
      await a?.kill('SIGKILL');
      await load.stop(); // the listener died with its process: no claim on these requests
    }
    expect((await store.getDeployment('web'))!.spec.spec.replicas).toBe(3);

    const b = spawnController(global, { identity: 'auto-b', leaseTtl: '2s', resync: '3s' });
    try {
      await b.waitFor(/leads fleet/, 30_000);
      const restartedAt = Date.now();
      // B makes the replicas A did not finish
      await eventually(async () => (await readyOf(docker, await fleetContainers(docker, FLEET))).length === 3, {
        timeoutMs: 120_000,
        intervalMs: 100,
        message: '3 ready replicas',
      });
      // a decision of B on measured traffic (none now), not a hold on missing metrics
      const v = await eventually(
        async () => {
          const d = await decisionAfter(restartedAt);
          return d && d.status!.metrics.some((m) => m.type === 'requestsPerSecond' && m.value === 0) ? d : false;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'a decision of the new controller on no traffic' },
      );
      expect(v.status!.panic).toBe(true);
      expect(v.status!.desired).toBe(3);
      expect((await store.getDeployment('web'))!.spec.spec.replicas).toBe(3);
      const scales = (await store.listEvents({ deployment: 'web', limit: 100 })).filter((e) =>
        /^Scaled(Up|Down)$/.test(e.reason),
      );
      expect(scales.map((e) => e.time)).toEqual([scaledAt]);
    } finally {
      await b.kill('SIGTERM');
    }
  });
});

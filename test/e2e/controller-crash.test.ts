import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import {
  type ControllerProcess,
  cli,
  deploymentYaml,
  fleetContainers,
  fleetYaml,
  isLive,
  killAllControllers,
  REPO,
  removeWithLabels,
  sampleContainers,
  seededRandom,
  spawnController,
  tempDir,
  webDeployment,
  writeFile,
} from '../helpers/controller/index.js';
import { cleanupRun, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

// Crash safety: a controller process is SIGKILLed at a random moment of a rolling update
// (replicas 4, maxSurge 1, maxUnavailable 0) and a new one started; afterwards the deployment
// must be exactly 4 ready replicas of the new revision, nothing else, and at no moment of the
// whole run (docker ps every 100 ms) more than 5 containers may have existed, nor fewer than 4
// healthy ones.
const run = newTestRun();
const FLEET = run.fleet('crash');
const RUNS = Number(process.env.CRASH_RUNS ?? 10);
const SEED = Number(process.env.CRASH_SEED ?? 20240611);
const REPLICAS = 4;
const MAX_SURGE = 1;
/** Kill moments are drawn from [0, this) after the apply returns (a rollout takes ~5-8 s here). */
const KILL_WINDOW_MS = 6_000;

let docker: Docker;
let dir: string;
let global: string[];
let store: Store;
let controller: ControllerProcess | undefined;
const logs: string[][] = [];
let sampler: { stop: () => Promise<number> } | undefined;
let sampling = false;
const peaks = { live: 0, liveAt: '', minHealthy: Number.POSITIVE_INFINITY, minHealthyAt: '' };
let phase = 'setup';

const yamlFor = (image: string) =>
  writeFile(
    dir,
    `web-${image.split(':')[1]}.yaml`,
    deploymentYaml(
      webDeployment({
        image,
        replicas: REPLICAS,
        labels: run.labels,
        maxSurge: MAX_SURGE,
        maxUnavailable: 0,
        failureThreshold: 2,
      }),
    ),
  );

function startController(name: string): ControllerProcess {
  const p = spawnController(global, { identity: name, leaseTtl: '2s', resync: '3s' });
  logs.push(p.output);
  return p;
}

/** Waits until exactly REPLICAS containers exist, all of `revision`, running and healthy. */
async function convergedOn(revision: string, timeoutMs = 120_000): Promise<Docker.ContainerInfo[]> {
  return eventually(
    async () => {
      const all = await fleetContainers(docker, FLEET);
      const ready = await readyOf(docker, all);
      const ok =
        all.length === REPLICAS &&
        ready.length === REPLICAS &&
        all.every((c) => c.Labels['skyfleet.dev/revision'] === revision) &&
        all.every((c) => c.Labels['skyfleet.dev/deployment'] === 'web');
      return ok ? all : false;
    },
    {
      message: `${REPLICAS} healthy replicas of ${revision} and nothing else`,
      timeoutMs,
      intervalMs: 100,
    },
  );
}

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist/src/cli/main.js')))
    throw new Error('the CLI is not built: run `npx tsc -p tsconfig.build.json` first');
  docker = await testDocker();
  await Promise.all([ensureWebImage(docker, '1'), ensureWebImage(docker, '2')]);
  dir = tempDir('skyfleet-crash-');
  const config = writeFile(dir, 'fleet.yaml', fleetYaml(FLEET));
  const storePath = join(dir, 'state.db');
  global = ['--config', config, '--store', storePath];
  controller = startController('crash-0');
  await controller.waitFor(/leads fleet/, 20_000);
  store = await openStore(storePath);
  sampling = true;
  sampler = sampleContainers(docker, FLEET, async (list) => {
    if (!sampling) return;
    const live = list.filter(isLive).length;
    // ready as the probe sees it: Docker healthy, or answering before Docker's first check
    const healthy = (await readyOf(docker, list)).length;
    if (live > peaks.live) {
      peaks.live = live;
      peaks.liveAt = `${phase}: ${list.map((c) => `${c.Names[0]} ${c.State} ${c.Status}`).join('; ')}`;
    }
    // the floor counts only once the first rollout has made REPLICAS ready
    if (phase !== 'setup' && healthy < peaks.minHealthy) {
      peaks.minHealthy = healthy;
      peaks.minHealthyAt = `${phase}: ${list.map((c) => `${c.Names[0]} ${c.State} ${c.Status}`).join('; ')}`;
    }
  });
});

afterAll(async () => {
  sampling = false;
  await sampler?.stop();
  await killAllControllers();
  await store?.close();
  if (docker) {
    await cleanupRun(docker, run);
    await removeWithLabels(docker, `skyfleet.dev/fleet=${FLEET}`);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(`crash runs: peak ${peaks.live} containers, lowest ${peaks.minHealthy} healthy`);
});

describe(`controller crash safety: ${RUNS} SIGKILLs during rolling updates`, () => {
  it('converges the first revision (4 replicas of web:1)', async () => {
    const res = await cli([...global, 'apply', '-f', yamlFor('skyfleet-test/web:1'), '--timeout', '90s']);
    expect(res.code, res.stderr).toBe(0);
    const rec = await store.getDeployment('web');
    await convergedOn(rec!.revision);
    phase = 'converged';
  });

  const random = seededRandom(SEED);
  for (let i = 1; i <= RUNS; i++) {
    const image = i % 2 === 1 ? 'skyfleet-test/web:2' : 'skyfleet-test/web:1';
    const delay = Math.floor(random() * KILL_WINDOW_MS);
    it(`run ${i}: rollout to ${image}, SIGKILL after ${delay} ms, restart: exactly 4 ready of the new revision`, async () => {
      const before = (await store.getDeployment('web'))!.revision;
      phase = `run ${i} apply`;
      // the controller holds the lease: apply records the spec and returns (--no-wait)
      const res = await cli([...global, 'apply', '-f', yamlFor(image), '--no-wait']);
      expect(res.code, res.stderr).toBe(0);
      const revision = (await store.getDeployment('web'))!.revision;
      expect(revision).not.toBe(before);
      phase = `run ${i} rollout`;
      await new Promise((r) => setTimeout(r, delay)); // the crash moment: a seeded random delay
      phase = `run ${i} killed at ${delay} ms`;
      expect(await controller!.kill('SIGKILL')).toBe('SIGKILL');
      const mid = await fleetContainers(docker, FLEET);
      const t0 = Date.now();
      controller = startController(`crash-${i}`);
      await controller.waitFor(/leads fleet/, 20_000);
      phase = `run ${i} restarted`;
      const list = await convergedOn(revision).catch(async (e: unknown) => {
        // say what the controller was doing, for whoever reads the failure
        const now = await fleetContainers(docker, FLEET);
        console.log(
          `run ${i} did not converge; containers: ${now.map((c) => `${c.Names[0]} ${c.State} ${c.Status} rev=${c.Labels['skyfleet.dev/revision']}`).join('; ')}`,
        );
        console.log(`controller output (last 80 lines):\n${controller!.output.slice(-80).join('\n')}`);
        console.log(
          `events:\n${(await store.listEvents({ deployment: 'web', limit: 40 })).map((ev) => `${ev.type} ${ev.reason} ${ev.message}`).join('\n')}`,
        );
        throw e;
      });
      const took = Date.now() - t0;
      console.log(
        `run ${i}: killed ${delay} ms into the rollout with ${mid.filter((c) => c.Labels['skyfleet.dev/revision'] === revision).length} new / ${mid.filter((c) => c.Labels['skyfleet.dev/revision'] === before).length} old containers; converged ${took} ms after the restart`,
      );
      // the store accounts for every container: the deployment and its current revision
      const names = new Set((await store.listDeployments()).map((d) => d.name));
      for (const c of list) expect(names.has(c.Labels['skyfleet.dev/deployment']!)).toBe(true);
      expect(list.filter((c) => c.Labels['skyfleet.dev/revision'] === before)).toEqual([]);
      expect(peaks.live, peaks.liveAt).toBeLessThanOrEqual(REPLICAS + MAX_SURGE);
      expect(peaks.minHealthy, peaks.minHealthyAt).toBeGreaterThanOrEqual(REPLICAS);
    });
  }

  it('over the whole run: never more than replicas + maxSurge containers, never fewer than 4 healthy', async () => {
    sampling = false;
    const n = await sampler!.stop();
    sampler = undefined;
    expect(n).toBeGreaterThan(100);
    expect(peaks.live, peaks.liveAt).toBeLessThanOrEqual(REPLICAS + MAX_SURGE);
    expect(peaks.minHealthy, peaks.minHealthyAt).toBeGreaterThanOrEqual(REPLICAS);
  });
});

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
  isHealthy,
  killAllControllers,
  logRecords,
  REPO,
  removeWithLabels,
  spawnController,
  tempDir,
  webDeployment,
  writeFile,
} from '../helpers/controller/index.js';
import { cleanupRun, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

// Two `skyfleet controller` processes share one store (SQLite file, then PostgreSQL): one leads,
// the other stands by and touches nothing; SIGKILL the leader and the other takes over within the
// lease TTL and heals what breaks afterwards.
const run = newTestRun();
const TTL_MS = 2_000;
const REPLICAS = 2;
const PG = process.env.SKYFLEET_TEST_PG ?? 'postgres://skyfleet:skyfleet@127.0.0.1:5432/skyfleet_test';
const PG_SCHEMA = `skyfleet_e2e_lease_${run.id}`;

let docker: Docker;
const dirs: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist/src/cli/main.js')))
    throw new Error('the CLI is not built: run `npx tsc -p tsconfig.build.json` first');
  docker = await testDocker();
  await ensureWebImage(docker, '1');
});

afterAll(async () => {
  await killAllControllers();
  if (docker) {
    await cleanupRun(docker, run);
    await removeWithLabels(docker, `skyfleet.dev/fleet=${run.fleet('sqlite')}`);
    await removeWithLabels(docker, `skyfleet.dev/fleet=${run.fleet('pg')}`);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
  } catch {
    // no server: nothing was made there
  } finally {
    await client.end().catch(() => undefined);
  }
});

/** Lines a controller logged for events it recorded (pino records with a `reason`). */
const reasons = (p: ControllerProcess) =>
  logRecords(p.output)
    .filter((r) => typeof r.reason === 'string')
    .map((r) => `${r.reason} ${r.msg ?? ''}`);

const variants = [
  { name: 'sqlite', store: (dir: string) => join(dir, 'state.db') },
  { name: 'pg', store: () => `${PG}?schema=${PG_SCHEMA}` },
] as const;

describe.each(variants)('two controller processes on one $name store', (variant) => {
  const fleet = run.fleet(variant.name);
  let dir: string;
  let storeSpec: string;
  let global: string[];
  let store: Store;
  let a: ControllerProcess;
  let b: ControllerProcess;
  const mine = () => fleetContainers(docker, fleet, 'web');
  const lease = () => store.getLease(`fleet/${fleet}`);

  beforeAll(async () => {
    dir = tempDir();
    dirs.push(dir);
    storeSpec = variant.store(dir);
    const config = writeFile(dir, 'fleet.yaml', fleetYaml(fleet));
    writeFile(
      dir,
      'web.yaml',
      deploymentYaml(webDeployment({ image: 'skyfleet-test/web:1', replicas: REPLICAS, labels: run.labels })),
    );
    global = ['--config', config, '--store', storeSpec];
  });

  afterAll(async () => {
    await a?.kill('SIGKILL');
    await b?.kill('SIGKILL');
    await store?.close();
  });

  it('the first controller leads; the second stands by', async () => {
    a = spawnController(global, { identity: `${variant.name}-a`, leaseTtl: '2s' });
    await a.waitFor(/leads fleet/, 20_000);
    b = spawnController(global, { identity: `${variant.name}-b`, leaseTtl: '2s' });
    await b.waitFor(/controller for fleet .* started/, 20_000);
    store = await openStore(storeSpec);
    // a standby polls the lease every ttl/5: give it a few polls, then it must still not lead
    await new Promise((r) => setTimeout(r, TTL_MS));
    expect((await lease())?.holder).toBe(`${variant.name}-a`);
    expect(reasons(b)).toEqual([]);
  });

  it('apply hands off to the leader, which converges it; the standby makes no Docker writes', async () => {
    const res = await cli([...global, 'apply', '-f', join(dir, 'web.yaml'), '--timeout', '90s']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`ready ${REPLICAS}/${REPLICAS}`);
    const list = await mine();
    expect(list).toHaveLength(REPLICAS);
    expect(await readyOf(docker, list)).toHaveLength(REPLICAS); // healthy, or answering before Docker's first check
    expect((await lease())?.holder).toBe(`${variant.name}-a`);
    // every mutation was the leader's: its log has the SliceCreated, the standby's log has nothing
    expect(reasons(a).some((l) => l.startsWith('SliceCreated'))).toBe(true);
    expect(reasons(b)).toEqual([]);
    const events = await cli([...global, '-o', 'json', 'get', 'events', '--limit', '100']);
    expect(events.code, events.stderr).toBe(0);
    const recorded = JSON.parse(events.stdout) as Array<{ reason: string; message: string }>;
    const elected = recorded.filter((e) => e.reason === 'LeaderElected').map((e) => e.message);
    expect(elected).toHaveLength(1);
    expect(elected[0]).toContain(`${variant.name}-a leads`);
    expect(recorded.some((e) => e.reason === 'SliceCreated')).toBe(true);
  });

  it('SIGKILL of the leader: the standby takes over within the TTL (+ slack) and repairs a killed replica', async () => {
    const before = await lease();
    const t0 = Date.now();
    expect(await a.kill('SIGKILL')).toBe('SIGKILL');
    await b.waitFor(/leads fleet/, TTL_MS + 5_000);
    const takeover = Date.now() - t0;
    console.log(`${variant.name}: takeover ${takeover} ms after SIGKILL (lease ttl ${TTL_MS} ms)`);
    expect(takeover).toBeLessThan(TTL_MS + 2_000);
    const after = await lease();
    expect(after?.holder).toBe(`${variant.name}-b`);
    expect(after!.token).toBeGreaterThan(before!.token);

    const [victim] = await mine();
    const t1 = Date.now();
    await docker.getContainer(victim!.Id).kill();
    await eventually(
      async () => {
        const list = await mine();
        return list.length === REPLICAS && list.every(isHealthy) && list.every((c) => c.Id !== victim!.Id);
      },
      { message: 'the new leader replaced the killed replica', timeoutMs: 20_000, intervalMs: 100 },
    );
    console.log(`${variant.name}: repaired ${Date.now() - t1} ms after docker kill`);
    expect(reasons(b).some((l) => l.startsWith('ReplicasRepaired'))).toBe(true);
  });

  it('SIGTERM: the leader exits cleanly and releases the lease at once', async () => {
    const t0 = Date.now();
    expect(await b.kill('SIGTERM')).toBe(0);
    console.log(`${variant.name}: exited ${Date.now() - t0} ms after SIGTERM`);
    const l = await lease();
    expect(l === undefined || l.holder !== `${variant.name}-b` || l.expiresAt <= Date.now()).toBe(true);
    const res = await cli([...global, 'delete', 'web']);
    expect(res.code, res.stderr).toBe(0);
    expect(await mine()).toEqual([]);
  });
});

import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/fleet.js';
import type { PassReport } from '../../src/reconcile/controller.js';
import { fleetContainers, isHealthy, removeWithLabels, webDeployment } from '../helpers/controller/index.js';
import { cleanupRun, DOCKER_POLL, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

// A controller running in-process (fleet.run) on the real engine keeps 3 replicas converged
// whatever happens to their containers behind its back.
const run = newTestRun();
const FLEET = run.fleet('heal');
const REPLICAS = 3;
/** How long a repair may take (die event -> pass -> replace -> first health check at 1 s). */
const DEADLINE_MS = 15_000;

let docker: Docker;
let fleet: Fleet;
let ac = new AbortController();
let running: Promise<void> | undefined;
const passes: PassReport[] = [];
const timings: Record<string, number> = {};

const deployment = webDeployment({
  image: 'skyfleet-test/web:1',
  replicas: REPLICAS,
  labels: { ...run.labels, team: 'shop' },
  failureThreshold: 2,
});

const mine = () => fleetContainers(docker, FLEET, 'web');

/** Waits until the deployment has exactly REPLICAS containers, all running and healthy, and `extra` holds. */
async function converged(what: string, extra: (list: Docker.ContainerInfo[]) => boolean = () => true) {
  return eventually(
    async () => {
      const list = await mine();
      return list.length === REPLICAS && list.every(isHealthy) && extra(list) ? list : false;
    },
    { message: what, timeoutMs: DEADLINE_MS, intervalMs: 100 },
  );
}

async function aHealthyReplica(): Promise<Docker.ContainerInfo> {
  const list = await converged('the deployment converged before the fault');
  return list[1] ?? list[0]!;
}

async function events(reason: string): Promise<string[]> {
  return (await fleet.events({ limit: 500 })).filter((e) => e.reason === reason).map((e) => e.message);
}

/** Starts the in-process controller and waits until it leads. */
async function startController(): Promise<void> {
  ac = new AbortController();
  const elected = (await events('LeaderElected')).length;
  running = fleet.run({
    signal: ac.signal,
    leaseTtlMs: 5_000,
    resyncMs: 2_000,
    onPass: (p) => passes.push(p),
  });
  running.catch(() => undefined);
  await eventually(async () => (await events('LeaderElected')).length > elected, {
    message: 'the controller leads',
    timeoutMs: 10_000,
    intervalMs: 50,
  });
}

/** Stops the controller: it finishes its passes in flight and releases the lease. */
async function stopController(): Promise<void> {
  ac.abort();
  await running?.catch(() => undefined);
}

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  fleet = createFleet({ name: FLEET, targets: [{ name: 'local', kind: 'docker' }], store: ':memory:' });
  await startController();
  // the controller holds the lease: apply records the spec and waits while the controller converges it
  const res = await fleet.apply(deployment, { timeoutMs: 60_000 });
  expect(res.progress.ready).toBe(REPLICAS);
  expect(res.writes).toBe(0); // handed off: the controller made the writes
});

afterAll(async () => {
  await stopController();
  await fleet?.close();
  if (docker) {
    await cleanupRun(docker, run);
    await removeWithLabels(docker, `skyfleet.dev/fleet=${FLEET}`);
  }
  console.log(`self-heal timings (ms): ${JSON.stringify(timings)}`);
});

describe('controller self-healing on a real Docker engine', () => {
  it('the controller converged the applied deployment: 3 healthy replicas with the run label', async () => {
    const list = await converged('3 healthy');
    expect(list.every((c) => c.Labels['skyfleet.test/run'] === run.id && c.Labels.team === 'shop')).toBe(true);
    await eventually(async () => passes.some((p) => p.deployment === 'web' && p.result === 'done'), {
      ...DOCKER_POLL,
      message: 'a pass that found it done',
    });
  });

  it('docker kill of a replica: a ready replacement', async () => {
    const victim = await aHealthyReplica();
    const t0 = Date.now();
    await docker.getContainer(victim.Id).kill();
    await converged('a replacement for the killed replica', (l) =>
      // replaced by the controller (a new container), or restarted in place by Docker
      l.every((c) => c.Id !== victim.Id || c.State === 'running'),
    );
    timings.kill = Date.now() - t0;
    expect((await events('ReplicasRepaired')).some((m) => m.includes('stopped'))).toBe(true);
  });

  it('docker rm -f of a replica: replaced', async () => {
    const victim = await aHealthyReplica();
    const t0 = Date.now();
    await docker.getContainer(victim.Id).remove({ force: true });
    const list = await converged('a replacement for the removed replica', (l) => l.every((c) => c.Id !== victim.Id));
    timings.rm = Date.now() - t0;
    // the same deterministic name (the lowest free ordinal)
    expect(list.map((c) => c.Names[0]).sort()).toContain(victim.Names[0]);
  });

  it('docker stop of a replica (out of band): repaired by replacement', async () => {
    const victim = await aHealthyReplica();
    const t0 = Date.now();
    await docker.getContainer(victim.Id).stop({ t: 2 });
    await converged('a replacement for the stopped replica', (l) => l.every((c) => c.Id !== victim.Id));
    timings.stop = Date.now() - t0;
    expect((await docker.listContainers({ all: true, filters: { id: [victim.Id] } })).length).toBe(0);
  });

  it('a container recreated out of band with another label value is detected as drift and replaced', async () => {
    const victim = await aHealthyReplica();
    const info = await docker.getContainer(victim.Id).inspect();
    const name = info.Name.replace(/^\//, '');
    // the controller is stopped while the twin is made, so nothing replaces it before observe
    // looks, and it meets exactly 3 replicas, the twin drifted, when it starts again
    await stopController();
    const t0 = Date.now();
    // out of band: rename the replica away, create its twin under its name with the same image,
    // labels (config hash included), ports, limits and health check, only the team label
    // differs; then remove the original and start the twin
    await docker.getContainer(info.Id).rename({ name: `${name}-moved` });
    const twin = await docker.createContainer({
      name,
      Image: info.Config.Image,
      Env: info.Config.Env,
      Cmd: info.Config.Cmd,
      Labels: { ...info.Config.Labels, team: 'intruder' },
      ExposedPorts: info.Config.ExposedPorts,
      Healthcheck: info.Config.Healthcheck,
      HostConfig: {
        PortBindings: info.HostConfig.PortBindings,
        RestartPolicy: info.HostConfig.RestartPolicy,
        NanoCpus: info.HostConfig.NanoCpus,
        Memory: info.HostConfig.Memory,
      },
    });
    await docker.getContainer(info.Id).remove({ force: true });
    await twin.start();
    // observe (what the controller sees) reports the twin, and reports it drifted: its config
    // hash is the desired one, so nothing but the label tells it apart
    const seen = (await fleet.status('web')).slices.flatMap((x) => x.replicaStatus).find((r) => r.id === twin.id);
    expect(seen, 'the twin observed').toBeDefined();
    expect(seen!.drifted).toBe(true);
    const restartedAt = Date.now();
    await startController();
    const list = await converged('the drifted container replaced', (l) =>
      l.every((c) => c.Id !== twin.id && c.Labels.team === 'shop'),
    );
    timings.drift = Date.now() - t0;
    expect(list.some((c) => c.Names[0] === info.Name)).toBe(true);
    // replaced by a repair that names the drift (3 replicas were there: no scale-down did it)
    const since = (await fleet.events({ deployment: 'web', limit: 500 })).filter((e) => e.time >= restartedAt - 1);
    const repaired = since.filter((e) => e.reason === 'ReplicasRepaired').map((e) => e.message);
    expect(repaired.some((m) => m.includes(`${name} drifted from its spec`))).toBe(true);
    expect(since.map((e) => e.message).filter((m) => m.includes('4 -> 3'))).toEqual([]);
  });

  it('a stray container with the fleet labels and no deployment in the store is removed by the orphan sweep', async () => {
    const ghost = await docker.createContainer({
      name: `sf.${FLEET}.ghost.local.r0.0`,
      Image: 'skyfleet-test/web:1',
      Labels: {
        ...run.labels,
        'skyfleet.dev/managed-by': 'skyfleet',
        'skyfleet.dev/fleet': FLEET,
        'skyfleet.dev/deployment': 'ghost',
        'skyfleet.dev/revision': 'r0',
        'skyfleet.dev/target': 'local',
        'skyfleet.dev/domain': 'local',
        'skyfleet.dev/ordinal': '0',
      },
    });
    const t0 = Date.now();
    await ghost.start();
    await eventually(
      async () => (await docker.listContainers({ all: true, filters: { id: [ghost.id] } })).length === 0,
      { message: 'the orphan removed', timeoutMs: DEADLINE_MS, intervalMs: 100 },
    );
    timings.orphan = Date.now() - t0;
    expect((await events('OrphanRemoved')).some((m) => m.includes('r0'))).toBe(true);
    // the deployment itself is untouched
    expect((await converged('web untouched')).length).toBe(REPLICAS);
  });

  it('an unhealthy replica is replaced one probe period after Docker marks it unhealthy', async () => {
    const victim = await aHealthyReplica();
    const t0 = Date.now();
    // the probe GETs /version: without it httpd answers 404 and the health check fails
    const ex = await docker.getContainer(victim.Id).exec({ Cmd: ['/bin/busybox', 'rm', '/www/version'] });
    await ex.start({ Detach: true });
    let unhealthyAt: number | undefined;
    await eventually(
      async () => {
        const c = (await mine()).find((x) => x.Id === victim.Id);
        if (c?.Status.includes('(unhealthy)')) unhealthyAt = Date.now();
        return unhealthyAt !== undefined || c === undefined;
      },
      { message: 'the replica unhealthy', timeoutMs: DEADLINE_MS, intervalMs: 100 },
    );
    await converged('the unhealthy replica replaced', (l) => l.every((c) => c.Id !== victim.Id));
    timings.unhealthy = Date.now() - t0;
    if (unhealthyAt) timings.unhealthyToReplaced = Date.now() - unhealthyAt;
    // probe period 1 s x failure threshold 2: Docker marks it unhealthy after 2 failed checks
    // (~2 s); the controller confirms it for one more period, then replaces it, and the new
    // replica needs one period for its first health check
    expect(timings.unhealthy).toBeLessThan(10_000);
    if (timings.unhealthyToReplaced !== undefined) expect(timings.unhealthyToReplaced).toBeLessThan(6_000);
    expect((await events('ReplicasRepaired')).some((m) => m.includes('unhealthy for'))).toBe(true);
  });

  it('after all of it: exactly 3 containers, all healthy, none stopped or stray', async () => {
    const list = await mine();
    expect(list).toHaveLength(REPLICAS);
    expect(list.every(isHealthy)).toBe(true);
    expect((await fleetContainers(docker, FLEET)).length).toBe(REPLICAS);
    expect(passes.filter((p) => p.result === 'terminal')).toEqual([]);
  });
});

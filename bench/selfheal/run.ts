// bench/selfheal: seconds from `docker kill` of one of 10 replicas to a ready replacement (10
// ready again), with the skyfleet controller, beside Docker Swarm on the same engine, the same
// image and health check, in the same run: Swarm with its default restart delay (5 s) and with
// `--restart-delay 0s`. Ready means what each side routes by: Docker's health for Swarm,
// skyfleet's own report (`status`) for skyfleet. Gates: skyfleet <= 0.5x Swarm default and
// <= 0.8x Swarm with a 0 s delay. Medians of ROUNDS (default 5). skyfleet and Swarm (0 s) run side by side and their rounds
// alternate, so load that changes during the run (2 cores, shared) hits both alike; Swarm with its
// default delay runs afterwards beside the same skyfleet deployment. Exits non-zero on a miss.
// Run: npx tsc -p tsconfig.build.json && node dist/bench/selfheal/run.js
import type Docker from 'dockerode';
import { BENCH_LABEL, BENCH_RUN, buildHelloImage, dockerClient, median, removeLabelled } from '../lib/docker-bench.js';
import { finish, fmt, gate } from '../lib/gate.js';
import { benchFleet, HEALTH_CMD, readyIds, webDeployment } from '../lib/skyfleet-web.js';
import {
  createService,
  ensureSwarm,
  type HealSubject,
  healthyWith,
  killAndTimeRecovery,
  removeService,
  settle,
} from '../lib/swarm.js';

const N = Number(process.env.REPLICAS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** A seeded choice of the victim, so runs kill the same ordinals. */
let seed = 7;
const pick = <T>(list: T[]): T => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return list[seed % list.length]!;
};

interface Subject extends HealSubject {
  name: string;
  times: number[];
}

/** Starts the skyfleet deployment (10 replicas) and its controller; returns how to stop both. */
async function startSkyfleet(image: string): Promise<{ subject: Subject; stop: () => Promise<void> }> {
  const docker = await dockerClient();
  const fleet = benchFleet('heal');
  const fleetName = `${BENCH_RUN}-heal`;
  const ac = new AbortController();
  let running: Promise<void> | undefined;
  const stop = async () => {
    ac.abort();
    await running?.catch(() => undefined);
    await fleet.delete('web').catch(() => undefined);
    await fleet.close();
    await removeLabelled(docker, `skyfleet.dev/fleet=${fleetName}`);
  };
  try {
    await fleet.apply(webDeployment(image, N), { timeoutMs: 300_000 });
    running = fleet.run({ signal: ac.signal, leaseTtlMs: 15_000 });
    running.catch((e: unknown) => console.error(`controller: ${(e as Error).message}`));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    subject: {
      name: 'skyfleet',
      labels: [`skyfleet.dev/fleet=${fleetName}`, 'skyfleet.dev/deployment=web'],
      ready: () => readyIds(fleet),
      pollMs: 150,
      times: [],
    },
    stop,
  };
}

function swarmSubject(docker: Docker, name: string): Subject {
  const labels = [BENCH_LABEL, `com.docker.swarm.service.name=${name}`];
  return {
    name,
    labels,
    ready: async () => (await healthyWith(docker, labels)).map((c) => c.Id),
    pollMs: 50,
    times: [],
  };
}

/** Starts a Swarm service of the same image, limits and health check. */
async function startSwarm(
  docker: Docker,
  image: string,
  restartDelay: string | undefined,
): Promise<{ subject: Subject; stop: () => Promise<void> }> {
  const name = `${BENCH_RUN}-swarm-${restartDelay === undefined ? 'default' : 'nodelay'}`;
  const stop = () => removeService(name);
  try {
    await createService({
      name,
      image,
      replicas: N,
      labels: [BENCH_LABEL],
      healthCmd: HEALTH_CMD,
      healthInterval: '1s',
      healthRetries: 3,
      ...(restartDelay !== undefined ? { restartDelay } : {}),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { subject: swarmSubject(docker, name), stop };
}

/**
 * Rounds interleaved over the subjects (a, b, a, b, ...), all of them running side by side, so
 * a change of load on the machine during the run hits every subject alike. Before each kill,
 * every subject is settled (N healthy, nothing else running).
 */
async function rounds(subjects: Subject[]): Promise<void> {
  const docker = await dockerClient();
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of subjects) {
      for (const x of subjects) await settle(docker, x, N);
      s.times.push(await killAndTimeRecovery(docker, s, N, pick));
      console.log(`round ${round + 1}: ${s.name} ${s.times.at(-1)!.toFixed(2)} s`);
    }
  }
}

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage();
  const swarm = await ensureSwarm();
  const stops: Array<() => Promise<void>> = [];
  let sky: Subject | undefined;
  let swarmDefault: Subject | undefined;
  let swarmNoDelay: Subject | undefined;
  try {
    // skyfleet and Swarm --restart-delay 0s side by side, rounds interleaved
    const a = await startSkyfleet(image);
    stops.push(a.stop);
    const b = await startSwarm(docker, image, '0s');
    stops.push(b.stop);
    sky = a.subject;
    swarmNoDelay = b.subject;
    await rounds([sky, swarmNoDelay]);
    await b.stop();
    stops.pop();
    // Swarm with its default restart delay (5 s), beside the same skyfleet deployment
    const c = await startSwarm(docker, image, undefined);
    stops.push(c.stop);
    swarmDefault = c.subject;
    await rounds([swarmDefault]);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
    if (swarm.initialised) await swarm.leave();
  }
  const s = median(sky.times);
  const d = median(swarmDefault.times);
  const z = median(swarmNoDelay.times);
  console.log(`skyfleet controller:               median ${s.toFixed(2)} s (rounds: ${fmt(sky.times)})`);
  console.log(`swarm --restart-delay 0s:          median ${z.toFixed(2)} s (rounds: ${fmt(swarmNoDelay.times)})`);
  console.log(`swarm (default 5 s restart delay): median ${d.toFixed(2)} s (rounds: ${fmt(swarmDefault.times)})`);
  finish([
    gate(`self-heal (kill 1 of ${N} -> ${N} ready) skyfleet / swarm default`, s / d, 0.5),
    gate(`self-heal (kill 1 of ${N} -> ${N} ready) skyfleet / swarm --restart-delay 0s`, s / z, 0.8),
  ]);
}

await main();

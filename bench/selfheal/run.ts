// bench/selfheal: seconds from `docker kill` of one of 10 replicas to a ready replacement (10
// healthy again), with the skyfleet controller, beside Docker Swarm on the same engine, the same
// image and health check, in the same run: Swarm with its default restart delay (5 s) and with
// `--restart-delay 0s`. Target: skyfleet <= 0.5x Swarm default, and faster than Swarm with a 0 s
// delay. Medians of ROUNDS (default 5). Exits non-zero on a miss.
// Run: npx tsc -p tsconfig.build.json && node dist/bench/selfheal/run.js
import { createFleet } from '../../src/fleet.js';
import { BENCH_LABEL, BENCH_RUN, buildHelloImage, dockerClient, median, removeLabelled } from '../lib/docker-bench.js';
import { createService, ensureSwarm, killAndTimeRecovery, removeService, settle } from '../lib/swarm.js';

const N = Number(process.env.REPLICAS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const HEALTH_CMD = 'wget -q --spider http://127.0.0.1:8080/';

/** A seeded choice of the victim, so runs kill the same ordinals. */
let seed = 7;
const pick = <T>(list: T[]): T => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return list[seed % list.length]!;
};

async function skyfleetRounds(image: string): Promise<number[]> {
  const docker = await dockerClient();
  const fleetName = `${BENCH_RUN}-heal`;
  const fleet = createFleet({ name: fleetName, targets: [{ name: 'local', kind: 'docker' }], store: ':memory:' });
  const ac = new AbortController();
  const labels = [`skyfleet.dev/fleet=${fleetName}`, 'skyfleet.dev/deployment=web'];
  let running: Promise<void> | undefined;
  try {
    await fleet.apply(
      {
        apiVersion: 'skyfleet.dev/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { 'skyfleet.bench/run': BENCH_RUN } },
        spec: {
          replicas: N,
          template: {
            containers: [
              {
                name: 'web',
                image,
                ports: [{ containerPort: 8080 }],
                resources: { cpu: '0.25', memory: '64Mi' },
                readinessProbe: {
                  httpGet: { path: '/', port: 8080 },
                  periodSeconds: 1,
                  timeoutSeconds: 1,
                  failureThreshold: 3,
                },
              },
            ],
          },
        },
      },
      { timeoutMs: 300_000 },
    );
    running = fleet.run({ signal: ac.signal, leaseTtlMs: 15_000 });
    running.catch((e: unknown) => console.error(`controller: ${(e as Error).message}`));
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await settle(docker, labels, N);
      times.push(await killAndTimeRecovery(docker, labels, N, pick));
    }
    return times;
  } finally {
    ac.abort();
    await running?.catch(() => undefined);
    await fleet.delete('web').catch(() => undefined);
    await fleet.close();
    await removeLabelled(docker, `skyfleet.dev/fleet=${fleetName}`);
  }
}

async function swarmRounds(image: string, restartDelay: string | undefined): Promise<number[]> {
  const docker = await dockerClient();
  const name = `${BENCH_RUN}-swarm-${restartDelay === undefined ? 'default' : 'nodelay'}`;
  const labels = [BENCH_LABEL, `com.docker.swarm.service.name=${name}`];
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
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await settle(docker, labels, N);
      times.push(await killAndTimeRecovery(docker, labels, N, pick));
    }
    return times;
  } finally {
    await removeService(name);
  }
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage();
  const swarm = await ensureSwarm();
  let sky: number[] = [];
  let swarmDefault: number[] = [];
  let swarmNoDelay: number[] = [];
  try {
    sky = await skyfleetRounds(image);
    console.log(`skyfleet controller: median ${median(sky).toFixed(2)} s (rounds: ${fmt(sky)})`);
    swarmDefault = await swarmRounds(image, undefined);
    console.log(
      `swarm (default 5 s restart delay): median ${median(swarmDefault).toFixed(2)} s (rounds: ${fmt(swarmDefault)})`,
    );
    swarmNoDelay = await swarmRounds(image, '0s');
    console.log(
      `swarm (--restart-delay 0s): median ${median(swarmNoDelay).toFixed(2)} s (rounds: ${fmt(swarmNoDelay)})`,
    );
  } finally {
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
    if (swarm.initialised) await swarm.leave();
  }
  const s = median(sky);
  const rDefault = s / median(swarmDefault);
  const rNoDelay = s / median(swarmNoDelay);
  const okDefault = rDefault <= 0.5;
  const okNoDelay = rNoDelay < 1;
  console.log(
    `self-heal (kill 1 of ${N} -> ${N} healthy): skyfleet/swarm-default ${rDefault.toFixed(2)} (target <= 0.50) ${okDefault ? 'PASS' : 'FAIL'}; ` +
      `skyfleet/swarm-no-delay ${rNoDelay.toFixed(2)} (target < 1.00) ${okNoDelay ? 'PASS' : 'FAIL'}`,
  );
  process.exitCode = okDefault && okNoDelay ? 0 : 1;
}

await main();

// bench/converge: seconds from "make N replicas" to N ready, on Docker, three ways in the same
// run with the same image, limits and health check (HTTP GET / every 1 s): skyfleet's apply;
// Docker Swarm (`docker service create --replicas N`, which returns once the service has
// converged: Swarm marks a task running only once it is healthy); and a `docker run` loop, 4 at
// a time, then polling Docker's health. Rounds alternate the order of the three.
// Gates: skyfleet <= 0.9 x Swarm at N=10, and <= 1.0 x the faster of Swarm and the loop at N=30.
// Run: npm run bench:converge   (SIZES=10,30 ROUNDS=3)
import type Docker from 'dockerode';
import {
  BENCH_LABEL,
  BENCH_RUN,
  buildHelloImage,
  dockerClient,
  exec,
  median,
  removeLabelled,
  waitHealthy,
} from '../lib/docker-bench.js';
import { finish, fmt, type Gate, gate } from '../lib/gate.js';
import { benchFleet, HEALTH_CMD, webDeployment } from '../lib/skyfleet-web.js';
import { createService, ensureSwarm, removeServiceAndWait } from '../lib/swarm.js';

const SIZES = (process.env.SIZES ?? '10,30').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function dockerRunLoop(image: string, n: number, label: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      // biome-ignore format: one flag per line reads better as pairs
      await exec('docker', [
        'run', '-d', '--name', `${BENCH_RUN}-base-${i}`, '--label', label, '--label', BENCH_LABEL,
        '-p', '127.0.0.1::8080', '--cpus', '0.25', '--memory', '64m', '--restart', 'unless-stopped',
        '--health-cmd', HEALTH_CMD, '--health-interval', '1s', '--health-timeout', '1s', '--health-retries', '3',
        image,
      ]);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

type Way = 'skyfleet' | 'swarm' | 'docker run x4';

/** One measurement of one way; everything it made is removed before it returns (untimed). */
async function measure(way: Way, docker: Docker, image: string, n: number, round: number): Promise<number> {
  const tag = `${n}-${round}`;
  if (way === 'skyfleet') {
    const fleet = benchFleet(`conv-${tag}`);
    try {
      const t0 = performance.now();
      await fleet.apply(webDeployment(image, n), { timeoutMs: 300_000 });
      return (performance.now() - t0) / 1000;
    } finally {
      await fleet.delete('web').catch(() => undefined);
      await fleet.close();
    }
  }
  if (way === 'swarm') {
    const name = `${BENCH_RUN}-conv-${tag}`;
    try {
      const t0 = performance.now();
      await createService({
        name,
        image,
        replicas: n,
        labels: [BENCH_LABEL],
        healthCmd: HEALTH_CMD,
        healthInterval: '1s',
        healthRetries: 3,
      });
      return (performance.now() - t0) / 1000;
    } finally {
      await removeServiceAndWait(docker, name);
    }
  }
  const label = `skyfleet.bench/base=${BENCH_RUN}-${tag}`;
  try {
    const t0 = performance.now();
    await dockerRunLoop(image, n, label);
    await waitHealthy(docker, label, n);
    return (performance.now() - t0) / 1000;
  } finally {
    await removeLabelled(docker, label);
  }
}

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage();
  const swarm = await ensureSwarm();
  const gates: Gate[] = [];
  try {
    const ways: Way[] = ['skyfleet', 'swarm', 'docker run x4'];
    for (const n of SIZES) {
      const times = new Map<Way, number[]>(ways.map((w) => [w, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // rotate the order, so a drift in load does not always favour the same way
        const order = ways.map((_, i) => ways[(i + round) % ways.length]!);
        for (const w of order) times.get(w)!.push(await measure(w, docker, image, n, round));
      }
      const m = (w: Way) => median(times.get(w)!);
      for (const w of ways)
        console.log(`N=${n} ${w.padEnd(14)} median ${m(w).toFixed(2)} s (rounds: ${fmt(times.get(w)!)})`);
      if (n === 10) gates.push(gate(`N=10 skyfleet / swarm`, m('skyfleet') / m('swarm'), 0.9));
      if (n === 30) {
        const best = Math.min(m('swarm'), m('docker run x4'));
        gates.push(gate(`N=30 skyfleet / the faster of swarm and docker run x4`, m('skyfleet') / best, 1.0));
      }
    }
  } finally {
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
    if (swarm.initialised) await swarm.leave();
  }
  finish(gates);
}

await main();

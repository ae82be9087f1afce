// bench/rollout: seconds until all 10 replicas run a new image and are ready, 2 at a time:
// skyfleet (RollingUpdate maxSurge 2, maxUnavailable 0; apply returns once the rollout is
// complete) beside Docker Swarm (`docker service update --image --update-parallelism 2
// --update-delay 0s`, which returns once Swarm reports the update complete), both running side
// by side on the same engine with the same image, limits and health check; rounds alternate
// the image (1 -> 2 -> 1 ...) and which side goes first. Gate: skyfleet <= 0.5 x Swarm.
// Run: npm run bench:rollout   (ROUNDS=4 REPLICAS=10)
import { BENCH_LABEL, BENCH_RUN, buildHelloImage, dockerClient, median, removeLabelled } from '../lib/docker-bench.js';
import { finish, fmt, gate } from '../lib/gate.js';
import { startSideBySide, timed } from '../lib/side-by-side.js';
import { webDeployment } from '../lib/skyfleet-web.js';
import { ensureSwarm, updateImage } from '../lib/swarm.js';

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const N = Number(process.env.REPLICAS ?? 10);

async function main(): Promise<void> {
  const docker = await dockerClient();
  const images = [await buildHelloImage('1'), await buildHelloImage('2')];
  const swarm = await ensureSwarm();
  const sky: number[] = [];
  const swm: number[] = [];
  let both: Awaited<ReturnType<typeof startSideBySide>> | undefined;
  try {
    both = await startSideBySide(docker, images[0]!, N, 'roll');
    const { fleet, service } = both;
    for (let round = 0; round < ROUNDS; round++) {
      const image = images[(round + 1) % 2]!;
      const skyStep = async () =>
        sky.push(
          await timed(() =>
            fleet.apply(webDeployment(image, N, { maxSurge: 2, maxUnavailable: 0 }), { timeoutMs: 300_000 }),
          ),
        );
      const swarmStep = async () => swm.push(await timed(() => updateImage(service, image, 2)));
      for (const step of round % 2 === 0 ? [skyStep, swarmStep] : [swarmStep, skyStep]) await step();
      console.log(
        `round ${round + 1} (-> ${image}): skyfleet ${sky.at(-1)!.toFixed(2)} s, swarm ${swm.at(-1)!.toFixed(2)} s`,
      );
    }
  } finally {
    await both?.stop();
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
    if (swarm.initialised) await swarm.leave();
  }
  console.log(`skyfleet rolling update of ${N}, 2 at a time: median ${median(sky).toFixed(2)} s (rounds: ${fmt(sky)})`);
  console.log(`swarm    rolling update of ${N}, 2 at a time: median ${median(swm).toFixed(2)} s (rounds: ${fmt(swm)})`);
  finish([gate('rolling update skyfleet / swarm', median(sky) / median(swm), 0.5)]);
}

await main();

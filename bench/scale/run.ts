// bench/scale: seconds to scale 10 -> 30 ready replicas and back to 10, skyfleet (`scale`, which
// returns once the count is reached and every replica is ready) beside Docker Swarm (`docker
// service scale`, which returns once the service has converged), both running side by side on
// the same engine with the same image, limits and health check; rounds alternate which side
// goes first. Gates: skyfleet <= 0.8 x Swarm each way.
// Run: npm run bench:scale   (ROUNDS=3 FROM=10 TO=30)
import { BENCH_LABEL, BENCH_RUN, buildHelloImage, dockerClient, median, removeLabelled } from '../lib/docker-bench.js';
import { finish, fmt, gate } from '../lib/gate.js';
import { startSideBySide, timed } from '../lib/side-by-side.js';
import { ensureSwarm, scaleService } from '../lib/swarm.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const FROM = Number(process.env.FROM ?? 10);
const TO = Number(process.env.TO ?? 30);

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage('1');
  const swarm = await ensureSwarm();
  const t = { skyUp: [] as number[], skyDown: [] as number[], swarmUp: [] as number[], swarmDown: [] as number[] };
  let both: Awaited<ReturnType<typeof startSideBySide>> | undefined;
  try {
    both = await startSideBySide(docker, image, FROM, 'scale');
    const { fleet, service } = both;
    for (let round = 0; round < ROUNDS; round++) {
      const skyFirst = round % 2 === 0;
      for (const [to, sky, swm] of [
        [TO, t.skyUp, t.swarmUp],
        [FROM, t.skyDown, t.swarmDown],
      ] as const) {
        const skyStep = async () => sky.push(await timed(() => fleet.scale('web', to, { timeoutMs: 300_000 })));
        const swarmStep = async () => swm.push(await timed(() => scaleService(service, to)));
        for (const step of skyFirst ? [skyStep, swarmStep] : [swarmStep, skyStep]) await step();
      }
      console.log(
        `round ${round + 1}: up skyfleet ${t.skyUp.at(-1)!.toFixed(2)} s, swarm ${t.swarmUp.at(-1)!.toFixed(2)} s; ` +
          `down skyfleet ${t.skyDown.at(-1)!.toFixed(2)} s, swarm ${t.swarmDown.at(-1)!.toFixed(2)} s`,
      );
    }
  } finally {
    await both?.stop();
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
    if (swarm.initialised) await swarm.leave();
  }
  console.log(
    `${FROM} -> ${TO}: skyfleet median ${median(t.skyUp).toFixed(2)} s (${fmt(t.skyUp)}), swarm ${median(t.swarmUp).toFixed(2)} s (${fmt(t.swarmUp)})`,
  );
  console.log(
    `${TO} -> ${FROM}: skyfleet median ${median(t.skyDown).toFixed(2)} s (${fmt(t.skyDown)}), swarm ${median(t.swarmDown).toFixed(2)} s (${fmt(t.swarmDown)})`,
  );
  finish([
    gate(`scale ${FROM} -> ${TO} skyfleet / swarm`, median(t.skyUp) / median(t.swarmUp), 0.8),
    gate(`scale ${TO} -> ${FROM} skyfleet / swarm`, median(t.skyDown) / median(t.swarmDown), 0.8),
  ]);
}

await main();

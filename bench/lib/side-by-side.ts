import type Docker from 'dockerode';
import type { Fleet } from '../../src/index.js';
import { BENCH_LABEL, BENCH_RUN } from './docker-bench.js';
import { benchFleet, HEALTH_CMD, webDeployment } from './skyfleet-web.js';
import { createService, removeServiceAndWait } from './swarm.js';

/** A skyfleet deployment and a Swarm service of the same image, limits and health check, both running. */
export interface SideBySide {
  fleet: Fleet;
  service: string;
  stop: () => Promise<void>;
}

/** Starts both with `replicas` replicas (skyfleet rolling 2 at a time: maxSurge 2, maxUnavailable 0). */
export async function startSideBySide(
  docker: Docker,
  image: string,
  replicas: number,
  suffix: string,
): Promise<SideBySide> {
  const fleet = benchFleet(suffix);
  const service = `${BENCH_RUN}-${suffix}`;
  const stop = async () => {
    await fleet.delete('web').catch(() => undefined);
    await fleet.close();
    await removeServiceAndWait(docker, service).catch(() => undefined);
  };
  try {
    await fleet.apply(webDeployment(image, replicas, { maxSurge: 2, maxUnavailable: 0 }), { timeoutMs: 300_000 });
    await createService({
      name: service,
      image,
      replicas,
      labels: [BENCH_LABEL],
      healthCmd: HEALTH_CMD,
      healthInterval: '1s',
      healthRetries: 3,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { fleet, service, stop };
}

/** Times one async step in seconds. */
export async function timed(step: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await step();
  return (performance.now() - t0) / 1000;
}

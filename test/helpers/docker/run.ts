import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';

/** Every container a test makes carries this label with its run id, so cleanup can find it. */
export const RUN_LABEL = 'skyfleet.test/run';

export interface TestRun {
  /** A short unique id for this run (8 hex digits). */
  id: string;
  /** `skyfleet.test/run=<id>`, for label filters. */
  filter: string;
  /** `{ 'skyfleet.test/run': id }`, to pass as DesiredSlice.labels. */
  labels: Record<string, string>;
  /** A fleet name unique to this run, e.g. `t-3f2a9c01-web` (a valid skyfleet name). */
  fleet(suffix?: string): string;
}

export function newTestRun(): TestRun {
  const id = randomUUID().replace(/-/g, '').slice(0, 8);
  return {
    id,
    filter: `${RUN_LABEL}=${id}`,
    labels: { [RUN_LABEL]: id },
    fleet: (suffix = 'f') => `t${id}-${suffix}`,
  };
}

/** The Docker client tests use (the engine at /var/run/docker.sock unless DOCKER_SOCKET says otherwise). */
export async function testDocker(): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  return new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
}

/** Containers (all states) carrying the label filters given. */
export async function containersWith(docker: Docker, ...labels: string[]): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: labels } });
}

/** Removes (force) every container labelled with this run; never throws. Returns how many it removed. */
export async function cleanupRun(docker: Docker, run: TestRun): Promise<number> {
  let n = 0;
  try {
    const list = await containersWith(docker, run.filter);
    await Promise.all(
      list.map(async (c) => {
        try {
          await docker.getContainer(c.Id).remove({ force: true, v: true });
          n++;
        } catch {
          // gone already
        }
      }),
    );
  } catch {
    // the engine may be down: nothing to clean then
  }
  return n;
}

/** How tests poll Docker's state (with `eventually`): every 200 ms, up to 30 s. */
export const DOCKER_POLL = { timeoutMs: 30_000, intervalMs: 200 };

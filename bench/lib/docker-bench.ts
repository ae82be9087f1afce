import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

export const exec = promisify(execFile);

export async function dockerClient(): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  return new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
}

/** A label value unique to this benchmark run; everything it makes carries it. */
export const BENCH_RUN = `b${randomUUID().replace(/-/g, '').slice(0, 8)}`;
export const BENCH_LABEL = `skyfleet.bench/run=${BENCH_RUN}`;

/** Builds hello/web:VERSION (busybox FROM scratch) with the example's script. */
export async function buildHelloImage(version = '1'): Promise<string> {
  await exec('bash', ['examples/hello/image/build.sh', version]);
  return `hello/web:${version}`;
}

/** Polls until `n` containers with the label are healthy; returns when they are. */
export async function waitHealthy(docker: Docker, label: string, n: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await docker.listContainers({ filters: { label: [label], health: ['healthy'] } });
    if (list.length >= n) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${n} healthy containers (${list.length} healthy)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function removeLabelled(docker: Docker, label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

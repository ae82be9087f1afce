import type Docker from 'dockerode';
import { exec } from './docker-bench.js';

/** Swarm on this engine: initialises a single-node swarm if there is none; `leave` undoes only that. */
export async function ensureSwarm(): Promise<{ initialised: boolean; leave: () => Promise<void> }> {
  const { stdout } = await exec('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}']);
  if (stdout.trim() === 'active') return { initialised: false, leave: async () => undefined };
  await exec('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  return {
    initialised: true,
    leave: async () => {
      await exec('docker', ['swarm', 'leave', '--force']).catch(() => undefined);
    },
  };
}

export interface SwarmServiceOptions {
  name: string;
  image: string;
  replicas: number;
  /** Labels for the service and its containers (`key=value`). */
  labels: string[];
  /** `--restart-delay` (Swarm's default is 5s when not given). */
  restartDelay?: string;
  healthCmd: string;
  healthInterval: string;
  healthRetries: number;
}

/**
 * Creates a service with no published ports (the kernel here has no IPVS, so no routing mesh)
 * and waits until it has converged (`docker service create` without --detach waits for that).
 */
export async function createService(o: SwarmServiceOptions): Promise<void> {
  const args = ['service', 'create', '--quiet', '--name', o.name, '--replicas', String(o.replicas)];
  for (const l of o.labels) args.push('--label', l, '--container-label', l);
  if (o.restartDelay !== undefined) args.push('--restart-delay', o.restartDelay);
  args.push(
    '--health-cmd',
    o.healthCmd,
    '--health-interval',
    o.healthInterval,
    '--health-timeout',
    '1s',
    '--health-retries',
    String(o.healthRetries),
    '--limit-cpu',
    '0.25',
    '--limit-memory',
    '64m',
    '--no-resolve-image',
    o.image,
  );
  await exec('docker', args, { timeout: 300_000 });
}

export async function removeService(name: string): Promise<void> {
  await exec('docker', ['service', 'rm', name]).catch(() => undefined);
}

/** Running, healthy containers with all these labels. */
export async function healthyWith(docker: Docker, labels: string[]): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ filters: { label: labels, health: ['healthy'], status: ['running'] } });
}

/**
 * One self-heal measurement: `docker kill` one healthy container with these labels, then polls
 * (every 50 ms) until `n` healthy running containers carry them again, none of them the killed
 * one (or the killed one running again, restarted in place). Returns seconds.
 */
export async function killAndTimeRecovery(
  docker: Docker,
  labels: string[],
  n: number,
  pick: (list: Docker.ContainerInfo[]) => Docker.ContainerInfo,
  timeoutMs = 120_000,
): Promise<number> {
  const before = await healthyWith(docker, labels);
  if (before.length < n) throw new Error(`expected ${n} healthy containers before the kill, got ${before.length}`);
  const victim = pick(before);
  const t0 = performance.now();
  await docker.getContainer(victim.Id).kill();
  const deadline = Date.now() + timeoutMs;
  // the victim is dead once kill returns; wait until n are healthy again
  for (;;) {
    const list = await healthyWith(docker, labels);
    if (list.length >= n) return (performance.now() - t0) / 1000;
    if (Date.now() > deadline) throw new Error(`no recovery within ${timeoutMs} ms (${list.length}/${n} healthy)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until exactly `n` healthy running containers carry the labels and nothing else of theirs is running. */
export async function settle(docker: Docker, labels: string[], n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const healthy = await healthyWith(docker, labels);
    const running = await docker.listContainers({ filters: { label: labels, status: ['running'] } });
    if (healthy.length === n && running.length === n) return;
    if (Date.now() > deadline)
      throw new Error(`not settled within ${timeoutMs} ms: ${healthy.length} healthy, ${running.length} running`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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

/** What a self-heal measurement needs of one side: its containers, and which of them are ready. */
export interface HealSubject {
  name: string;
  /** Labels all its containers carry. */
  labels: string[];
  /** Ids of its ready replicas (Docker's health for Swarm; skyfleet's own report for skyfleet). */
  ready: () => Promise<string[]>;
  /**
   * Time between two looks: a Docker list is cheap (50 ms); skyfleet's report inspects every
   * replica, and looking at it continuously would load the engine both sides share.
   */
  pollMs: number;
}

/**
 * One self-heal measurement: `docker kill` one ready replica, wait until the victim is no longer
 * reported ready (so a stale report right after the kill cannot count), then until `n` replicas
 * are ready again (a replacement, or the victim restarted in place). Polls every 50 ms; seconds
 * from the kill.
 */
export async function killAndTimeRecovery(
  docker: Docker,
  subject: HealSubject,
  n: number,
  pick: (ids: string[]) => string,
  timeoutMs = 120_000,
): Promise<number> {
  const before = await subject.ready();
  if (before.length < n)
    throw new Error(`${subject.name}: expected ${n} ready replicas before the kill, got ${before.length}`);
  const victim = pick(before);
  const t0 = performance.now();
  await docker.getContainer(victim).kill();
  const deadline = Date.now() + timeoutMs;
  let victimDown = false;
  for (;;) {
    const ready = await subject.ready();
    if (!ready.includes(victim)) victimDown = true;
    if (victimDown && ready.length >= n) return (performance.now() - t0) / 1000;
    if (Date.now() > deadline)
      throw new Error(`${subject.name}: no recovery within ${timeoutMs} ms (${ready.length}/${n} ready)`);
    await new Promise((r) => setTimeout(r, subject.pollMs));
  }
}

/** Waits until exactly `n` replicas are ready and nothing else of the subject's is running. */
export async function settle(docker: Docker, subject: HealSubject, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await subject.ready();
    const running = await docker.listContainers({ filters: { label: subject.labels, status: ['running'] } });
    if (ready.length === n && running.length === n) return;
    if (Date.now() > deadline)
      throw new Error(
        `${subject.name}: not settled within ${timeoutMs} ms: ${ready.length} ready, ${running.length} running`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A rolling update of the service's image, `parallelism` tasks at a time with no delay between
 * batches; returns once Swarm reports the update complete (`service update` without --detach).
 */
export async function updateImage(name: string, image: string, parallelism: number): Promise<void> {
  await exec(
    'docker',
    [
      'service',
      'update',
      '--quiet',
      '--image',
      image,
      '--no-resolve-image',
      '--update-parallelism',
      String(parallelism),
      '--update-delay',
      '0s',
      name,
    ],
    { timeout: 300_000 },
  );
}

/** `docker service scale NAME=N`, which returns once the service has converged. */
export async function scaleService(name: string, replicas: number): Promise<void> {
  await exec('docker', ['service', 'scale', `${name}=${replicas}`], { timeout: 300_000 });
}

/** Removes the service and waits until none of its containers is left (they load the machine). */
export async function removeServiceAndWait(docker: Docker, name: string, timeoutMs = 120_000): Promise<void> {
  await removeService(name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.swarm.service.name=${name}`] },
    });
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`service ${name}: ${left.length} containers left after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

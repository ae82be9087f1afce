// bench/autoscale: skyfleet's autoscaler on Docker, through its own listener on 127.0.0.1.
// 1. Reaction: a load step from 1 to 16 closed-loop clients (concurrency target 4 per replica):
//    seconds from the step to the first added replica ready (in rotation) and to the final count.
//    Goal: first added replica <= 3 s (HPA's sync period alone is 15 s).
// 2. Activation from zero: first-byte latency of a request to a deployment scaled to zero, over
//    ACTIVATIONS rounds, p50 and p99, beside the physical floor measured in the same run and
//    alternating with it: `docker start` of a created container of the same image until its port
//    answers. Goal: p99 <= 1.5 x the floor's p99, and <= 1 s.
// 3. Stability: clients oscillating 14 <-> 18 (+-12.5% around the 16 that 4 replicas serve at
//    target) every 10 s for STABILITY_S seconds: at most 2 changes of direction.
// Run: npm run bench:autoscale   (ACTIVATIONS=30 STABILITY_S=300)
import http from 'node:http';
import type { Fleet } from '../../src/index.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { BENCH_RUN, buildHelloImage, dockerClient, removeLabelled } from '../lib/docker-bench.js';
import { finish, type Gate, gate } from '../lib/gate.js';
import { benchFleet } from '../lib/skyfleet-web.js';

const ACTIVATIONS = Number(process.env.ACTIVATIONS ?? 30);
const STABILITY_S = Number(process.env.STABILITY_S ?? 300);

function deployment(name: string, image: string, port: number, autoscaling: Record<string, unknown>): DeploymentInput {
  return {
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name, labels: { 'skyfleet.bench/run': BENCH_RUN } },
    spec: {
      replicas: 1,
      service: { port, targetPort: 8080 },
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
      autoscaling: autoscaling as NonNullable<DeploymentInput['spec']['autoscaling']>,
    },
  } as DeploymentInput;
}

/** Resolves with ms to the first byte of a GET (any status), or rejects. */
function firstByte(port: number, timeoutMs = 60_000): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.once('data', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0 }));
      res.resume();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** `n` closed-loop clients (each sends the next request when the last one is answered). */
function clients(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let want = 0;
  let live = 0;
  let failed = 0;
  const reasons = new Map<string, number>();
  const fail = (why: string) => {
    failed++;
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  };
  const one = async () => {
    live++;
    while (live <= want) {
      await new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}`);
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (want > 0) fail(e.code ?? e.message);
          resolve();
        });
        req.end();
      });
    }
    live--;
  };
  return {
    set(n: number) {
      want = n;
      while (live < want) void one();
    },
    get failed() {
      return failed;
    },
    /** Failures by kind: `HTTP 503`, `ECONNRESET`, ... */
    get reasons() {
      return [...reasons].map(([k, v]) => `${k} x${v}`).join(', ') || 'none';
    },
    stop() {
      want = 0;
      agent.destroy();
    },
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const replicas = async (fleet: Fleet, name: string) => (await fleet.get(name))!.spec.spec.replicas;
const until = async (what: string, fn: () => Promise<boolean>, timeoutMs = 180_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
/** Until the deployment's listener answers 200. */
const serving = (port: number) =>
  until('the listener serving', async () => (await firstByte(port, 2000).catch(() => ({ status: 0 }))).status === 200);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

async function reaction(fleet: Fleet, image: string, gates: Gate[]): Promise<void> {
  const port = await freePort();
  await fleet.apply(
    deployment('react', image, port, { minReplicas: 1, maxReplicas: 6, metrics: [{ type: 'concurrency', target: 4 }] }),
    { timeoutMs: 120_000 },
  );
  await serving(port);
  const load = clients(port);
  load.set(1);
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = performance.now();
  load.set(16);
  await until('a second ready replica', async () => (await fleet.status('react')).ready >= 2);
  const first = (performance.now() - t0) / 1000;
  await until('4 ready replicas', async () => (await fleet.status('react')).ready >= 4);
  const final = (performance.now() - t0) / 1000;
  load.stop();
  console.log(
    `reaction: first added replica ready ${first.toFixed(2)} s after the step, 4 ready after ${final.toFixed(2)} s (failed requests: ${load.failed}: ${load.reasons})`,
  );
  gates.push(gate('reaction: seconds to the first added replica (goal 3 s) / 3', first / 3, 1));
  await fleet.delete('react');
}

async function activation(fleet: Fleet, image: string, gates: Gate[]): Promise<void> {
  const docker = await dockerClient();
  const port = await freePort();
  await fleet.apply(
    deployment('zero', image, port, {
      minReplicas: 0,
      maxReplicas: 1,
      metrics: [{ type: 'concurrency', target: 10 }],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
      },
      scaleToZero: { idleSeconds: 1, activationTimeoutSeconds: 30 },
    }),
    { timeoutMs: 120_000 },
  );
  // the floor: a created container of the same image, started until its published port answers
  const floorPort = await freePort();
  const floor = await docker.createContainer({
    Image: image,
    Labels: { 'skyfleet.bench/run': BENCH_RUN },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(floorPort) }] },
      NanoCpus: 250_000_000,
    },
  });
  const sky: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < ACTIVATIONS; i++) {
    await until(
      'scaled to zero',
      async () =>
        (await replicas(fleet, 'zero')) === 0 && (await fleet.status('zero')).slices.every((s) => s.replicas === 0),
    );
    const r = await firstByte(port);
    if (r.status !== 200) throw new Error(`activation answered ${r.status}`);
    sky.push(r.ms);
    const t0 = performance.now();
    await floor.start();
    for (;;) {
      try {
        await firstByte(floorPort, 1000);
        break;
      } catch {
        await new Promise((x) => setTimeout(x, 10));
      }
    }
    bare.push(performance.now() - t0);
    await floor.stop({ t: 0 });
  }
  await floor.remove({ force: true });
  const p = (xs: number[], q: number) => quantile(xs, q).toFixed(0);
  console.log(`activation from zero (${ACTIVATIONS}): first byte p50 ${p(sky, 0.5)} ms, p99 ${p(sky, 0.99)} ms`);
  console.log(`floor, docker start until the port answers: p50 ${p(bare, 0.5)} ms, p99 ${p(bare, 0.99)} ms`);
  gates.push(gate('activation p99 / floor p99', quantile(sky, 0.99) / quantile(bare, 0.99), 1.5));
  gates.push(gate('activation p99 / 1 s', quantile(sky, 0.99) / 1000, 1));
  await fleet.delete('zero');
}

async function stability(fleet: Fleet, image: string, gates: Gate[]): Promise<void> {
  const port = await freePort();
  await fleet.apply(
    deployment('steady', image, port, {
      minReplicas: 1,
      maxReplicas: 8,
      metrics: [{ type: 'concurrency', target: 4 }],
    }),
    { timeoutMs: 120_000 },
  );
  await serving(port);
  const load = clients(port);
  load.set(16);
  await until('4 replicas', async () => (await replicas(fleet, 'steady')) >= 4);
  const since = Date.now();
  const end = since + STABILITY_S * 1000;
  for (let high = true; Date.now() < end; high = !high) {
    load.set(high ? 18 : 14);
    await new Promise((r) => setTimeout(r, 10_000));
  }
  load.stop();
  const events = (await fleet.events({ deployment: 'steady', limit: 1000 })).filter(
    (e) => e.time >= since && (e.reason === 'ScaledUp' || e.reason === 'ScaledDown'),
  );
  let changes = 0;
  for (let i = 1; i < events.length; i++) if (events[i]!.reason !== events[i - 1]!.reason) changes++;
  console.log(
    `stability: ${events.length} scale events in ${STABILITY_S} s, ${changes} changes of direction (${events.map((e) => e.message).join(' | ') || 'none'})`,
  );
  gates.push(gate('stability: changes of direction / 2', changes / 2, 1));
  await fleet.delete('steady');
}

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage();
  const fleet = benchFleet('auto');
  const ac = new AbortController();
  const running = fleet.run({ signal: ac.signal, leaseTtlMs: 15_000, progressRequeueMs: 100 });
  const gates: Gate[] = [];
  try {
    // listeners run in the controller: apply once it leads
    await until('the controller to lead', async () => (await fleet.events()).some((e) => e.reason === 'LeaderElected'));
    await reaction(fleet, image, gates);
    await activation(fleet, image, gates);
    if (STABILITY_S > 0) await stability(fleet, image, gates);
  } finally {
    ac.abort();
    await running.catch(() => undefined);
    await fleet.close();
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
  }
  finish(gates);
}

await main();

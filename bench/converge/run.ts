// bench/converge: seconds from apply to N ready replicas on Docker, beside a plain `docker run`
// loop of the same image and health check (4 at a time) on the same engine, in the same run.
// Target: ratio <= 1.1 at N=30. Run: npm run bench:converge  (ROUNDS=3 for more rounds)
import { createFleet } from '../../src/fleet.js';
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

const SIZES = (process.env.SIZES ?? '10,30').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const TARGET = 1.1;

async function dockerRunLoop(image: string, n: number, label: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await exec('docker', [
        'run',
        '-d',
        '--name',
        `${BENCH_RUN}-base-${i}`,
        '--label',
        label,
        '--label',
        BENCH_LABEL,
        '-p',
        '127.0.0.1::8080',
        '--cpus',
        '0.25',
        '--memory',
        '64m',
        '--restart',
        'unless-stopped',
        '--health-cmd',
        'wget -q --spider http://127.0.0.1:8080/',
        '--health-interval',
        '1s',
        '--health-timeout',
        '1s',
        '--health-retries',
        '3',
        image,
      ]);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

async function main(): Promise<void> {
  const docker = await dockerClient();
  const image = await buildHelloImage();
  const results: Array<{ n: number; skyfleet: number; baseline: number; ratio: number }> = [];
  try {
    for (const n of SIZES) {
      const sky: number[] = [];
      const base: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // baseline: docker run, 4 at a time, then wait until all are healthy
        const baseLabel = `skyfleet.bench/base=${BENCH_RUN}-${n}-${round}`;
        let t0 = performance.now();
        await dockerRunLoop(image, n, baseLabel);
        await waitHealthy(docker, baseLabel, n);
        base.push((performance.now() - t0) / 1000);
        await removeLabelled(docker, baseLabel);

        // skyfleet: one apply that waits until every replica is ready
        const fleetName = `${BENCH_RUN}-${n}-${round}`;
        const fleet = createFleet({ name: fleetName, targets: [{ name: 'local', kind: 'docker' }], store: ':memory:' });
        t0 = performance.now();
        await fleet.apply({
          apiVersion: 'skyfleet.dev/v1',
          kind: 'Deployment',
          metadata: { name: 'web', labels: { 'skyfleet.bench/run': BENCH_RUN } },
          spec: {
            replicas: n,
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
        });
        sky.push((performance.now() - t0) / 1000);
        await fleet.delete('web');
        await fleet.close();
      }
      const s = median(sky);
      const b = median(base);
      results.push({ n, skyfleet: s, baseline: b, ratio: s / b });
      console.log(
        `N=${n}: skyfleet ${s.toFixed(2)} s, docker run x4 ${b.toFixed(2)} s, ratio ${(s / b).toFixed(2)}  (rounds: skyfleet ${sky.map((x) => x.toFixed(2)).join(' ')}; docker run ${base.map((x) => x.toFixed(2)).join(' ')})`,
      );
    }
  } finally {
    await removeLabelled(docker, BENCH_LABEL);
    await removeLabelled(docker, `skyfleet.bench/run=${BENCH_RUN}`);
  }
  const last = results.find((r) => r.n === 30) ?? results.at(-1)!;
  const ok = last.ratio <= TARGET;
  console.log(`converge ratio at N=${last.n}: ${last.ratio.toFixed(2)} (target <= ${TARGET}) ${ok ? 'PASS' : 'FAIL'}`);
  process.exitCode = ok ? 0 : 1;
}

await main();

import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProvider, dockerTargetSettings } from '../../providers/docker/index.js';
import { cpuCores, workingSetBytes } from '../../providers/docker/usage.js';
import { UsageMetricSource } from '../../src/reconcile/autoscale/usage-metric-source.js';
import { podTemplate } from '../../src/spec/deployment.js';
import { parseDeployment } from '../../src/spec/load.js';
import { systemClock } from '../../src/util/clock.js';
import { cleanupRun, DOCKER_POLL, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';
import { storeWith } from '../helpers/store.js';

const run = newTestRun();
const FLEET = run.fleet('usage');
let docker: Docker;
let image: string;
let p: DockerProvider;

beforeAll(async () => {
  docker = await testDocker();
  image = await ensureWebImage(docker, '1');
  p = new DockerProvider(dockerTargetSettings.parse({ name: 'usage', kind: 'docker' }), { fleet: FLEET });
});

afterAll(async () => {
  await p.close();
  await cleanupRun(docker, run);
});

describe('resource use from Docker stats', () => {
  it('reads cores from the cpu deltas and the working set without page cache (as docker stats and the kubelet)', () => {
    const s = {
      cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 2_500_000_000 }, system_cpu_usage: 18_000_000_000 },
      memory_stats: { usage: 50 * 2 ** 20, stats: { inactive_file: 10 * 2 ** 20 } },
    };
    // 0.5 s of cpu over 2 s of system time on 2 cpus = half a core
    expect(cpuCores(s)).toBeCloseTo(0.5);
    expect(workingSetBytes(s)).toBe(40 * 2 ** 20);
    expect(cpuCores({ ...s, precpu_stats: {} })).toBeUndefined(); // no earlier sample: no reading
  });

  it('a busy replica reports about its cpu limit, and the usage source gives its utilization of the request', async () => {
    const deployment = parseDeployment({
      apiVersion: 'skyfleet.dev/v1',
      kind: 'Deployment',
      metadata: { name: 'busy' },
      spec: {
        replicas: 1,
        template: {
          containers: [
            {
              name: 'web',
              image,
              command: ['sh', '-c', 'trap "exit 0" TERM; while :; do :; done'],
              resources: { cpu: '0.25', memory: '32Mi' },
            },
          ],
        },
      },
    });
    await p.apply({
      key: { fleet: FLEET, deployment: 'busy', revision: 'r1', zone: 'usage' },
      replicas: 1,
      template: podTemplate.parse(deployment.spec.template),
      labels: run.labels,
    });
    const used = await eventually(
      async () => {
        const u = await p.usage({ fleet: FLEET, deployment: 'busy' });
        return u.length === 1 && (u[0]!.cpuCores ?? 0) > 0.1 ? u[0]! : false;
      },
      { ...DOCKER_POLL, message: 'a cpu reading of the busy replica' },
    );
    expect(used.cpuCores).toBeLessThan(0.4); // --cpus 0.25
    expect(used.memoryBytes).toBeGreaterThan(0);
    expect(used.revision).toBe('r1');
    const store = await storeWith(deployment);
    const source = new UsageMetricSource(new Map([[p.target, p]]), FLEET, store, systemClock);
    const cpu = await source.sample({ deployment: 'busy', revision: 'r1', metric: 'cpu', windowMs: 3000 });
    expect(cpu?.value).toBeGreaterThan(40); // percent of the 0.25 cores requested
    expect(cpu?.value).toBeLessThan(160);
    const mem = await source.sample({ deployment: 'busy', revision: 'r1', metric: 'memory', windowMs: 3000 });
    expect(mem?.value).toBeGreaterThan(0);
    expect(
      await source.sample({ deployment: 'nothing', revision: 'r1', metric: 'cpu', windowMs: 3000 }),
    ).toBeUndefined();
    await store.close();
  });
});

// The foundation's Docker end to end (apply 3 replicas, a rolling update, scale 3 -> 5 -> 2, delete)
// run twice over one store: first with the local CLI while `skyfleet controller` runs, then through
// the remote CLI (--server https://127.0.0.1:PORT --token --ca) against `skyfleet server` with TLS
// from `skyfleet server cert`. Each command must give the same exit code and the same stdout both
// ways, and Docker must hold the same containers after each. Everything made carries this run's label
// and fleet name, and is removed in afterAll whatever happened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, type RunningSkyfleet, skyfleet, spawnSkyfleet, startServer } from '../helpers/cli.js';
import { cleanupRun, DOCKER_POLL, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

const run = newTestRun();
const FLEET = run.fleet('remote');
let docker: Docker;
let dir: string;
const stoppers: Array<() => Promise<void>> = [];

const deployment = (image: string, replicas = 3) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web, labels: { skyfleet.test/run: "${run.id}" } }
spec:
  replicas: ${replicas}
  template:
    containers:
      - name: web
        image: ${image}
        ports: [{ name: http, containerPort: 8080 }]
        readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
`;

const mine = () => docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } });

/** What Docker holds for the fleet: images of the running containers that are ready, sorted. */
async function dockerState(): Promise<string[]> {
  return (await readyOf(docker, await mine())).map((c) => c.Image).sort();
}

interface Step {
  args: string[];
  /** Docker after it: the images of the ready containers. */
  docker: string[];
  /**
   * Run again until this holds: a new local process sees a container ready only once its Docker
   * healthcheck passed, so `get` right after `apply` may still count one as starting there.
   */
  settled?: (r: CliResult) => boolean;
}

const STEPS: Step[] = [
  { args: ['apply', '-f', 'web1.yaml'], docker: Array(3).fill('skyfleet-test/web:1') },
  {
    args: ['get', '-o', 'json'],
    docker: Array(3).fill('skyfleet-test/web:1'),
    settled: (r) => r.code === 0 && (JSON.parse(r.stdout) as Array<{ ready: number }>)[0]?.ready === 3,
  },
  { args: ['apply', '-f', 'web2.yaml'], docker: Array(3).fill('skyfleet-test/web:2') },
  { args: ['scale', 'web', '--replicas', '5'], docker: Array(5).fill('skyfleet-test/web:2') },
  { args: ['scale', 'web', '--replicas', '2'], docker: Array(2).fill('skyfleet-test/web:2') },
  { args: ['rollout', 'history', 'web', '-o', 'json'], docker: Array(2).fill('skyfleet-test/web:2') },
  { args: ['scale', 'nope', '--replicas', '2'], docker: Array(2).fill('skyfleet-test/web:2') },
  { args: ['delete', 'web'], docker: [] },
  { args: ['get'], docker: [] },
];

/** Runs every step with `sf`, waiting after each for Docker to match; the results, in order. */
async function runSteps(sf: (...args: string[]) => Promise<CliResult>): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (const step of STEPS) {
    const { settled } = step;
    const r = settled
      ? await eventually(() => sf(...step.args), { ...DOCKER_POLL, until: settled, message: step.args.join(' ') })
      : await sf(...step.args);
    results.push(r);
    // extra containers go away after the command returns (a rolling update's old ones, a scale down)
    await eventually(async () => expect(await dockerState()).toEqual(step.docker), {
      ...DOCKER_POLL,
      message: `docker after ${step.args.join(' ')}`,
    });
    expect((await mine()).filter((c) => c.State === 'running')).toHaveLength(step.docker.length);
  }
  return results;
}

/** History lists creation times: the same revisions, numbers and order, at other times. */
function comparable(r: CliResult, args: string[]): unknown {
  const stdout =
    args[0] === 'rollout'
      ? (JSON.parse(r.stdout) as Array<{ createdAt: number }>).map(({ createdAt: _, ...h }) => h)
      : r.stdout;
  return { code: r.code, stdout, error: r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? null };
}

beforeAll(async () => {
  docker = await testDocker();
  await Promise.all([ensureWebImage(docker, '1'), ensureWebImage(docker, '2')]);
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-remote-docker-'));
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: ${FLEET} }\ntargets: [{ name: local, kind: docker }]\nstore: { path: state.db }\n`,
  );
  writeFileSync(join(dir, 'web1.yaml'), deployment('skyfleet-test/web:1'));
  writeFileSync(join(dir, 'web2.yaml'), deployment('skyfleet-test/web:2'));
}, 180_000);

afterAll(async () => {
  for (const stop of stoppers) await stop().catch(() => undefined);
  if (docker) {
    await cleanupRun(docker, run);
    for (const c of await mine().catch(() => []))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function stopProcess(p: RunningSkyfleet): Promise<void> {
  if (p.code() === undefined) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
}

describe('the Docker end to end through the remote CLI', () => {
  it('gives the same exit codes, stdout and containers as the local CLI', { timeout: 600_000 }, async () => {
    // locally, with a controller on the store (as the server runs one)
    const controller = spawnSkyfleet({}, dir, 'controller', '--metrics-address', 'off', '--resync', '1s');
    stoppers.push(() => stopProcess(controller));
    await eventually(() => controller.stderr().includes('controller for fleet'), {
      timeoutMs: 30_000,
      intervalMs: 50,
      message: 'the controller to start',
    });
    const local = await runSteps((...args) => skyfleet(dir, ...args));
    await stopProcess(controller);

    // remotely: a TLS server on the same store, a token, and the CLI through it
    const cert = await skyfleet(dir, 'server', 'cert', '--out', 'tls', '--host', '127.0.0.1', '--days', '1');
    expect(cert.code, cert.stderr).toBe(0);
    const made = await skyfleet(dir, 'token', 'create', '--role', 'deployer', '--name', 'e2e');
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim().split('\n').pop()!;
    const served = await startServer(dir, ['--tls-cert', 'tls/tls.crt', '--tls-key', 'tls/tls.key', '--resync', '1s']);
    stoppers.push(() => served.stop());
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const remote = await runSteps((...args) =>
      skyfleet(dir, '--server', served.url, '--token', token, '--ca', join(dir, 'tls', 'tls.crt'), ...args),
    );

    STEPS.forEach((step, i) => {
      expect(comparable(remote[i]!, step.args), step.args.join(' ')).toEqual(comparable(local[i]!, step.args));
    });
    // and what they say is what the foundation's run says
    expect(local[0]!.code).toBe(0);
    expect(local[0]!.stdout).toMatch(
      /^deployment\/web rolled out by the controller: revision [0-9a-f]{10}, ready 3\/3\n$/,
    );
    expect(JSON.parse(local[1]!.stdout)).toMatchObject([{ name: 'web', replicas: 3, ready: 3, upToDate: 3 }]);
    expect(local[2]!.stdout).toMatch(
      /^deployment\/web rolled out by the controller: revision [0-9a-f]{10}, ready 3\/3\n$/,
    );
    expect(local[2]!.stdout).not.toBe(local[0]!.stdout);
    expect(local[3]!.stdout).toBe('deployment/web scaled to 5: ready 5/5\n');
    expect(local[4]!.stdout).toBe('deployment/web scaled to 2: ready 2/2\n');
    expect(local[6]!.code).toBe(1);
    expect(local[6]!.stderr).toMatch(/^error: .*"nope"/m);
    expect(local[7]!.stdout).toBe('deployment/web deleted (2 replicas removed)\n');
    expect(local[8]!.stdout).toBe('No deployments.\n');
    expect(remote.map((r) => r.stdout + r.stderr).join('')).not.toContain(token);
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRun, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';

// The CLI end to end, as a user runs it: the built bin/skyfleet.js against the real Docker engine.
// `npm test` builds dist/ first (tsc -p tsconfig.build.json).

const exec = promisify(execFile);
const run = newTestRun();
const FLEET = run.fleet('cli');
let docker: Docker;
let dir: string;

async function sf(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      'node',
      ['bin/skyfleet.js', '--config', join(dir, 'skyfleet.yaml'), ...args],
      {
        env: { ...process.env, SKYFLEET_LOG_LEVEL: 'error' },
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const mine = () => docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } });

const deployment = (replicas: number, port: number | string = 8080) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web, labels: { skyfleet.test/run: "${run.id}" } }
spec:
  replicas: ${replicas}
  template:
    containers:
      - name: web
        image: skyfleet-test/web:1
        ports: [{ name: http, containerPort: ${typeof port === 'string' ? JSON.stringify(port) : port} }]
        readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
`;

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-'));
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: ${FLEET} }\ntargets: [{ name: local, kind: docker }]\nstore: { path: state.db }\n`,
  );
  writeFileSync(join(dir, 'web.yaml'), deployment(2));
  writeFileSync(join(dir, 'bad.yaml'), deployment(2, 'http'));
});

afterAll(async () => {
  await cleanupRun(docker, run);
  for (const c of await mine())
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('skyfleet CLI', () => {
  it('prints the JSON Schema', async () => {
    const r = await sf('schema', 'Deployment');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('rejects invalid input with exit code 2, naming the field, and touches nothing', async () => {
    const r = await sf('apply', '-f', join(dir, 'bad.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'spec.template.containers[0].ports[0].containerPort: expected an integer 1-65535, got "http"',
    );
    expect(await mine()).toEqual([]);
    expect(JSON.parse((await sf('get', '-o', 'json')).stdout)).toEqual([]);
    expect((await sf('frobnicate')).code).toBe(2);
  });

  it('plans without changing anything, with the placement in JSON', async () => {
    const r = await sf('plan', '-f', join(dir, 'web.yaml'), '-o', 'json');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.placement.assignments).toEqual([
      { target: 'local', provider: 'docker', region: 'local', zone: 'local', replicas: 2 },
    ]);
    expect(plan.steps[0][0]).toMatchObject({ type: 'create', to: 2 });
    expect(await mine()).toEqual([]);
    const table = await sf('plan', '-f', join(dir, 'web.yaml'));
    expect(table.stdout).toMatch(/TARGET\s+ZONE\s+PROVIDER\s+REGION\s+STATUS\s+SCORE\s+REPLICAS/);
  });

  it('applies, shows, scales, re-applies with no change, and deletes', async () => {
    const applied = await sf('apply', '-f', join(dir, 'web.yaml'));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/deployment\/web converged: revision [0-9a-f]{10}, ready 2\/2/);
    expect(applied.stderr).toMatch(/ready 2\/2/); // progress lines when not a TTY
    expect(await readyOf(docker, await mine())).toHaveLength(2);

    const got = JSON.parse((await sf('get', '-o', 'json')).stdout);
    expect(got).toMatchObject([{ name: 'web', replicas: 2, ready: 2, upToDate: 2 }]);

    const described = (await sf('describe', 'deployment', 'web')).stdout;
    expect(described).toMatch(/Replicas:\s+2 desired \| 2 up-to-date \| 2 ready/);
    const ports = [...described.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const p of ports) expect((await fetch(`http://127.0.0.1:${p}/`)).status).toBe(200);

    expect((await sf('scale', 'web', '--replicas', '3')).stdout).toContain('scaled to 3: ready 3/3');
    expect(await mine()).toHaveLength(3);

    // export nginx: an upstream with exactly the 3 replicas' published ports, each in rotation
    const exported = await sf('export', 'nginx', 'web');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`upstream skyfleet_web {`);
    const servers = [...exported.stdout.matchAll(/^\s*server 127\.0\.0\.1:(\d+) (.*);$/gm)];
    const published = (await mine()).flatMap((c) => c.Ports.filter((p) => p.PublicPort).map((p) => p.PublicPort));
    expect(servers.map((m) => Number(m[1])).sort()).toEqual(published.sort());
    expect(servers.every((m) => !m[2]!.includes('down') && /weight=\d+/.test(m[2]!))).toBe(true);
    const unknown = await sf('export', 'nginx', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"nope"');
    writeFileSync(join(dir, 'web.yaml'), deployment(3));
    expect((await sf('apply', '-f', join(dir, 'web.yaml'))).stdout).toMatch(/deployment\/web unchanged/);

    const deleted = await sf('delete', 'web');
    expect(deleted.stdout).toContain('deployment/web deleted (3 replicas removed)');
    expect(await mine()).toEqual([]);
    const events = JSON.parse((await sf('get', 'events', '-o', 'json')).stdout) as Array<{ reason: string }>;
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Created', 'SliceCreated', 'SliceScaled', 'Deleted']),
    );
    const missing = await sf('describe', 'deployment', 'web');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('deployment "web" not found');
  });
});

// The remote CLI against `skyfleet server` on 127.0.0.1 (memory targets, a SQLite store): apply 3
// replicas, a rolling update, scale, delete, each through --server/--token; and the same exit
// codes and messages as the local CLI for bad input and a missing deployment.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, cliEnv, skyfleet, startSkyfleet } from '../helpers/cli.js';

function startSkyfleetOut(cwd: string, ...args: string[]) {
  const child = spawn('node', [BIN, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  return { child, stdout: () => out, stderr: () => err };
}
import { eventually } from '../helpers/eventually.js';

const fleetDoc =
  'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a, b] }\n';
const deploymentDoc = (image: string, replicas = 3) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  template: { containers: [{ name: web, image: ${image}, ports: [{ containerPort: 8080 }] }] }
`;

let dir: string;
let server: { child: ChildProcess; stderr: () => string };
let url: string;
let admin: string;
const remote = (...args: string[]) => skyfleet(dir, '--server', url, '--token', admin, ...args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-remote-'));
  writeFileSync(join(dir, 'skyfleet.yaml'), fleetDoc);
  writeFileSync(join(dir, 'web.yaml'), deploymentDoc('img:1'));
  writeFileSync(join(dir, 'web2.yaml'), deploymentDoc('img:2'));
  writeFileSync(join(dir, 'bad.yaml'), deploymentDoc('img:1').replace('replicas: 3', 'replicas: -3'));
  const made = await skyfleet(dir, 'token', 'create', '--role', 'admin', '--name', 'e2e');
  expect(made.code, made.stderr).toBe(0);
  admin = made.stdout.trim().split('\n').pop()!;
  expect(admin).toMatch(/^sft_/);
  server = startSkyfleet(dir, 'server', '--listen', '127.0.0.1:0', '--resync', '1s');
  url = await eventually(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stderr())?.[1] ?? false, {
    timeoutMs: 20_000,
    intervalMs: 50,
    message: 'the server to listen',
  });
});
afterAll(async () => {
  if (server?.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('skyfleet server', () => {
  it('serves the built dashboard at / and the traffic of its own listeners', async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);
    const applied = await remote('apply', '-f', 'web.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    const traffic = await fetch(`${url}/api/v1/deployments/web/traffic`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(traffic.status).toBe(200);
    expect(await traffic.json()).toMatchObject({ deployment: 'web', served: false, items: [] });
  });
});

describe('the remote CLI', () => {
  it('applies 3 replicas, rolls them to a new image, scales and deletes', async () => {
    const applied = await remote('apply', '-f', 'web.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/deployment\/web rolled out by the controller: revision [0-9a-f]+, ready 3\/3/);
    const got = await remote('get', '-o', 'json');
    expect(JSON.parse(got.stdout)).toMatchObject([{ name: 'web', replicas: 3, ready: 3 }]);
    const rolled = await remote('apply', '-f', 'web2.yaml');
    expect(rolled.code, rolled.stderr).toBe(0);
    const history = JSON.parse((await remote('rollout', 'history', 'web', '-o', 'json')).stdout) as unknown[];
    expect(history).toHaveLength(2);
    const scaled = await remote('scale', 'web', '--replicas', '5');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toMatch(/deployment\/web scaled to 5: ready 5\/5/);
    const described = JSON.parse((await remote('describe', 'deployment', 'web', '-o', 'json')).stdout) as {
      status: { ready: number; revision: string };
    };
    expect(described.status.ready).toBe(5);
    const deleted = await remote('delete', 'web');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/deployment\/web deleted \(5 replicas removed\)/);
    expect((await remote('get')).stdout).toMatch(/No deployments\./);
    const audit = await remote('audit', '-o', 'json');
    const whats = (JSON.parse(audit.stdout) as Array<{ who: string; what: string; status: number }>).map(
      (a) => `${a.what} ${a.status}`,
    );
    expect(whats).toEqual(
      expect.arrayContaining([
        'PUT /api/v1/deployments/web 200',
        'POST /api/v1/deployments/web/scale 200',
        'DELETE /api/v1/deployments/web 200',
      ]),
    );
  });

  it('fails as the local CLI does: same exit code, same message', async () => {
    for (const args of [
      ['scale', 'nope', '--replicas', '2'],
      ['apply', '-f', 'bad.yaml'],
      ['rollout', 'history', 'nope'],
    ]) {
      const r = await remote(...args);
      const l = await skyfleet(dir, '--store', join(dir, 'other.db'), ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(l.code);
      expect(r.code).not.toBe(0);
      expect(r.stderr.split('\n')[0]).toBe(l.stderr.split('\n').find((x) => x.startsWith('error:')));
    }
  });

  it('get -w prints each change as it happens', async () => {
    const watcher = startSkyfleetOut(dir, '--server', url, '--token', admin, 'get', '-w');
    try {
      await eventually(() => watcher.stderr().includes('watching deployments'), { timeoutMs: 20_000, intervalMs: 50 });
      const applied = await remote('apply', '-f', 'web.yaml', '--no-wait');
      expect(applied.code, applied.stderr).toBe(0);
      await remote('scale', 'web', '--replicas', '4', '--no-wait');
      await eventually(
        () =>
          /deployment\/web ADDED: revision \w+, generation 1, replicas 3\n.*deployment\/web MODIFIED: revision \w+, generation 2, replicas 4/s.test(
            watcher.stdout(),
          ),
        {
          timeoutMs: 20_000,
          intervalMs: 50,
          message: `the changes in the watch output`,
        },
      );
    } finally {
      watcher.child.kill('SIGINT');
      await remote('delete', 'web');
    }
  });

  it('refuses a wrong token and a viewer that writes', async () => {
    const wrong = await skyfleet(dir, '--server', url, '--token', 'sft_nope', 'get');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/error: the token is not valid/);
    const viewer = (await remote('token', 'create', '--role', 'viewer')).stdout.trim().split('\n').pop()!;
    const denied = await skyfleet(dir, '--server', url, '--token', viewer, 'apply', '-f', 'web.yaml');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/role viewer\) may not/);
  });
});

// skyfleet sync through --server against `skyfleet server` on 127.0.0.1 (memory targets, a SQLite
// store, a git repository in a temp dir): register and sync, a signed webhook syncs at once through
// the server's loop, a broken commit exits 2 naming file and field, list and delete.
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyfleet, startSkyfleet } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { specYaml, type TestRepo, testRepo } from '../helpers/git-repo.js';

const SECRET = 'remote-sync-webhook-secret-0123456789';
let dir: string;
let repo: TestRepo;
let server: { child: ChildProcess; stderr: () => string };
let url: string;
let admin: string;
const remote = (...args: string[]) => skyfleet(dir, '--server', url, '--token', admin, ...args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-remote-sync-'));
  repo = testRepo();
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a] }\n',
  );
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  const made = await skyfleet(dir, 'token', 'create', '--role', 'admin', '--name', 'e2e');
  expect(made.code, made.stderr).toBe(0);
  admin = made.stdout.trim().split('\n').pop()!;
  server = startSkyfleet(dir, 'server', '--listen', '127.0.0.1:0');
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
  repo?.remove();
});

describe('skyfleet sync through a server', () => {
  it('registers, syncs, follows a signed webhook, refuses a broken commit, lists and deletes', async () => {
    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const first = await remote(
      'sync',
      '--repo',
      repo.dir,
      '--path',
      'deploy',
      '--interval',
      '1h',
      '--name',
      'app',
      '--webhook-secret-file',
      'secret.txt',
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/deployment\/web created: revision [0-9a-f]+ \(deploy\/web\.yaml\)/);

    const c2 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: c2 });
    const hook = await fetch(`${url}/api/v1/sources/app/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(hook.status).toBe(202);
    await eventually(
      async () => {
        const st = await remote('sync', 'status', 'app', '-o', 'json');
        return (JSON.parse(st.stdout) as { source: { lastSyncedCommit: string } }).source.lastSyncedCommit === c2;
      },
      { timeoutMs: 30_000, intervalMs: 300, message: `the webhook's sync of ${c2}` },
    );
    const history = JSON.parse((await remote('rollout', 'history', 'web', '-o', 'json')).stdout) as Array<{
      cause?: string;
    }>;
    expect(history.at(-1)?.cause).toBe(`git app@${c2.slice(0, 12)} deploy/web.yaml`);

    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:3').replace('replicas: 2', 'replicas: -2') }, 'broken');
    const broken = await remote('sync', 'now', 'app');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('deploy/web.yaml: spec.replicas');

    const list = await remote('sync', 'list', '-o', 'json');
    expect(list.stdout).not.toContain(SECRET);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'app', hasWebhookSecret: true })]);
    expect((await remote('sync', 'delete', 'app')).code).toBe(0);
    const gone = await remote('sync', 'now', 'app');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not found');
  });
});

// `skyfleet sync` as a user meets it (node bin/skyfleet.js, built by `npm run build`): a git
// repository in a temp dir, a fleet of memory targets, a file store. Each command is its own
// process, so what is checked across commands is what the store keeps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { skyfleet, skyfleetJson, startSkyfleet } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { specYaml, type TestRepo, testRepo } from '../helpers/git-repo.js';

const cleanups: Array<() => void> = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups) c();
});

const SECRET = 'webhook-secret-that-must-never-show-0123456789';

function setup(): { dir: string; repo: TestRepo } {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-sync-'));
  const repo = testRepo();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), repo.remove);
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a] }\n',
  );
  writeFileSync(join(dir, 'secret.txt'), `${SECRET}\n`);
  return { dir, repo };
}

type History = Array<{ number: number; cause?: string }>;

describe('skyfleet sync', () => {
  it('registers a source and syncs it; sync now follows commits; history and describe name the commit', async () => {
    const { dir, repo } = setup();
    const c1 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const first = await skyfleet(
      dir,
      'sync',
      '--repo',
      repo.dir,
      '--path',
      'deploy/',
      '--name',
      'app',
      '--webhook-secret-file',
      'secret.txt',
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`git source app: synced at commit ${c1.slice(0, 12)}`);
    expect(first.stdout).toMatch(/deployment\/web created: revision [0-9a-f]+ \(deploy\/web\.yaml\)/);

    const c2 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    const now = await skyfleet(dir, 'sync', 'now', 'app');
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('deployment/web updated');
    expect(now.stdout).toContain('spec.template.containers[0].image: "nginx:1" -> "nginx:2"');

    const history = await skyfleetJson<History>(dir, 'rollout', 'history', 'web');
    expect(history.map((h) => h.cause)).toEqual([
      `git app@${c1.slice(0, 12)} deploy/web.yaml`,
      `git app@${c2.slice(0, 12)} deploy/web.yaml`,
    ]);
    const table = await skyfleet(dir, 'rollout', 'history', 'web');
    expect(table.stdout).toMatch(/CHANGE-CAUSE/);
    expect(table.stdout).toContain(`git app@${c2.slice(0, 12)} deploy/web.yaml`);
    const described = await skyfleet(dir, 'describe', 'deployment', 'web');
    expect(described.stdout).toContain(`git app@${c2.slice(0, 12)} deploy/web.yaml`);

    // nothing new: unchanged
    const again = await skyfleet(dir, 'sync', 'now', 'app');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('unchanged at commit');

    // the secret is in no output
    const list = await skyfleet(dir, 'sync', 'list', '-o', 'json');
    const status = await skyfleet(dir, 'sync', 'status', 'app', '-o', 'json');
    for (const out of [first, now, list, status]) expect(out.stdout + out.stderr).not.toContain(SECRET);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'app', hasWebhookSecret: true })]);
  });

  it('a broken commit exits 2 naming file and field; status shows it, and drift from a manual scale', async () => {
    const { dir, repo } = setup();
    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    expect((await skyfleet(dir, 'sync', '--repo', repo.dir, '--path', 'deploy', '--name', 'app')).code).toBe(0);

    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2').replace('replicas: 2', 'replicas: many') }, 'broken');
    const broken = await skyfleet(dir, 'sync', 'now', 'app');
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain('git source app: invalid');
    expect(broken.stderr).toContain('deploy/web.yaml: spec.replicas');
    const got = await skyfleetJson<{ spec: { spec: { template: { containers: Array<{ image: string }> } } } }>(
      dir,
      'describe',
      'deployment',
      'web',
    );
    expect(got.spec.spec.template.containers[0]?.image).toBe('nginx:1');

    const scaled = await skyfleet(dir, 'scale', 'web', '--replicas', '3');
    expect(scaled.code, scaled.stderr).toBe(0);
    const status = await skyfleet(dir, 'sync', 'status', 'app');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('deploy/web.yaml: spec.replicas');
    expect(status.stdout).toContain(
      'web spec.replicas: git 2, now 3 (changed since the last sync; the next sync reverts it)',
    );

    const deleted = await skyfleet(dir, 'sync', 'delete', 'app');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await skyfleet(dir, 'sync', 'now', 'app')).code).toBe(1);
    expect(await skyfleetJson(dir, 'sync', 'list')).toEqual([]);
  });

  it('bad flags exit 2 naming the flag, and register nothing', async () => {
    const { dir, repo } = setup();
    const bad = await skyfleet(dir, 'sync', '--repo', repo.dir, '--interval', 'often', '--name', 'app');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('interval: expected a duration');
    const noName = await skyfleet(dir, 'sync', '--repo', '/');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name: no source name can be made from "/"');
    const noRepo = await skyfleet(dir, 'sync');
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain('--repo');
    expect(await skyfleetJson(dir, 'sync', 'list')).toEqual([]);
  });

  it('the controller passes a registered source on its interval: a new commit is applied with no command', async () => {
    const { dir, repo } = setup();
    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const registered = await skyfleet(
      dir,
      'sync',
      '--repo',
      repo.dir,
      '--path',
      'deploy',
      '--interval',
      '1s',
      '--name',
      'app',
    );
    expect(registered.code, registered.stderr).toBe(0);
    const controller = startSkyfleet(dir, 'controller', '--metrics-address', 'off');
    children.push(controller.child);
    const c2 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    type Status = { source: { lastSyncedCommit: string | null } };
    await eventually(
      async () => (await skyfleetJson<Status>(dir, 'sync', 'status', 'app')).source.lastSyncedCommit === c2,
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        message: `the controller to sync ${c2} (controller stderr: ${controller.stderr()})`,
      },
    );
    const history = await skyfleetJson<History>(dir, 'rollout', 'history', 'web');
    expect(history.map((h) => h.cause)).toEqual([
      expect.stringContaining('deploy/web.yaml'),
      `git app@${c2.slice(0, 12)} deploy/web.yaml`,
    ]);
    controller.child.kill('SIGTERM');
    await new Promise((resolve) => controller.child.once('exit', resolve));
  });
});

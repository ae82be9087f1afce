import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isLive, sampleContainers } from '../helpers/controller/index.js';
import { cleanupRun, containersWith, newTestRun, testDocker } from '../helpers/docker/index.js';
import { exampleFleetYaml, type RunningScript, runScript, section } from './example-script.js';

// examples/gitops runs end to end on the real Docker engine as its README says (`bash
// examples/gitops/run.sh`, built into dist/ by `npm test`), with a fleet of this run's own
// ($SKYFLEET_CONFIG) and its temp folder in the test's ($TMPDIR), so what it makes is found and
// removed even when it fails. Docker is watched on the side: what the script prints must be what ran.

const run = newTestRun();
const FLEET = run.fleet('gitops');
let docker: Docker;
let dir: string;
let script: RunningScript | undefined;
const mine = () => containersWith(docker, `skyfleet.dev/fleet=${FLEET}`);

beforeAll(async () => {
  docker = await testDocker();
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-gitops-'));
  writeFileSync(join(dir, 'skyfleet.yaml'), exampleFleetYaml(FLEET));
});

afterAll(async () => {
  script?.killGroup();
  await cleanupRun(docker, run);
  for (const c of await mine())
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

it('examples/gitops: syncs a local repository, rolls out a commit, refuses a broken one by file and field, names the commits, and cleans up', {
  timeout: 180_000,
}, async () => {
  let maxLive = 0;
  const imagesRunning = new Set<string>();
  const sampler = sampleContainers(docker, FLEET, (list) => {
    maxLive = Math.max(maxLive, list.filter(isLive).length);
    for (const c of list) if (c.State === 'running') imagesRunning.add(c.Image);
  });
  script = runScript('examples/gitops/run.sh', { SKYFLEET_CONFIG: join(dir, 'skyfleet.yaml'), TMPDIR: dir }, 120_000);
  const result = await script.done;
  const samples = await sampler.stop();
  expect(result.timedOut, result.output).toBe(false);
  expect(result.code, result.output).toBe(0);
  const out = result.stdout;

  const commits = [...out.matchAll(/^commit ([0-9a-f]{12}): /gm)].map((m) => m[1]!);
  expect(commits, out).toHaveLength(3);
  const [c1, c2, c3] = commits;

  // the head applied: 2 ready replicas of the first revision
  const first = section(out, 'skyfleet sync: register');
  expect(first).toContain(`git source gitops: synced at commit ${c1}`);
  const rev1 = /deployment\/web created: revision (\w+) \(deploy\/web\.yaml\)/.exec(first)?.[1];
  expect(rev1, first).toBeDefined();
  expect(first).toMatch(new RegExp(`^web +2/2 +2 +- +${rev1} +local/local=2 `, 'm'));

  // the image commit rolled out: a new revision, 2 ready
  const bump = section(out, 'a commit changes the image');
  expect(bump).toContain(`git source gitops: synced at commit ${c2}`);
  expect(bump).toContain('spec.template.containers[0].image: "hello/web:1" -> "hello/web:2"');
  const rev2 = /deployment\/web updated: revision (\w+) \(deploy\/web\.yaml\)/.exec(bump)?.[1];
  expect(rev2, bump).toBeDefined();
  expect(rev2).not.toBe(rev1);
  expect(bump).toMatch(new RegExp(`^web +2/2 +2 +- +${rev2} +local/local=2 `, 'm'));

  // the broken commit: refused (exit 2) naming file and field; still revision 2 with 2 replicas
  const broken = section(out, 'a broken commit');
  expect(broken).toContain(`git source gitops: invalid at commit ${c3}`);
  expect(broken).toContain('- deploy/web.yaml: spec.replica: unknown field (did you mean "replicas"?)');
  expect(broken).toContain('(exit code 2: invalid input, nothing applied)');
  expect(broken).toMatch(new RegExp(`^Last synced: +${c2}$`, 'm'));
  expect(broken).toMatch(new RegExp(`^web +2/2 +2 +- +${rev2} +local/local=2 `, 'm'));

  // rollout history: each revision with the commit and file it came from, and no third
  const history = section(out, 'the commit behind each revision').split('\n').slice(1);
  expect(history.filter((l) => /^\d+ /.test(l))).toEqual([
    expect.stringMatching(new RegExp(`^1 +${rev1} +\\S+ +git gitops@${c1} deploy/web\\.yaml *$`)),
    expect.stringMatching(new RegExp(`^2 +${rev2} +\\S+ +git gitops@${c2} deploy/web\\.yaml +\\(current\\)$`)),
  ]);

  const cleanup = section(out, 'cleanup');
  expect(cleanup).toContain('git source gitops deleted');
  expect(cleanup).toContain('deployment/web deleted (2 replicas removed)');

  // what Docker ran: both images, never more than 2 + maxSurge 1; nothing left, the repository removed
  expect(samples).toBeGreaterThan(0);
  expect([...imagesRunning].sort()).toEqual(['hello/web:1', 'hello/web:2']);
  expect(maxLive).toBeGreaterThanOrEqual(2);
  expect(maxLive).toBeLessThanOrEqual(3);
  expect(await mine()).toEqual([]);
  expect(readdirSync(dir).filter((f) => f.startsWith('skyfleet-gitops-'))).toEqual([]);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupRun, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';

// examples/sdk runs end to end on the real Docker engine, as its README says (built into dist/ by
// `npm test`), so the example cannot rot: it validates, deploys, scales, rolls out and cleans up.

const exec = promisify(execFile);
const run = newTestRun();
const FLEET = run.fleet('sdk');
let docker: Docker;
let dir: string;
const mine = () => docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } });

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  await ensureWebImage(docker, '2');
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-sdk-'));
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

it('examples/sdk: refuses a bad spec by field, deploys 2, scales to 3, rolls out v2, and leaves nothing behind', {
  timeout: 240_000,
}, async () => {
  const { stdout } = await exec('node', ['dist/examples/sdk/main.js', 'skyfleet-test/web:1', 'skyfleet-test/web:2'], {
    env: {
      ...process.env,
      SKYFLEET_EXAMPLE_FLEET: FLEET,
      SKYFLEET_EXAMPLE_STORE: join(dir, 'state.db'),
      SKYFLEET_LOG_LEVEL: 'error',
    },
    timeout: 200_000,
  });
  const lines = stdout.split('\n');
  // the bad spec: refused with the field's path, before anything ran
  expect(lines.slice(0, 2)).toEqual(['refused as expected:', expect.stringMatching(/^ {2}spec\.replicas: /)]);
  const at = (text: string) => lines.findIndex((l) => l.startsWith(text));
  expect(at('apply: 2 replicas of skyfleet-test/web:1')).toBeGreaterThan(0);
  expect(lines[at('revision ')]).toMatch(/^revision \w+: 2\/2 ready$/);
  // after the scale's progress lines (indented), its result
  const afterScale = lines.slice(at('scale: 3 replicas') + 1);
  expect(afterScale.find((l) => !l.startsWith('  '))).toBe('3/3 ready');
  const rollout = at('rollout: skyfleet-test/web:2');
  expect(rollout).toBeGreaterThan(at('scale: 3 replicas'));
  const after = lines.slice(rollout);
  expect(after.find((l) => l.startsWith('revision '))).toMatch(/^revision \w+: 3\/3 ready$/);
  // three replicas of the new revision, each with its endpoint on 127.0.0.1
  expect(after.filter((l) => /^ {2}\S+ ready http:\/\/127\.0\.0\.1:\d+\/$/.test(l))).toHaveLength(3);
  expect(after.find((l) => l.startsWith('history: '))).toMatch(/^history: 1:\w+ 2:\w+$/);
  expect(after).toContain('deleted: 3 replicas removed');
  expect(await mine()).toEqual([]);
});

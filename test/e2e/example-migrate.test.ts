import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupRun, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { freePort } from '../helpers/traffic/load.js';
import { removeExampleContainers } from './example-script.js';

// examples/migrate runs end to end as its README says: under a load loop on 127.0.0.1, a deployment
// moves from emulated ECS to emulated Cloud Run and back with no failed request; everything it
// made is gone afterwards.

const exec = promisify(execFile);
const run = newTestRun();
const FLEET = run.fleet('migrate');
let docker: Docker;
let dir: string;

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-migrate-'));
});

afterAll(async () => {
  await cleanupRun(docker, run);
  await removeExampleContainers(docker, FLEET);
  rmSync(dir, { recursive: true, force: true });
});

it('examples/migrate: ECS to Cloud Run and back under load, no failed request', { timeout: 240_000 }, async () => {
  const [api, dataPlane, lb] = [await freePort(), await freePort(), await freePort()];
  const { stdout } = await exec('bash', ['examples/migrate/run.sh'], {
    env: {
      ...process.env,
      SKYFLEET_EXAMPLE_DIR: dir,
      SKYFLEET_EXAMPLE_FLEET: FLEET,
      SKYFLEET_EXAMPLE_IMAGE: 'skyfleet-test/web:1',
      SKYFLEET_EMULATE_ID: FLEET,
      SKYFLEET_EXAMPLE_API_PORT: String(api),
      SKYFLEET_EXAMPLE_DATA_PLANE_PORT: String(dataPlane),
      SKYFLEET_EXAMPLE_LB_PORT: String(lb),
    },
    timeout: 200_000,
  });
  const lines = stdout.split('\n');
  // the stand-in says what it is before anything else (after the images the script had to build)
  expect(lines.filter((l) => !l.startsWith('built hello/web:'))[0]).toMatch(
    /^skyfleet emulate: a local stand-in .* it is not the cloud/,
  );
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  expect(lines[at('before: ')]).toBe('before: aws/us-east-1a=1 aws/us-east-1b=1 ');
  expect(lines[at('migrated: ')]).toBe('migrated: gcp/us-central1=2 ');
  expect(lines[at('undone: ')]).toBe('undone: aws/us-east-1a=1 aws/us-east-1b=1 ');
  expect(at('undone: ')).toBeGreaterThan(at('migrated: '));
  const load = /^load: (\d+) requests through 127\.0\.0\.1:(\d+), (\d+) failed$/.exec(lines[at('load: ')] ?? '');
  expect(load?.[2]).toBe(String(lb));
  expect(Number(load?.[1])).toBeGreaterThan(50);
  expect(load?.[3]).toBe('0');
  const left = await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/emulate=${FLEET}`] } });
  expect(left).toEqual([]);
});

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

// examples/hybrid runs end to end as its README says: `skyfleet emulate` (ECS and Cloud Run
// stand-ins whose replicas are local containers), 6 replicas over local Docker and both, requests
// through the load balancer, a zone outage and its end; everything it made is gone afterwards.

const exec = promisify(execFile);
const run = newTestRun();
const FLEET = run.fleet('hybrid');
let docker: Docker;
let dir: string;

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-hybrid-'));
});

afterAll(async () => {
  await cleanupRun(docker, run);
  await removeExampleContainers(docker, FLEET);
  rmSync(dir, { recursive: true, force: true });
});

it('examples/hybrid: 6 replicas over Docker, emulated ECS and Cloud Run, every request answered through an outage', {
  timeout: 240_000,
}, async () => {
  const [api, dataPlane, lb] = [await freePort(), await freePort(), await freePort()];
  const { stdout } = await exec('bash', ['examples/hybrid/run.sh'], {
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
  expect(lines).toContain('deployment/web converged: revision ' + /revision (\w+)/.exec(stdout)![1] + ', ready 6/6');
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  expect(lines[at('serving: ')]).toBe(
    'serving: aws/us-east-1a=1 aws/us-east-1b=1 gcp/us-central1=2 local/this-machine=2 ',
  );
  expect(lines[at('zone down: ')]).toMatch(/aws\/us-east-1a=0 /);
  // the replica lost in us-east-1a runs in us-east-1b during the outage
  expect(lines[at('failed over: ')]).toBe(
    'failed over: aws/us-east-1a=0 aws/us-east-1b=2 gcp/us-central1=2 local/this-machine=2 ',
  );
  expect(lines[at('returned: ')]).toMatch(/aws\/us-east-1a=1 /);
  // answered before, during and after the outage
  expect(lines.filter((l) => l === `12 requests through 127.0.0.1:${lb}: all answered`)).toHaveLength(3);
  expect(at('zone down: ')).toBeGreaterThan(at('serving: '));
  expect(at('failed over: ')).toBeGreaterThan(at('zone down: '));
  expect(at('returned: ')).toBeGreaterThan(at('failed over: '));
  // the script removed the deployment and stopped the stand-in, which removed its containers
  const left = await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } });
  expect(left).toEqual([]);
  const emulated = await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/emulate=${FLEET}`] } });
  expect(emulated).toEqual([]);
});

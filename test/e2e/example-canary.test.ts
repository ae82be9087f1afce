import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupRun, newTestRun, testDocker } from '../helpers/docker/index.js';
import { freePort } from '../helpers/traffic/load.js';
import { type RunningScript, removeExampleContainers, runScript } from './example-script.js';

// examples/canary-across-clouds runs end to end as its README says: version 1 on emulated ECS,
// version 2 as a canary on emulated Cloud Run promoted by its analysis with no failed request,
// then a bad version as a canary back on ECS that its analysis rolls back by itself; everything
// it made is gone afterwards.

const run = newTestRun();
const FLEET = run.fleet('canary');
let docker: Docker;
let dir: string;
let script: RunningScript | undefined;

beforeAll(async () => {
  docker = await testDocker();
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-canary-'));
});

afterAll(async () => {
  script?.killGroup();
  await cleanupRun(docker, run);
  await removeExampleContainers(docker, FLEET);
  rmSync(dir, { recursive: true, force: true });
});

it('examples/canary-across-clouds: a canary on another cloud promoted by analysis, a bad one rolled back by itself', {
  timeout: 300_000,
}, async () => {
  const [api, dataPlane, lb] = [await freePort(), await freePort(), await freePort()];
  script = runScript(
    'examples/canary-across-clouds/run.sh',
    {
      SKYFLEET_EXAMPLE_DIR: dir,
      SKYFLEET_EXAMPLE_FLEET: FLEET,
      SKYFLEET_EMULATE_ID: FLEET,
      SKYFLEET_EXAMPLE_API_PORT: String(api),
      SKYFLEET_EXAMPLE_DATA_PLANE_PORT: String(dataPlane),
      SKYFLEET_EXAMPLE_LB_PORT: String(lb),
    },
    240_000,
  );
  const result = await script.done;
  expect(result.code, result.output).toBe(0);
  const lines = result.stdout.split('\n');
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  const line = (prefix: string) => lines[at(prefix)] ?? `(no line "${prefix}" in)\n${result.output}`;
  // the stand-in says what it is before anything else (after the images the script had to build)
  expect(lines.filter((l) => !l.startsWith('built hello/web:'))[0]).toMatch(
    /^skyfleet emulate: a local stand-in .* it is not the cloud/,
  );
  expect(line('serving: ')).toBe('serving: aws/us-east-1a=1 aws/us-east-1b=1 ');
  // the good canary: promoted onto Cloud Run, no request failed while it ran
  expect(line('promoted: ')).toBe('promoted: gcp/us-central1=2 ');
  expect(lines[at('promoted: ') + 1]).toBe('answered by version 2 ');
  const good = /^requests during the canary: (\d+), (\d+) failed$/.exec(line('requests during the canary: '));
  expect(Number(good?.[1])).toBeGreaterThan(20);
  expect(good?.[2]).toBe('0');
  // the bad canary: its analysis saw the failures and rolled it back; version 2 stays on Cloud Run
  expect(result.output).toMatch(/rollout aborted: analysis failed at step 2: success rate .* misses >= 0\.99/);
  expect(line('rolled back: ')).toBe('rolled back: answered by version 2 ');
  const bad = /^requests during the bad canary: (\d+), (\d+) failed$/.exec(line('requests during the bad canary: '));
  expect(Number(bad?.[2])).toBeGreaterThan(0);
  expect(line('requests after the rollback: ')).toBe('requests after the rollback: 50 and more, 0 failed');
  expect(at('rolled back: ')).toBeGreaterThan(at('promoted: '));
  // the script removed the deployment and stopped the stand-in, which removed its containers
  const emulated = await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/emulate=${FLEET}`] } });
  expect(emulated).toEqual([]);
});

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleContainers } from '../helpers/controller/index.js';
import { cleanupRun, containersWith, newTestRun, testDocker } from '../helpers/docker/index.js';
import { freePort } from '../helpers/traffic/load.js';
import { exampleFleetYaml, type RunningScript, runScript, section } from './example-script.js';

// examples/autoscale runs end to end on the real Docker engine as its README says (`bash
// examples/autoscale/run.sh`, built into dist/ by `npm test`), with a fleet of this run's own
// ($SKYFLEET_CONFIG), its listener on a free port of 127.0.0.1 ($SKYFLEET_EXAMPLE_PORT) and its temp
// folder in the test's ($TMPDIR), so what it makes is found and removed even when it fails. Docker is
// watched on the side: the replicas the script reports must be the containers that ran.

const run = newTestRun();
const FLEET = run.fleet('autoscale');
let docker: Docker;
let dir: string;
let script: RunningScript | undefined;
const mine = () => containersWith(docker, `skyfleet.dev/fleet=${FLEET}`);

/** Whether something accepts connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

beforeAll(async () => {
  docker = await testDocker();
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-example-autoscale-'));
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

it('examples/autoscale: a load through the listener adds a replica, and without it the deployment falls back to its minimum', {
  timeout: 180_000,
}, async () => {
  const port = await freePort();
  const running: number[] = []; // running containers of the fleet, sample after sample
  const sampler = sampleContainers(docker, FLEET, (list) => {
    running.push(list.filter((c) => c.State === 'running').length);
  });
  script = runScript(
    'examples/autoscale/run.sh',
    { SKYFLEET_CONFIG: join(dir, 'skyfleet.yaml'), SKYFLEET_EXAMPLE_PORT: String(port), TMPDIR: dir },
    120_000,
  );
  const result = await script.done;
  await sampler.stop();
  expect(result.timedOut, result.output).toBe(false);
  expect(result.code, result.output).toBe(0);
  const out = result.stdout;

  // applied: 1 replica, autoscaled between 1 and 4
  expect(section(out, 'apply web.yaml')).toMatch(/^web +1\/1 +1 +1-4 +\w+ +local\/local=1 /m);

  // 35 requests a second at 20 per replica: 2 replicas, both ready, and describe says why
  const loaded = section(out, '35 requests a second');
  expect(loaded).toContain(`load: 35 requests a second to http://127.0.0.1:${port}/`);
  expect(loaded).toMatch(/^web +2\/2 +2 +1-4 +\w+ +local\/local=2 /m);
  expect(loaded).toMatch(/^ {2}Desired: +2$/m);
  expect(loaded).toMatch(/^ {2}requestsPerSecond +[\d.]+ +20 +2 *$/m);
  expect(loaded).toMatch(/^ {2}Last scale: +1 -> 2 [\d.]+s ago: requestsPerSecond [\d.]+\/20 per replica$/m);

  // the load stopped, every request answered; back to 1 once the scale-down window passed
  const stopped = section(out, 'the load stops');
  const load = /^load: (\d+) requests answered 200 in [\d.]+ s \(\d+\/s\), (\d+) failed/m.exec(stopped);
  expect(load, stopped).not.toBeNull();
  expect(Number(load![1])).toBeGreaterThan(0);
  expect(Number(load![2]), stopped).toBe(0);
  expect(stopped).toMatch(/^web +1\/1 +1 +1-4 +\w+ +local\/local=1 /m);
  expect(stopped).toMatch(
    /^ {2}Last scale: +2 -> 1 [\d.]+s ago: all metrics below target: requestsPerSecond 0\/20 per replica \(minReplicas 1\)$/m,
  );

  // one scale each way, on the steady path: the fast path (2x the target) never started
  const events = section(out, 'what the autoscaler did').split('\n').slice(2).filter(Boolean);
  expect(events).toEqual([
    expect.stringMatching(/ ScaledUp +1 -> 2: requestsPerSecond [\d.]+\/20 per replica$/),
    expect.stringMatching(/ ScaledDown +2 -> 1: all metrics below target: /),
  ]);
  expect(out).not.toContain('panic');
  expect(section(out, 'cleanup')).toContain('deployment/web deleted (1 replicas removed)');

  // what Docker ran: 1 replica, then 2, then 1 again before the cleanup; nothing left after it
  const up = running.indexOf(2);
  expect(running.slice(0, Math.max(up, 0)), `running replicas sample by sample: ${running}`).toContain(1);
  expect(up, `running replicas sample by sample: ${running}`).toBeGreaterThan(0);
  expect(Math.max(...running)).toBe(2);
  expect(running.slice(up), `running replicas sample by sample: ${running}`).toContain(1);
  expect(await mine()).toEqual([]);
  expect(await listening(port)).toBe(false);
  expect(readdirSync(dir)).toEqual(['skyfleet.yaml']);
});

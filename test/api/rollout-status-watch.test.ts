// `skyfleet rollout status NAME -w` against a real `skyfleet server` on 127.0.0.1 (memory targets, a
// SQLite store): through the server on its watch feed, and locally on the same store (by polling),
// a Canary rollout is followed step by step until it completes (exit 0) or is aborted (exit 1).
// Memory replicas live in the server's process: the local client sees the rollout's stored state,
// not the replicas' readiness, so only the remote client's ready counts are checked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSkyfleet, skyfleet, spawnSkyfleet, startServer } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

const fleetDoc =
  'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a, b] }\n';
const canary = (image: string) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  template: { containers: [{ name: web, image: ${image}, ports: [{ containerPort: 8080 }] }] }
  strategy:
    type: Canary
    canary: { steps: [{ setWeight: 50 }, { pause: {} }] }
`;

let dir: string;
let admin: string;
let served: Awaited<ReturnType<typeof startServer>>;
const running: RunningSkyfleet[] = [];
const remote = (...args: string[]) => skyfleet(dir, '--server', served.url, '--token', admin, ...args);
const watchers = () => ({
  remote: spawnSkyfleet({}, dir, '--server', served.url, '--token', admin, 'rollout', 'status', 'web', '-w'),
  local: spawnSkyfleet({}, dir, 'rollout', 'status', 'web', '-w'),
});
const PAUSED = /Canary Paused step 1: step 2: paused at 50%: waiting for `rollout promote`/;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-rollout-watch-'));
  writeFileSync(join(dir, 'skyfleet.yaml'), fleetDoc);
  for (const v of ['1', '2', '3']) writeFileSync(join(dir, `web${v}.yaml`), canary(`img:${v}`));
  const made = await skyfleet(dir, 'token', 'create', '--role', 'admin', '--name', 'rollout-watch');
  expect(made.code, made.stderr).toBe(0);
  admin = made.stdout.trim().split('\n').pop()!;
  served = await startServer(dir, ['--resync', '1s']);
  const first = await remote('apply', '-f', 'web1.yaml');
  expect(first.code, first.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  for (const w of running) if (w.code() === undefined) w.child.kill('SIGKILL');
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollout status -w', () => {
  it('follows a Canary rollout to its pause and, once promoted, to Completed: exit 0', async () => {
    const applied = await remote('apply', '-f', 'web2.yaml', '--no-wait');
    expect(applied.code, applied.stderr).toBe(0);
    const w = watchers();
    running.push(w.remote, w.local);
    await eventually(() => PAUSED.test(w.remote.stdout()) && PAUSED.test(w.local.stdout()), {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: `both watchers at the pause (remote: ${w.remote.stdout()} ${w.remote.stderr()}; local: ${w.local.stdout()} ${w.local.stderr()})`,
    });
    expect(w.remote.code()).toBeUndefined(); // still following: a pause is not the end
    expect(w.local.code()).toBeUndefined();
    const promoted = await remote('rollout', 'promote', 'web');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(await w.remote.exited).toBe(0);
    expect(await w.local.exited).toBe(0);
    for (const out of [w.remote.stdout(), w.local.stdout()]) {
      const lines = out.trim().split('\n');
      expect(lines.findIndex((l) => PAUSED.test(l))).toBeGreaterThanOrEqual(0);
      expect(lines.at(-1)).toMatch(/^deployment\/web: Canary Completed step 2: \w+ serving 100% \(ready \d+\/4\)$/);
      expect(lines.findIndex((l) => PAUSED.test(l))).toBeLessThan(lines.length - 1);
    }
    expect(w.remote.stdout().trim().split('\n').at(-1)).toMatch(/\(ready 4\/4\)$/);
  });

  it('an aborted rollout ends the watch with exit 1 and says so', async () => {
    const applied = await remote('apply', '-f', 'web3.yaml', '--no-wait');
    expect(applied.code, applied.stderr).toBe(0);
    const w = watchers();
    running.push(w.remote, w.local);
    await eventually(() => PAUSED.test(w.remote.stdout()) && PAUSED.test(w.local.stdout()), {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'both watchers at the pause',
    });
    const aborted = await remote('rollout', 'abort', 'web');
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(await w.remote.exited).toBe(1);
    expect(await w.local.exited).toBe(1);
    for (const x of [w.remote, w.local]) {
      expect(x.stdout().trim().split('\n').at(-1)).toMatch(/Canary Aborted step 1: aborted: back to \w+/);
      expect(x.stderr()).toMatch(/^error: deployment\/web rollout aborted: aborted: back to \w+$/m);
    }
  });

  it('a RollingUpdate deployment is followed until every replica is ready and current: exit 0', async () => {
    writeFileSync(
      join(dir, 'plain.yaml'),
      canary('img:1')
        .replace('name: web', 'name: plain')
        .replace(/ {2}strategy:[\s\S]*$/, '  strategy: { type: RollingUpdate }\n'),
    );
    const applied = await remote('apply', '-f', 'plain.yaml', '--no-wait');
    expect(applied.code, applied.stderr).toBe(0);
    const w = spawnSkyfleet({}, dir, '--server', served.url, '--token', admin, 'rollout', 'status', 'plain', '-w');
    running.push(w);
    expect(await w.exited).toBe(0);
    expect(w.stdout().trim().split('\n').at(-1)).toMatch(
      /^deployment\/plain: RollingUpdate revision \w+: ready 4\/4, up-to-date 4$/,
    );
  });

  it('a deployment that does not exist fails as `rollout status` does; -w with another action is a usage error', async () => {
    const w = await remote('rollout', 'status', 'nope', '-w');
    const once = await remote('rollout', 'status', 'nope');
    expect(once.code).toBe(1);
    expect(w.code).toBe(once.code);
    expect(w.stderr).toBe(once.stderr);
    const usage = await remote('rollout', 'history', 'web', '-w');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/rollout history: -w\/--watch goes with `rollout status` only/);
  });
});

// The CLI as a user meets it (node bin/skyfleet.js, built by `npm run build`) on memory targets,
// with a file store in a temp dir. Memory replicas live in one process: each command below is its
// own process, so what is checked across commands is what the store keeps (specs, the recorded
// fleet, revisions, rollout state, events); replicas and readiness are checked inside the process
// that holds them (a command's own output, or the controller's /metrics).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyfleet, skyfleetJson, startSkyfleet } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-memory-'));
  dirs.push(dir);
  return dir;
}

const fleetDoc = (targets: string) =>
  `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n${targets}`;
const deploymentDoc = (image: string, extra = '') => `---
apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  template: { containers: [{ name: web, image: ${image}, ports: [{ containerPort: 8080 }] }] }
${extra}`;

type Event = { reason: string; message: string };
type Described = { spec: { spec: { placement: { targets?: Array<{ name: string }> } } } };

describe('skyfleet remembers the fleet of apply', () => {
  it('apply -f with the Fleet inside, then get, describe, scale and delete in the same folder', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'web.yaml'),
      fleetDoc('  - { name: lab, kind: memory, zones: [a, b] }\n') + deploymentDoc('img:1'),
    );
    const applied = await skyfleet(dir, 'apply', '-f', 'web.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/deployment\/web converged: revision [0-9a-f]+, ready 2\/2/);

    const got = await skyfleet(dir, 'get');
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^web\s/m);
    const described = await skyfleet(dir, 'describe', 'deployment', 'web');
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+web$/m);
    const scaled = await skyfleet(dir, 'scale', 'web', '--replicas', '3');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toContain('scaled to 3: ready 3/3');

    // a config that differs is used, and the difference is said on stderr
    writeFileSync(
      join(dir, 'other.yaml'),
      fleetDoc('  - { name: lab, kind: memory, zones: [a, b] }\n  - { name: lab2, kind: memory }\n'),
    );
    const other = await skyfleet(dir, '--config', 'other.yaml', 'get', 'events');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain('differs from the one recorded in the store');
    expect(other.stderr).toContain('target lab2 added (memory)');

    const deleted = await skyfleet(dir, 'delete', 'web');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('deployment/web deleted');
  });

  it('a folder with no config and no store: the clear error, and no store made', async () => {
    const dir = tempDir();
    const r = await skyfleet(dir, 'get');
    expect(r.code).toBe(2); // invalid input: nothing to act on
    expect(r.stderr).toContain('no fleet configured');
    expect(existsSync(join(dir, '.skyfleet'))).toBe(false);
  });
});

describe('skyfleet migrate', () => {
  const dir = tempDir();
  beforeAll(async () => {
    writeFileSync(
      join(dir, 'web.yaml'),
      fleetDoc(
        [
          '  - { name: lab, kind: memory, zones: [a] }',
          '  - { name: lab2, kind: memory, zones: [a] }',
          '  - { name: slow, kind: memory, zones: [a], readyAfterSeconds: 3600 }',
          '',
        ].join('\n'),
      ) + deploymentDoc('img:1', '  placement: { targets: [{ name: lab }] }\n'),
    );
    const applied = await skyfleet(dir, 'apply', '-f', 'web.yaml');
    expect(applied.code, applied.stderr).toBe(0);
  });
  const placement = async () =>
    (await skyfleetJson<Described>(dir, 'describe', 'deployment', 'web')).spec.spec.placement.targets?.map(
      (t) => t.name,
    );
  const reasons = async () =>
    (await skyfleetJson<Event[]>(dir, 'get', 'events', '--deployment', 'web')).map((e) => e.reason);

  it('a destination that never becomes ready: undone on its own, the deployment back where it was', async () => {
    const r = await skyfleet(dir, 'migrate', 'web', '--to', 'slow', '--timeout', '3s');
    expect(r.code).toBe(1);
    expect(await placement()).toEqual(['lab']);
    const events = await skyfleetJson<Event[]>(dir, 'get', 'events', '--deployment', 'web');
    const rolledBack = events.find((e) => e.reason === 'MigrationRolledBack');
    expect(rolledBack?.message).toContain('moving back');
    expect(events.map((e) => e.reason)).not.toContain('MigrationCompleted');
  });

  it('to a healthy target: moved, ready there', async () => {
    const r = await skyfleet(dir, 'migrate', 'web', '--to', 'lab2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deployment/web migrated: lab2/a=2');
    expect(await placement()).toEqual(['lab2']);
    expect(await reasons()).toContain('MigrationCompleted');
  });
});

describe('skyfleet controller with rollout commands, and its /metrics over HTTP', () => {
  const dir = tempDir();
  let controller: ReturnType<typeof startSkyfleet>;
  let metricsUrl = '';
  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    return res.text();
  };
  /** The sum of a gauge's samples whose labels include `match`. */
  const sum = (text: string, metric: string, match: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`) && l.includes(match))
      .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  type Status = {
    state?: { phase: string; pausedByUser: boolean; abort: boolean; stable: string | null; canary: string };
  };
  const rolloutState = async () => (await skyfleetJson<Status>(dir, 'rollout', 'status', 'web')).state;
  const canary =
    '  strategy: { type: Canary, canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] } }\n';
  let rev1 = '';

  beforeAll(async () => {
    writeFileSync(join(dir, 'skyfleet.yaml'), fleetDoc('  - { name: lab, kind: memory, zones: [a, b] }\n'));
    controller = startSkyfleet(
      dir,
      'controller',
      '--metrics-address',
      '127.0.0.1:0',
      '--lease-ttl',
      '5s',
      '--resync',
      '1s',
    );
    children.push(controller.child);
    const m = await eventually(
      () => /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(controller.stderr()) ?? false,
      {
        message: 'the controller serving metrics',
        timeoutMs: 15_000,
        intervalMs: 50,
      },
    );
    metricsUrl = m[1]!;
    await eventually(async () => /^skyfleet_controller_leader(\{[^}]*\})? 1$/m.test(await scrape()), {
      message: 'the controller leads',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
  });

  it('apply hands off to the controller, which converges it (its /metrics says so)', async () => {
    writeFileSync(join(dir, 'web.yaml'), deploymentDoc('img:1', canary));
    const r = await skyfleet(dir, 'apply', '-f', 'web.yaml', '--no-wait');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('handed to the controller');
    await eventually(async () => sum(await scrape(), 'skyfleet_ready_replicas', 'deployment="web"') === 2, {
      message: '2 ready replicas in the metrics',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    const text = await scrape();
    expect(text).toMatch(/^skyfleet_reconcile_total\{[^}]*deployment="web"[^}]*\} [1-9]/m);
    expect(text).toContain('# TYPE skyfleet_reconcile_duration_seconds histogram');
    rev1 = (await skyfleetJson<Array<{ revision: string }>>(dir, 'get'))[0]!.revision;
    expect(rev1).toMatch(/^[0-9a-f]+$/);
  });

  it('rollout pause, resume and abort: the controller goes back to the stable revision', async () => {
    writeFileSync(join(dir, 'web.yaml'), deploymentDoc('img:2', canary));
    expect((await skyfleet(dir, 'apply', '-f', 'web.yaml', '--no-wait')).code).toBe(0);
    const paused = await eventually(rolloutState, {
      until: (s) => s?.phase === 'Paused',
      message: 'the canary paused at its pause step',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(paused).toMatchObject({ stable: rev1, pausedByUser: false });

    expect((await skyfleet(dir, 'rollout', 'pause', 'web')).code).toBe(0);
    expect(await rolloutState()).toMatchObject({ pausedByUser: true });
    const resumed = await skyfleet(dir, 'rollout', 'resume', 'web');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resume requested');
    expect(await rolloutState()).toMatchObject({ pausedByUser: false });

    const aborted = await skyfleet(dir, 'rollout', 'abort', 'web');
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain('abort requested');
    const st = await eventually(rolloutState, {
      until: (s) => s?.phase === 'Aborted',
      message: 'the controller aborted the rollout',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(st).toMatchObject({ stable: rev1, phase: 'Aborted' });
    const reasons = (await skyfleetJson<Event[]>(dir, 'get', 'events', '--deployment', 'web')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['RolloutPause', 'RolloutResume', 'RolloutAbort']));
    // nothing left to control
    const again = await skyfleet(dir, 'rollout', 'resume', 'web');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no rollout in progress to resume (its last rollout is Aborted)');
  });

  it('rollout history, undo (to the previous revision) and undo --to-revision N', async () => {
    const history = await skyfleetJson<Array<{ number: number; revision: string }>>(dir, 'rollout', 'history', 'web');
    expect(history.map((h) => h.number)).toEqual([1, 2]);
    expect(history[0]!.revision).toBe(rev1);
    const rev2 = history[1]!.revision;
    const revision = async () => (await skyfleetJson<Array<{ revision: string }>>(dir, 'get'))[0]!.revision;
    expect(await revision()).toBe(rev2);
    // no --to-revision: the previous one
    const undone = await skyfleet(dir, 'rollout', 'undo', 'web', '--no-wait');
    expect(undone.code, undone.stderr).toBe(0);
    expect(undone.stdout).toContain(`rolled back to revision ${rev1}`);
    expect(await revision()).toBe(rev1);
    // --to-revision 2: that recorded template again
    const forward = await skyfleet(dir, 'rollout', 'undo', 'web', '--to-revision', '2', '--no-wait');
    expect(forward.code, forward.stderr).toBe(0);
    expect(forward.stdout).toContain(`rolled back to revision ${rev2}`);
    expect(await revision()).toBe(rev2);
    expect((await skyfleetJson<Array<{ number: number }>>(dir, 'rollout', 'history', 'web')).length).toBe(2);
    const bad = await skyfleet(dir, 'rollout', 'undo', 'web', '--to-revision', '9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no such revision of web (#9)');
  });

  it('stops on SIGTERM with exit code 0, releasing its lease', async () => {
    const exited = new Promise<number | null>((r) => controller.child.once('exit', (code) => r(code)));
    controller.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Invalid input through the built CLI (`npm run build` first) on memory targets: exit 2, a message
// naming the field or flag and the fix, and the store unchanged (issue 15).

const exec = promisify(execFile);
const BIN = join(process.cwd(), 'bin/skyfleet.js');
const dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function sf(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  const run = exec('node', [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, SKYFLEET_LOG_LEVEL: 'error', ...env },
    timeout: 30_000,
  });
  if (input !== undefined) {
    run.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await run;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const doc = (name: string, image = 'img:1') =>
  `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec: { replicas: 1, template: { containers: [{ name: web, image: "${image}" }] } }\n`;

/** What the store holds: every row of its deployments, revisions and events (read only). */
async function storeState(): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    return JSON.stringify(['deployments', 'revisions', 'events'].map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
  } finally {
    db.close();
  }
}

let first: Run;
let again: Run;

beforeAll(async () => {
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets: [{ name: mem, kind: memory, zones: [a] }, { name: mem2, kind: memory, zones: [a] }]\nstore: { path: state.db }\n',
  );
  writeFileSync(join(dir, 'web.yaml'), doc('web'));
  first = await sf(['apply', '-f', 'web.yaml']);
  expect(first.code).toBe(0);
  again = await sf(['get']);
}, 60_000);

describe('exit 2, naming the flag or field, store unchanged', () => {
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['--timeout 0', ['apply', '-f', 'web.yaml', '--timeout', '0'], {}, /--timeout: expected a duration above 0/],
    [
      '--timeout with --no-wait',
      ['apply', '-f', 'web.yaml', '--timeout', '5s', '--no-wait'],
      {},
      /--timeout and --no-wait do not go together/,
    ],
    [
      'get events --limit abc',
      ['get', 'events', '--limit', 'abc'],
      {},
      /--limit: expected a whole number of 1 or more, got "abc"/,
    ],
    [
      'get events --limit -1',
      ['get', 'events', '--limit', '-1'],
      {},
      /--limit: expected a whole number of 1 or more, got "-1"/,
    ],
    [
      'migrate --from an unknown target',
      ['migrate', 'web', '--to', 'mem2', '--from', 'nope'],
      {},
      /--from: target "nope" is not in fleet demo \(targets: mem, mem2\)/,
    ],
    [
      'SKYFLEET_LOG_LEVEL=verbose',
      ['get'],
      { SKYFLEET_LOG_LEVEL: 'verbose' },
      /SKYFLEET_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "verbose"/,
    ],
    [
      '--call-log in a missing directory',
      ['--call-log', join(dir, 'nope', 'calls.jsonl'), 'get'],
      {},
      /--call-log .*: cannot write the call log there: the directory .*nope does not exist/,
    ],
    ['--call-log a directory', ['--call-log', dir, 'get'], {}, /cannot write the call log there: .* is a directory/],
    [
      'rollout undo with one revision',
      ['rollout', 'undo', 'web'],
      {},
      /web has only one revision \(#1\): nothing to undo to/,
    ],
  ])(
    '%s',
    async (_what, args, env, message) => {
      const before = await storeState();
      const r = await sf(args, env);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/--to-revision/);
      expect(await storeState()).toBe(before);
    },
    30_000,
  );

  it.each<[string, string, RegExp]>([
    [
      'min above max',
      'minReplicas: 5, maxReplicas: 2, metrics: [{ type: cpu, targetUtilization: 70 }]',
      /spec\.autoscaling\.minReplicas/,
    ],
    [
      'a target of 0',
      'minReplicas: 1, maxReplicas: 3, metrics: [{ type: cpu, targetUtilization: 0 }]',
      /spec\.autoscaling\.metrics\[0\]\.targetUtilization/,
    ],
    [
      'an unknown metric type',
      'minReplicas: 1, maxReplicas: 3, metrics: [{ type: qps, target: 5 }]',
      /spec\.autoscaling\.metrics\[0\]\.type: .*concurrency, requestsPerSecond, cpu, memory, p99LatencyMs/,
    ],
    [
      'cpu without resources.cpu',
      'minReplicas: 1, maxReplicas: 3, metrics: [{ type: cpu, targetUtilization: 70 }]',
      /resources\.cpu/,
    ],
    [
      'scale to zero without a service',
      'minReplicas: 0, maxReplicas: 3, metrics: [{ type: memory, targetUtilization: 70 }]',
      /minReplicas 0 scales to zero, which needs spec\.service/,
    ],
  ])(
    'autoscaling: %s',
    async (_what, autoscaling, message) => {
      const resources = /cpu without/.test(_what) ? '' : ', resources: { cpu: "0.5", memory: 64Mi }';
      writeFileSync(
        join(dir, 'auto.yaml'),
        `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: auto }\nspec:\n  replicas: 1\n  template: { containers: [{ name: web, image: "img:1"${resources} }] }\n  autoscaling: { ${autoscaling} }\n`,
      );
      const before = await storeState();
      const r = await sf(['apply', '-f', 'auto.yaml']);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(await storeState()).toBe(before);
    },
    30_000,
  );

  it('an alias bomb names the file and document', async () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    ];
    writeFileSync(join(dir, 'bomb.yaml'), `${doc('web')}---\n${bomb.join('\n')}\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`);
    const before = await storeState();
    const r = await sf(['apply', '-f', 'bomb.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid input in bomb\.yaml[^\n]*\n {2}- document 2: YAML: Excessive alias count/);
    expect(await storeState()).toBe(before);
  }, 30_000);

  it('a target not in the fleet names the file and the document', async () => {
    writeFileSync(
      join(dir, 'two.yaml'),
      `${doc('web')}---\n${doc('api').replace('spec: {', 'spec: { placement: { targets: [{ name: elsewhere }] },')}`,
    );
    const r = await sf(['plan', '-f', 'two.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /in two\.yaml, document 2 \(deployment api\) \(1 problem\):\n {2}- spec\.placement\.targets\[0\]\.name: target "elsewhere" is not in fleet demo/,
    );
  }, 30_000);

  it('an invalid image reference names the field', async () => {
    writeFileSync(join(dir, 'bad.yaml'), doc('web', 'Not A Valid::Image Ref!!'));
    const before = await storeState();
    const r = await sf(['apply', '-f', 'bad.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.template\.containers\[0\]\.image: expected an image reference/);
    expect(await storeState()).toBe(before);
  }, 30_000);

  it('no fleet at all is invalid input', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'skyfleet-cli-nofleet-'));
    try {
      const r = await exec('node', [BIN, 'get'], { cwd: empty, env: { ...process.env, SKYFLEET_CONFIG: '' } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no fleet configured/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('-f - reads standard input', () => {
  it('plan -f -', async () => {
    const r = await sf(['plan', '-f', '-'], {}, doc('web'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deployment\/web: revision/);
  }, 30_000);
});

describe('stores', () => {
  it('the first command to create the store says so, the next does not', () => {
    expect(first.stderr).toMatch(/created a new state store at .*state\.db/);
    expect(again.stderr).not.toMatch(/created a new state store/);
  });

  it('a mistyped --store directory: a new store, said on stderr', async () => {
    const path = join(dir, 'typo', 'state.db');
    const r = await sf(['--store', path, 'get']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`created a new state store at ${path}`);
    expect(existsSync(path)).toBe(true);
  }, 30_000);

  it('a file that is not a store names the path and what to do', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'not a database\n'.repeat(100));
    const r = await sf(['--store', path, 'get']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path} is not a skyfleet state store (file is not a database): point --store at another file, or move this one away`,
    );
  }, 30_000);
});

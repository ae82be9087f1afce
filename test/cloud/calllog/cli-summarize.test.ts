/**
 * `skyfleet calls summarize FILE -o json` through the built CLI (bin/skyfleet.js -> dist/), on the
 * unit fixture: the JSON is the summary, malformed lines are reported and the exit code is 0.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../unit/calllog/fixtures/calls.jsonl', import.meta.url));

/** What this test runs: each must have been written by the compile below, never an older build. */
const BUILT = ['dist/src/cli/main.js', 'dist/src/cli/calls-command.js', 'dist/src/calllog/summarize.js'];

beforeAll(async () => {
  // tsc emits even when some other file of the tree has a type error: that alone must not fail
  // this test, but a compile that did not write what the test runs must (it would run a stale build)
  const started = Date.now() - 1_000; // file times may be rounded down to the second
  const compiled = await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).then(
    () => undefined,
    (e: { stdout?: string; stderr?: string; message: string }) =>
      `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(0, 4_000),
  );
  for (const f of BUILT) {
    const path = join(ROOT, f);
    const fresh = existsSync(path) && statSync(path).mtimeMs >= started;
    expect(fresh, `${f} was not written by this compile${compiled ? `; tsc failed:\n${compiled}` : ''}`).toBe(true);
  }
}, 180_000);

it('prints the summary as JSON, malformed lines included, and exits 0', async () => {
  const { stdout } = await run('node', ['bin/skyfleet.js', 'calls', 'summarize', FIXTURE, '-o', 'json'], { cwd: ROOT });
  const out = JSON.parse(stdout);
  expect(out.file).toBe(FIXTURE);
  expect(out.calls).toBe(21);
  expect(out.malformed.map((m: { line: number }) => m.line)).toEqual([5, 15, 25]);
  expect(
    out.targets.map((t: Record<string, unknown>) => [t.cloud, t.target, t.calls, t.writes, t.errors, t.retries]),
  ).toEqual([
    ['aws-ecs', 'aws', 5, 3, 1, 1],
    ['azure-aci', 'azure', 7, 4, 1, 1],
    ['gcp-cloud-run', 'gcr', 9, 5, 3, 2],
  ]);
});

it('a missing file is invalid input (exit 2)', async () => {
  const err = (await run('node', ['bin/skyfleet.js', 'calls', 'summarize', '/nonexistent/calls.jsonl'], {
    cwd: ROOT,
  }).catch((e) => e)) as { code: number; stderr: string };
  expect(err.code).toBe(2);
  expect(err.stderr).toContain('file not found');
});

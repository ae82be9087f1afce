// bench/examples: how long the examples take, as a user runs them. (a) The wall time of each
// example's own script (`bash examples/NAME/run.sh`, start to exit, its cleanup included); (b) the
// time from `git clone` of this repository (a local clone of HEAD into a temp folder) to the hybrid
// example serving (its `serving:` line), with the steps a fresh clone needs on a machine where the
// quick start already ran: `npm ci` from npm's cache, `npm run build`, `bash examples/hybrid/run.sh`
// (the images are already built; the quick start's scripts/keep-native-builds.mjs kept
// better-sqlite3's build, which `npm ci` would otherwise compile again when offline).
// Gates: each script < 60 s; clone to serving < 120 s (issue 21, "Measured").
// Run: npm run bench:examples   (EXAMPLES=hybrid,migrate,... CLONE=0 to skip (b);
//      LIMIT_EXAMPLE_S=60 LIMIT_CLONE_S=120 override the limits). Uses Docker: on a shared
//      machine, under the same lock as the Docker tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_RUN, exec } from '../lib/docker-bench.js';
import { finish, type Gate } from '../lib/gate.js';

const EXAMPLES = (process.env.EXAMPLES ?? 'hybrid,migrate,canary-across-clouds,autoscale,gitops')
  .split(',')
  .filter(Boolean);
const LIMIT_EXAMPLE_S = Number(process.env.LIMIT_EXAMPLE_S ?? 60);
const LIMIT_CLONE_S = Number(process.env.LIMIT_CLONE_S ?? 120);
const CLONE = process.env.CLONE !== '0';
/** The examples that run against `skyfleet emulate` and take their ports and fleet from the environment. */
const STAND_IN = new Set(['hybrid', 'migrate', 'canary-across-clouds']);
const ROOT = process.cwd();

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Settings that keep a stand-in example's ports, fleet and files to this run. */
async function standInEnv(name: string, dir: string): Promise<Record<string, string>> {
  const fleet = `${BENCH_RUN}-${name}`.slice(0, 40);
  return {
    SKYFLEET_EXAMPLE_DIR: dir,
    SKYFLEET_EXAMPLE_FLEET: fleet,
    SKYFLEET_EMULATE_ID: fleet,
    SKYFLEET_EXAMPLE_API_PORT: String(await freePort()),
    SKYFLEET_EXAMPLE_DATA_PLANE_PORT: String(await freePort()),
    SKYFLEET_EXAMPLE_LB_PORT: String(await freePort()),
  };
}

interface ScriptRun {
  code: number | null;
  seconds: number;
  /** Seconds from the start to the first line starting with `mark`, if asked and seen. */
  markSeconds?: number;
  output: string;
}

/**
 * `bash SCRIPT` in `cwd`, in a process group of its own (ended, cleanup first, after `timeoutMs`),
 * timed from spawn to exit.
 */
function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
  mark?: string,
  timeoutMs = 300_000,
): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('bash', [script], {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    let markSeconds: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString('utf8');
      stdout += d.toString('utf8');
      if (mark && markSeconds === undefined && stdout.split('\n').some((l) => l.startsWith(mark)))
        markSeconds = (performance.now() - t0) / 1000;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString('utf8');
    });
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // gone
      }
    };
    const term = setTimeout(() => {
      output += `\n(bench: no exit after ${timeoutMs / 1000} s, SIGTERM)\n`;
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), 15_000).unref();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(term);
      resolve({
        code,
        seconds: (performance.now() - t0) / 1000,
        ...(markSeconds !== undefined ? { markSeconds } : {}),
        output,
      });
    });
  });
}

/** A command's seconds; throws with its output when it fails. */
async function timed(cmd: string, args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  await exec(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  return (performance.now() - t0) / 1000;
}

const tail = (text: string, n = 30) => text.trimEnd().split('\n').slice(-n).join('\n');

interface Row {
  what: string;
  seconds: number;
  limit: number;
  note: string;
}

/** What the quick start leaves and the examples expect: the images, and better-sqlite3's build kept. */
async function quickStartState(): Promise<void> {
  for (const v of ['1', '2', 'bad']) {
    const there = await exec('docker', ['image', 'inspect', `hello/web:${v}`]).then(
      () => true,
      () => false,
    );
    if (!there) await exec('bash', ['examples/hello/image/build.sh', v]);
  }
  const { stdout } = await exec('node', ['scripts/keep-native-builds.mjs', ROOT]);
  if (stdout.trim()) console.log(`(before timing) ${stdout.trim()}`);
}

async function exampleRow(name: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `skyfleet-bench-${name}-`));
  try {
    const env = STAND_IN.has(name) ? await standInEnv(name, dir) : { TMPDIR: dir };
    const r = await runScript(`examples/${name}/run.sh`, ROOT, env);
    writeFileSync(join(dir, 'output'), r.output);
    if (r.code !== 0) {
      console.error(`examples/${name}/run.sh exited ${r.code}:\n${tail(r.output)}`);
      return { what: `examples/${name}/run.sh`, seconds: Number.NaN, limit: LIMIT_EXAMPLE_S, note: `exit ${r.code}` };
    }
    return { what: `examples/${name}/run.sh`, seconds: r.seconds, limit: LIMIT_EXAMPLE_S, note: '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cloneRow(): Promise<Row[]> {
  const head = (await exec('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
  const dirty = (await exec('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT })).stdout.trim();
  if (dirty) console.log('(the clone is of HEAD; uncommitted changes of this checkout are not in it)');
  const base = mkdtempSync(join(tmpdir(), 'skyfleet-bench-clone-'));
  const repo = join(base, 'skyfleet');
  const work = join(base, 'work');
  try {
    const t0 = performance.now();
    const steps: Array<[string, number]> = [];
    const clone = await timed('git', ['clone', '-q', '--no-checkout', ROOT, repo], base);
    steps.push(['git clone', clone + (await timed('git', ['checkout', '-q', '--detach', head], repo))]);
    steps.push([
      'npm ci',
      await timed('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], repo),
    ]);
    steps.push(['npm run build', await timed('npm', ['run', 'build', '--silent'], repo)]);
    const beforeRun = (performance.now() - t0) / 1000;
    const r = await runScript('examples/hybrid/run.sh', repo, await standInEnv('clone-hybrid', work), 'serving: ');
    const note = steps.map(([s, t]) => `${s} ${t.toFixed(1)}`).join(', ');
    if (r.code !== 0 || r.markSeconds === undefined) {
      console.error(`the clone's examples/hybrid/run.sh exited ${r.code}:\n${tail(r.output)}`);
      return [{ what: 'git clone -> hybrid serving', seconds: Number.NaN, limit: LIMIT_CLONE_S, note }];
    }
    return [
      {
        what: 'git clone -> hybrid serving',
        seconds: beforeRun + r.markSeconds,
        limit: LIMIT_CLONE_S,
        note: `${note}, run.sh to serving: ${r.markSeconds.toFixed(1)}`,
      },
      { what: "the clone's examples/hybrid/run.sh", seconds: r.seconds, limit: LIMIT_EXAMPLE_S, note: '' },
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await quickStartState();
  const rows: Row[] = [];
  for (const name of EXAMPLES) {
    const row = await exampleRow(name);
    console.log(`${row.what}: ${row.seconds.toFixed(1)} s`);
    rows.push(row);
  }
  if (CLONE) {
    for (const row of await cloneRow()) {
      console.log(`${row.what}: ${row.seconds.toFixed(1)} s${row.note ? ` (${row.note})` : ''}`);
      rows.push(row);
    }
  }
  const w = Math.max(...rows.map((r) => r.what.length));
  console.log(`\n${'what'.padEnd(w)}  seconds  limit  verdict  steps (s)`);
  const gates: Gate[] = rows.map((r) => {
    const ok = Number.isFinite(r.seconds) && r.seconds < r.limit;
    console.log(
      `${r.what.padEnd(w)}  ${r.seconds.toFixed(1).padStart(7)}  ${`< ${r.limit}`.padStart(5)}  ${(ok ? 'PASS' : 'FAIL').padEnd(7)}  ${r.note}`,
    );
    return { name: `${r.what} < ${r.limit} s`, ratio: r.seconds, target: r.limit, ok };
  });
  console.log('');
  finish(gates);
}

await main();

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** The repository root: bin/skyfleet.js runs dist/ (built by `npm run build`). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/skyfleet.js`;

/** The environment of a CLI process: no config or store from the caller's, quiet logs. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKYFLEET_LOG_LEVEL: 'error', ...extra };
  delete env.SKYFLEET_CONFIG;
  delete env.SKYFLEET_STORE;
  delete env.SKYFLEET_CALL_LOG;
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `skyfleet ARGS` in `cwd` as a user would (one process), with its exit code and output. */
export async function skyfleet(cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { cwd, env: cliEnv(), timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** Runs `skyfleet ARGS -o json` and parses its stdout (failing with its stderr if it exits non-zero). */
export async function skyfleetJson<T = unknown>(cwd: string, ...args: string[]): Promise<T> {
  const r = await skyfleet(cwd, ...args, '-o', 'json');
  if (r.code !== 0) throw new Error(`skyfleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A long-running `skyfleet ARGS` (the controller), its stderr collected. */
export function startSkyfleet(cwd: string, ...args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn('node', [BIN, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  return { child, stderr: () => err };
}

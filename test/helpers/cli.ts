import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** The repository root: bin/skyfleet.js runs dist/ (built by `npm run build`). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/skyfleet.js`;

/**
 * The environment of a CLI process: no config, store, server or context from the caller's (a
 * contexts file that does not exist, unless `extra` names one), quiet logs.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKYFLEET_LOG_LEVEL: 'error' };
  for (const name of [
    'SKYFLEET_CONFIG',
    'SKYFLEET_STORE',
    'SKYFLEET_CALL_LOG',
    'SKYFLEET_SERVER',
    'SKYFLEET_TOKEN',
    'SKYFLEET_CA',
    'SKYFLEET_CONTEXT',
  ])
    delete env[name];
  env.SKYFLEET_CONTEXTS = '/nonexistent/skyfleet-tests/contexts.yaml';
  return { ...env, ...extra };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `skyfleet ARGS` in `cwd` as a user would (one process), with its exit code and output. */
export async function skyfleet(cwd: string, ...args: string[]): Promise<CliResult> {
  return skyfleetWith({}, cwd, ...args);
}

/** `skyfleet` with variables added to its environment (`cliEnv(env)`). */
export async function skyfleetWith(env: Record<string, string>, cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { cwd, env: cliEnv(env), timeout: 120_000 });
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

/** A `skyfleet ARGS` that runs on (a watch, a server): its output so far and its exit, for `eventually`. */
export interface RunningSkyfleet {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code once it exited, else undefined. */
  code(): number | null | undefined;
  exited: Promise<number | null>;
}

export function spawnSkyfleet(env: Record<string, string>, cwd: string, ...args: string[]): RunningSkyfleet {
  const child = spawn('node', [BIN, ...args], { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let code: number | null | undefined;
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (c) => {
      code = c;
      resolve(c);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, code: () => code, exited };
}

/** `skyfleet server --listen 127.0.0.1:0 ARGS` in `cwd`, once it listens: its URL. */
export async function startServer(
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ server: RunningSkyfleet; url: string; stop(): Promise<void> }> {
  const server = spawnSkyfleet(env, cwd, 'server', '--listen', '127.0.0.1:0', ...args);
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(server.stderr())?.[1];
    if (url) break;
    if (server.code() !== undefined || Date.now() > deadline)
      throw new Error(`skyfleet server did not listen (exit ${server.code()}): ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server,
    url,
    async stop() {
      if (server.code() === undefined) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  };
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { DeploymentInput } from '../../../src/spec/deployment.js';

const execFileP = promisify(execFile);

/** The repository root (this file is test/helpers/controller/index.ts). */
export const REPO = resolve(import.meta.dirname, '../../..');
export const CLI = join(REPO, 'bin/skyfleet.js');

export interface WebOptions {
  name?: string;
  image: string;
  replicas: number;
  /** metadata.labels: put the run label here so every container carries it. */
  labels: Record<string, string>;
  maxSurge?: number;
  maxUnavailable?: number;
  failureThreshold?: number;
  /** The path the readiness probe GETs (default /version, a file the test images serve). */
  probePath?: string;
  target?: string;
}

/** A busybox web deployment with an httpGet readiness probe every second. */
export function webDeployment(o: WebOptions): DeploymentInput {
  return {
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: o.name ?? 'web', labels: o.labels },
    spec: {
      replicas: o.replicas,
      template: {
        containers: [
          {
            name: 'web',
            image: o.image,
            ports: [{ name: 'http', containerPort: 8080 }],
            resources: { cpu: '0.25', memory: '64Mi' },
            readinessProbe: {
              httpGet: { path: o.probePath ?? '/version', port: 8080 },
              periodSeconds: 1,
              timeoutSeconds: 1,
              failureThreshold: o.failureThreshold ?? 2,
            },
          },
        ],
      },
      placement: { targets: [{ name: o.target ?? 'local' }] },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: o.maxSurge ?? 1, maxUnavailable: o.maxUnavailable ?? 0 },
      },
    },
  };
}

/** The deployment as YAML (JSON is YAML), for `skyfleet apply -f`. */
export function deploymentYaml(d: DeploymentInput): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** A Fleet config document with one docker target named `local`. */
export function fleetYaml(fleet: string, target = 'local'): string {
  return `${JSON.stringify(
    {
      apiVersion: 'skyfleet.dev/v1',
      kind: 'Fleet',
      metadata: { name: fleet },
      targets: [{ name: target, kind: 'docker' }],
    },
    null,
    2,
  )}\n`;
}

export function tempDir(prefix = 'skyfleet-ctl-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Containers of one fleet (optionally one deployment), every state. */
export async function fleetContainers(
  docker: Docker,
  fleet: string,
  deployment?: string,
): Promise<Docker.ContainerInfo[]> {
  const label = [`skyfleet.dev/fleet=${fleet}`];
  if (deployment) label.push(`skyfleet.dev/deployment=${deployment}`);
  return docker.listContainers({ all: true, filters: { label } });
}

export const isHealthy = (c: Docker.ContainerInfo) => c.State === 'running' && c.Status.includes('(healthy)');
/** Counted against maxSurge: anything that holds (or is about to hold) resources. */
export const isLive = (c: Docker.ContainerInfo) =>
  c.State === 'running' || c.State === 'created' || c.State === 'restarting' || c.State === 'paused';

/** Removes every container with these labels (force); never throws. */
export async function removeWithLabels(docker: Docker, ...labels: string[]): Promise<void> {
  try {
    const list = await docker.listContainers({ all: true, filters: { label: labels } });
    await Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  } catch {
    // engine gone: nothing to clean
  }
}

/** Polls `docker ps` (every `everyMs`) and hands each listing of the fleet's containers to `onSample`. */
export function sampleContainers(
  docker: Docker,
  fleet: string,
  onSample: (list: Docker.ContainerInfo[]) => void | Promise<void>,
  everyMs = 100,
): { stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      try {
        await onSample(await fleetContainers(docker, fleet));
        n++;
      } catch {
        // a failed listing is not a sample
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return n;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/skyfleet.js ...args` to completion. */
export async function cli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      timeout: options.timeoutMs ?? 120_000,
      env: { ...process.env, SKYFLEET_LOG_LEVEL: process.env.SKYFLEET_LOG_LEVEL ?? 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? err.message,
    };
  }
}

/** A `skyfleet controller` child process with its output collected. */
export interface ControllerProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  /** stderr (pino JSON lines and the start line), as it arrives. */
  readonly output: string[];
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** Resolves when a line matching `re` appears (or rejects after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

const live = new Set<ControllerProcess>();

/** Starts `node bin/skyfleet.js controller` with the global args and the controller options given. */
export function spawnController(
  globalArgs: string[],
  options: { identity: string; leaseTtl?: string; resync?: string; metricsAddress?: string; logLevel?: string },
): ControllerProcess {
  const args = [
    CLI,
    ...globalArgs,
    'controller',
    '--identity',
    options.identity,
    '--lease-ttl',
    options.leaseTtl ?? '2s',
    '--resync',
    options.resync ?? '5s',
    '--metrics-address',
    options.metricsAddress ?? 'off',
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, SKYFLEET_LOG_LEVEL: options.logLevel ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const watchers = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  let buf = '';
  const onData = (chunk: Buffer) => {
    buf += chunk.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      output.push(line);
      for (const w of [...watchers])
        if (w.re.test(line)) {
          watchers.delete(w);
          w.resolve(line);
        }
    }
  };
  child.stderr?.on('data', onData);
  child.stdout?.on('data', onData);
  const exited = new Promise<number | string>((res) => {
    child.once('exit', (code, signal) => res(code ?? signal ?? -1));
  });
  const proc: ControllerProcess = {
    identity: options.identity,
    child,
    output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      live.delete(proc);
      return r;
    },
    waitFor(re, timeoutMs = 30_000) {
      const hit = output.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise<string>((res, rej) => {
        const w = { re, resolve: res };
        watchers.add(w);
        const t = setTimeout(() => {
          watchers.delete(w);
          rej(new Error(`controller ${options.identity}: no line matching ${re} within ${timeoutMs} ms`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!watchers.has(w)) return;
          watchers.delete(w);
          clearTimeout(t);
          rej(
            new Error(`controller ${options.identity} exited (${code}) before ${re}:\n${output.slice(-20).join('\n')}`),
          );
        });
        const orig = w.resolve;
        w.resolve = (l) => {
          clearTimeout(t);
          orig(l);
        };
      });
    },
  };
  live.add(proc);
  return proc;
}

/** SIGKILLs every controller process still running (for afterAll). */
export async function killAllControllers(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill('SIGKILL')));
}

/** pino JSON lines of a controller's output, parsed (other lines skipped). */
export function logRecords(output: readonly string[]): Array<Record<string, unknown> & { msg?: string }> {
  const out: Array<Record<string, unknown> & { msg?: string }> = [];
  for (const l of output) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l));
    } catch {
      // not a log record
    }
  }
  return out;
}

/** A small seeded PRNG (mulberry32), for reproducible random delays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

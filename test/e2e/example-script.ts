import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { cliEnv, ROOT } from '../helpers/cli.js';

// Runs an example's script (`bash examples/NAME/run.sh`) from the repository root as its README
// says, in a process group of its own, so the test can end the script and everything it started
// (a controller, a load) whatever state it is in; and reads what it prints: its steps begin with a
// `== TITLE` line.

export interface ScriptResult {
  /** The exit code, or null when a signal ended the script. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout and stderr as they came, for failure messages. */
  output: string;
  /** Whether the time limit ended it. */
  timedOut: boolean;
}

export interface RunningScript {
  /** The script's process group id (its pid). */
  pid: number;
  /** The output so far. */
  output(): string;
  done: Promise<ScriptResult>;
  /** SIGKILL to the whole group, if any of it is left; safe to call at any time. */
  killGroup(): void;
}

/**
 * `bash SCRIPT` with the CLI's clean environment (no config, store or server of the caller's) plus
 * `env`. After `timeoutMs` the group gets SIGTERM (the script's own cleanup runs), then SIGKILL 15 s later.
 */
export function runScript(script: string, env: Record<string, string>, timeoutMs: number): RunningScript {
  const child = spawn('bash', [script], {
    cwd: ROOT,
    env: cliEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let stdout = '';
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    output += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  let timedOut = false;
  const term = setTimeout(() => {
    timedOut = true;
    signalGroup('SIGTERM');
  }, timeoutMs);
  const kill = setTimeout(() => signalGroup('SIGKILL'), timeoutMs + 15_000);
  const done = new Promise<ScriptResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, signal, stdout, output, timedOut });
    });
  });
  return { pid, output: () => output, done, killGroup: () => signalGroup('SIGKILL') };
}

/** The text of the step whose title starts with `title` (up to the next step); throws when there is none. */
export function section(stdout: string, title: string): string {
  const found = stdout.split(/^== /m).find((s) => s.startsWith(title));
  if (found === undefined) throw new Error(`no step "${title}" in the output:\n${stdout}`);
  return found;
}

/** A Fleet document with one docker target named `local`, as the examples' skyfleet.yaml. */
export const exampleFleetYaml = (fleet: string) =>
  `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: ${fleet} }\ntargets:\n  - { name: local, kind: docker }\n`;

/**
 * Removes what an example run left (should it fail before its own cleanup): the containers of
 * its fleet and those `skyfleet emulate` started with SKYFLEET_EMULATE_ID set to the fleet.
 */
export async function removeExampleContainers(docker: Docker, fleet: string): Promise<void> {
  for (const label of [`skyfleet.dev/fleet=${fleet}`, `skyfleet.dev/emulate=${fleet}`])
    for (const c of await docker.listContainers({ all: true, filters: { label: [label] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
}

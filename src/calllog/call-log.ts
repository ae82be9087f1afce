import { accessSync, appendFileSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactBody, redactHeaders } from './redact.js';

export type CloudKind = 'aws-ecs' | 'azure-aci' | 'gcp-cloud-run';

/** One HTTP request a provider sent to a cloud API (one line of the call log). */
export interface CallLogEntry {
  time: string;
  cloud: CloudKind;
  target: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  durationMs: number;
  deployment: string | null;
  reason: string;
}

/**
 * Where call-log entries go. Implementations must never throw into the caller's request path.
 * `secrets` are the secret values of the call (resolved env secrets, registry passwords): a log that
 * stores entries redacts any string containing one of them, in addition to what the provider did.
 */
export interface CallLog {
  record(entry: CallLogEntry, secrets?: readonly string[]): void;
}

export interface FileCallLogOptions {
  /**
   * Called once, at the first line that cannot be written (the log never throws into the call
   * it records); later failures are counted in `failures` only.
   */
  onError?: (error: Error, path: string) => void;
}

/**
 * Why a call log cannot be written at `path` (its directory does not exist or is not writable, the
 * path is a directory or a read-only file), or undefined when it can. The CLI checks `--call-log`
 * with it before anything runs.
 */
export function callLogPathProblem(path: string): string | undefined {
  const dir = dirname(path);
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  };
  const d = stat(dir);
  if (!d) return `the directory ${dir} does not exist`;
  if (!d.isDirectory()) return `${dir} is not a directory`;
  const f = stat(path);
  if (f?.isDirectory()) return `${path} is a directory`;
  try {
    accessSync(f ? path : dir, constants.W_OK);
  } catch {
    return f ? `${path} is not writable` : `the directory ${dir} is not writable`;
  }
  return undefined;
}

/**
 * Appends one JSON object per line to a file, synchronously (a line is on disk before the
 * response is handed back), after redacting credentials and secret values. A line that cannot be
 * written is reported once through `onError` and counted; the call it records goes on.
 */
export class FileCallLog implements CallLog {
  /** Lines that could not be written. */
  failures = 0;

  constructor(
    readonly path: string,
    private readonly options: FileCallLogOptions = {},
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      // reported at the first write
    }
  }

  record(entry: CallLogEntry, secrets: readonly string[] = []): void {
    const safe: CallLogEntry = {
      ...entry,
      headers: redactHeaders(entry.headers),
      body: redactBody(entry.body, secrets),
    };
    try {
      appendFileSync(this.path, `${JSON.stringify(safe)}\n`);
    } catch (e) {
      // a call log must never break the call it records: say so once, and count
      if (this.failures++ === 0) {
        try {
          this.options.onError?.(e as Error, this.path);
        } catch {
          // nor may its error hook
        }
      }
    }
  }
}

/** Keeps entries in memory: for tests and for `fleet.calls()`. */
export class MemoryCallLog implements CallLog {
  readonly entries: CallLogEntry[] = [];
  record(entry: CallLogEntry, secrets: readonly string[] = []): void {
    this.entries.push({ ...entry, headers: redactHeaders(entry.headers), body: redactBody(entry.body, secrets) });
  }
}

/** Fans one entry out to several logs (with its secret values, so each log can redact). */
export class TeeCallLog implements CallLog {
  constructor(private readonly logs: readonly CallLog[]) {}
  record(entry: CallLogEntry, secrets: readonly string[] = []): void {
    for (const l of this.logs) {
      try {
        l.record(entry, secrets);
      } catch {
        // one failing log does not starve the others, nor break the call
      }
    }
  }
}

/** One log for the given ones: undefined when none, the log itself when one, a TeeCallLog otherwise. */
export function teeCallLogs(...logs: ReadonlyArray<CallLog | undefined>): CallLog | undefined {
  const live = logs.filter((l): l is CallLog => l !== undefined);
  return live.length <= 1 ? live[0] : new TeeCallLog(live);
}

/**
 * The log named by `SKYFLEET_CALL_LOG` in `env` (a FileCallLog), tee'd with `log`. The CLI reads the
 * variable itself; test helpers use this so a test run with the variable set logs every call.
 */
export function withEnvCallLog(log?: CallLog, env: NodeJS.ProcessEnv = process.env): CallLog | undefined {
  const path = env.SKYFLEET_CALL_LOG;
  return teeCallLogs(log, path ? new FileCallLog(path) : undefined);
}

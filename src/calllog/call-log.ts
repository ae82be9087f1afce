import { appendFileSync, mkdirSync } from 'node:fs';
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

/**
 * Appends one JSON object per line to a file, synchronously (a line is on disk before the
 * response is handed back), after redacting credentials and secret values.
 */
export class FileCallLog implements CallLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  record(entry: CallLogEntry, secrets: readonly string[] = []): void {
    const safe: CallLogEntry = {
      ...entry,
      headers: redactHeaders(entry.headers),
      body: redactBody(entry.body, secrets),
    };
    try {
      appendFileSync(this.path, `${JSON.stringify(safe)}\n`);
    } catch {
      // a call log must never break the call it records
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

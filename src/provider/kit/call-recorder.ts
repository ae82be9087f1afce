import { type CallLog, type CallLogEntry, type CloudKind, redactBody, redactHeaders } from '../../calllog/index.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { type AttemptRecorder, currentCallScope, type HttpAttempt } from './call-scope.js';

export type { HttpAttempt } from './call-scope.js';

/** One HTTP request as an SDK hook sees it, before it is sent. */
export interface CallRecorderOptions {
  cloud: CloudKind;
  target: string;
  /** Where entries go; nothing is recorded without one. */
  log?: CallLog | undefined;
  /** The provider's clock: an entry's `time` is when its attempt started, by this clock. */
  clock?: Clock;
  /**
   * A monotonic millisecond counter for `durationMs` (`performance.now` by default): a provider's
   * clock may be a test's manual clock, which does not move while a request is in flight.
   */
  monotonic?: () => number;
}

const noop = (): void => {};

/**
 * The one recording rule of the call log, for every cloud provider: one entry per HTTP attempt
 * (each SDK retry is its own line, with its own status), `time` from the provider's clock,
 * `durationMs` from a monotonic counter to 0.1 ms, the body read by `bodyOf`, credentials redacted
 * from headers and body, and the call's secret values (from the call scope) both redacted here and
 * handed to the log, so a log that stores entries redacts them again.
 */
export class CallRecorder implements AttemptRecorder {
  readonly cloud: CloudKind;
  readonly target: string;
  readonly log: CallLog | undefined;
  private readonly clock: Clock;
  private readonly monotonic: () => number;

  constructor(options: CallRecorderOptions) {
    this.cloud = options.cloud;
    this.target = options.target;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** The same recorder writing to another log (a test tees the provider's log with a file). */
  withLog(log: CallLog | undefined): CallRecorder {
    return new CallRecorder({
      cloud: this.cloud,
      target: this.target,
      log,
      clock: this.clock,
      monotonic: this.monotonic,
    });
  }

  /**
   * Starts one attempt of the current call; the function returned records it once, with the status
   * the cloud answered (null when there was no answer: a network error, a timeout, an abort).
   * Never throws, and a failing log never breaks the call it records.
   */
  begin(attempt: HttpAttempt): (status: number | null) => void {
    const log = this.log;
    if (!log) return noop;
    const scope = currentCallScope();
    const time = new Date(this.clock.now()).toISOString();
    const started = this.monotonic();
    let recorded = false;
    return (status) => {
      if (recorded) return;
      recorded = true;
      try {
        const secrets = scope?.secrets ?? [];
        const entry: CallLogEntry = {
          time,
          cloud: this.cloud,
          target: this.target,
          method: attempt.method.toUpperCase(),
          url: attempt.url,
          headers: redactHeaders(headersOf(attempt.headers)),
          body: redactBody(bodyOf(attempt.body), secrets),
          status,
          durationMs: Math.round((this.monotonic() - started) * 10) / 10,
          deployment: scope?.deployment ?? null,
          reason: scope?.reason ?? 'unknown',
        };
        log.record(entry, secrets);
      } catch {
        // a call log never breaks the call it records
      }
    };
  }
}

/** Header names (lower-cased) and values, from a `Headers`, an object with `toJSON()`, or a record. */
export function headersOf(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  const h = headers as {
    forEach?: (fn: (value: string, key: string) => void) => void;
    get?: unknown;
    toJSON?: () => unknown;
  };
  if (typeof h.forEach === 'function' && typeof h.get === 'function') {
    h.forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
    return out;
  }
  const record = typeof h.toJSON === 'function' ? h.toJSON() : headers;
  for (const [k, v] of Object.entries((record ?? {}) as Record<string, unknown>))
    if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  return out;
}

/**
 * A request body as the log shows it: parsed JSON when it is JSON, the text otherwise (a string or
 * UTF-8 bytes), null when there is none or it is neither (a stream).
 */
export function bodyOf(body: unknown): unknown {
  const text =
    typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
